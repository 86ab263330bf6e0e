"""Shared testinfra fixtures: ask PostgreSQL itself, inside the scenario's container."""

import json
import os
import shlex

import pytest

# Each public table's rows as one md5, as molecule/restore_data/tasks/checksums.yml computes them.
TABLE_SUMS_SQL = (
    "SELECT c.relname AS name, (xpath('/row/m/text()', query_to_xml(format("
    "'SELECT md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) AS m FROM %I.%I t', "
    "'|', '', n.nspname, c.relname), false, true, '')))[1]::text AS md5 "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1")


class Postgres:
    """Runs SQL in the scenario's container through docker exec and psql."""

    def __init__(self, host, container, login_user="postgres"):
        self.host = host
        self.container = container
        self.login_user = login_user

    def _psql(self, database, sql):
        cmd = "docker exec -i %s psql -X -q -A -t -v ON_ERROR_STOP=1 -U %s -d %s" % (
            shlex.quote(self.container), shlex.quote(self.login_user), shlex.quote(database))
        return self.host.run("printf '%%s' %s | %s" % (shlex.quote(sql), cmd))

    def rows(self, sql, database="bookreader_dev"):
        """Rows of a SELECT as a list of dicts."""
        wrapped = "SELECT coalesce(json_agg(row_to_json(q)), '[]'::json) FROM (%s) q" % sql.rstrip("; \n")
        res = self._psql(database, wrapped)
        assert res.rc == 0, "psql failed in %s: %s" % (database, res.stderr)
        return json.loads(res.stdout)

    def value(self, sql, database="bookreader_dev"):
        """The single value of a one-row, one-column SELECT."""
        rows = self.rows(sql, database)
        assert len(rows) == 1, "expected one row from %r, got %r" % (sql, rows)
        return next(iter(rows[0].values()))

    def execute(self, sql, database="bookreader_dev"):
        """Run statements; returns the command result (rc, stdout, stderr)."""
        return self._psql(database, sql)

    def databases(self):
        return sorted(r["datname"] for r in self.rows(
            "SELECT datname FROM pg_database WHERE NOT datistemplate", "postgres"))

    def table_sums(self, database="bookreader_dev"):
        """{table: md5 of its rows} for every table in public."""
        return dict((r["name"], r["md5"]) for r in self.rows(TABLE_SUMS_SQL, database))


def _saved(name):
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], name), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def saved():
    """Reads a JSON file a playbook of the scenario wrote into its ephemeral directory."""
    return _saved


@pytest.fixture(scope="module")
def inventory_vars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def pg(host, inventory_vars):
    return Postgres(host, inventory_vars["db_runbooks_container"])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed test, print the tail of the container's log to help the reader."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "pg" in item.funcargs:
        pg = item.funcargs["pg"]
        logs = pg.host.run("docker logs --tail 40 %s 2>&1" % shlex.quote(pg.container))
        report.sections.append(("container log (%s)" % pg.container, logs.stdout))
