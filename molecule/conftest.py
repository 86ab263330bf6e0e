"""Shared testinfra fixtures: ask PostgreSQL itself, inside the scenario's container."""

import json
import shlex

import pytest


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
