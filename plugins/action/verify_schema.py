# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind fancai.db_runbooks.verify_schema (documentation: plugins/modules/verify_schema.py).

It reads the catalog of the database (and of ``expected_database``, in the same
psql session) with one ``docker exec … psql`` on the docker host, then compares
them by name on the controller.  Nothing is changed: the plugin never reports
``changed`` and runs in check mode.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import uuid

from ansible.errors import AnsibleActionFail

from ansible_collections.fancai.db_runbooks.plugins.action.psql import (
    CONNECTION_ARGSPEC,
    PsqlActionBase,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._catalog import (
    BAD_MARK,
    OK_MARK,
    build_catalog_script,
    coerce_expected,
    compare_catalogs,
    describe_differences,
    keyed_catalog,
    missing_database_result,
    parse_catalog_output,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._repair import (
    BLOCKERS_QUERY,
    describe_blockers,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    build_psql_argv,
    check_identifier,
    describe_failure,
    quote_ident,
    quote_literal,
    shorten_statement,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._alembic import (
    describe_problem,
    parse_runner,
    runner_command,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._docker import (
    with_timeout as docker_with_timeout,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._database_properties import (
    compare_properties,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._schema_source import (
    choose_reference,
    database_revision,
    relation,
    source_label,
)



_ARGSPEC = dict(
    CONNECTION_ARGSPEC,
    database=dict(type="str", required=True),
    expected_database=dict(type="str"),
    expected=dict(type="dict"),
    expected_revision=dict(type="str", default=""),
    schema_kind=dict(type="str", default=""),
    schema_label=dict(type="str", default=""),
    schema_sql=dict(type="str", default=""),
    schema_settings=dict(type="dict", default={}),
    schema_revision=dict(type="str", default=""),
    alembic_history=dict(type="list", elements="dict"),
    backend_container=dict(type="str", default=""),
    url_variable=dict(type="str", default="DATABASE_URL"),
    extensions=dict(type="list", elements="str", default=["uuid-ossp", "pg_trgm"]),
    scratch_prefix=dict(type="str", default="db_runbooks_verify_"),
    scratch_marker=dict(type="str", default="fancai.db_runbooks.verify scratch database, created"),
    alembic_revision=dict(type="str"),
    expected_properties=dict(type="dict"),
    require_populated=dict(type="bool", default=True),
    fail_on_difference=dict(type="bool", default=False),
    maintenance_database=dict(type="str", default="postgres"),
    lock_timeout=dict(type="str", default="30s"),
)

_DURATION_RE = re.compile(r"^[0-9]+(us|ms|s|min|h|d)?$")


class ActionModule(PsqlActionBase):
    """Compare a database's catalog with an expected one, read-only."""

    def run(self, tmp=None, task_vars=None):
        task_vars, result, args = self._begin(
            tmp, task_vars, _ARGSPEC, mutually_exclusive=[("expected_database", "expected")])

        container, login_user = self._psql_target(args, task_vars)
        self._login_user = login_user
        database = args["database"]
        expected_database = args["expected_database"]
        for value, what in ((database, "database"), (expected_database, "expected_database"),
                            (args["maintenance_database"], "maintenance_database")):
            if value is not None:
                err = check_identifier(value, what)
                if err:
                    raise AnsibleActionFail(err)
        if expected_database == database:
            raise AnsibleActionFail(
                "expected_database is %r, the database being verified: compare with another "
                "database (a scratch one built from the schema source)." % database)
        kind = args["schema_kind"]
        if not (expected_database or args["expected"] is not None or kind):
            raise AnsibleActionFail(
                "nothing to compare with: give schema_kind (with schema_sql or the backend's chain), "
                "expected (a catalog) or expected_database.")
        if kind and kind not in ("file", "backend", "alembic", "guide"):
            raise AnsibleActionFail("schema_kind=%r is not file, backend, alembic or guide." % kind)
        if kind and kind != "alembic" and not args["schema_sql"] and args["expected"] is None:
            raise AnsibleActionFail("schema_kind=%s needs schema_sql (the checked schema text)." % kind)
        expected = None
        if args["expected"] is not None:
            expected, err = coerce_expected(args["expected"])
            if err:
                raise AnsibleActionFail(err)

        lock_timeout = str(args["lock_timeout"])
        if not _DURATION_RE.match(lock_timeout) or re.match(r"^0+[a-z]*$", lock_timeout):
            raise AnsibleActionFail(
                "lock_timeout=%r is not a PostgreSQL duration above 0: give e.g. '30s' (the catalog read waits "
                "that long for a session that holds a lock on one of the database's tables, never longer)."
                % lock_timeout)

        maintenance = args["maintenance_database"]
        self._maintenance = maintenance
        queries = []
        result.update(changed=False, database=database, container=container, queries=queries)

        # 1. The database itself: one catalog round trip (alembic_version and properties included).
        targets = [("actual", database)]
        if expected_database:
            targets.append(("expected", expected_database))
        script = build_catalog_script(targets, properties=True)
        queries.append(script)
        # Reading the catalog opens the database's tables (index and view definitions): behind a session that
        # holds ACCESS EXCLUSIVE on one (a migration, VACUUM FULL, a LOCK TABLE) it would wait for as long as
        # that session lasts. lock_timeout ends the wait, and the run names the holder.
        settings = {"lock_timeout": lock_timeout}
        argv = build_psql_argv(container, login_user, maintenance, docker_cli=args["docker_cli"], settings=settings)
        result["cmd"] = argv
        sections = self._read_catalogs(argv, script, result, database)
        if sections is None:
            if "lock timeout" in (result.get("stderr") or ""):
                holders = self._lock_holders(container, login_user, database, args["docker_cli"], queries)
                result["msg"] = "Nothing was changed: the catalog of %s in %s could not be read. %s" % (
                    database, container, describe_blockers(
                        holders, lock_timeout, option="verify_lock_timeout", then="then run again."))
            return result
        actual = sections.get("actual") or {}
        result["database_exists"] = bool(actual.get("exists"))
        label = args["schema_label"] or (
            ("database %s" % expected_database) if expected_database else "the expected catalog")
        result["expected_source"] = label
        if not actual.get("exists"):
            verdict = missing_database_result(database, container)
            result.update(verdict, catalog={}, alembic_version=None, database_revision=None,
                          expected_revision=args["schema_revision"] or args["alembic_revision"] or None,
                          revision_relation="none", reference={}, properties={})
            return self._finish(result, args, database, label)
        versions = actual.get("alembic_version")
        result["properties"] = actual.get("properties") or {}

        # 2. What it is compared with.
        check_revision = args["alembic_revision"]
        if kind:
            ref = choose_reference(kind, args["schema_revision"], versions, args["alembic_history"])
            result.update(database_revision=ref["database_revision"], revision_relation=ref["relation"],
                          expected_revision=ref["revision"])
            # The source's revision means "the source's, or the database's own when the chain
            # knows it"; another revision given explicitly is held as it is.
            if check_revision is None or check_revision == args["schema_revision"]:
                check_revision = ref["revision"]
            if expected is not None and args["expected_revision"] == ref["revision"]:
                ref["why"] += ", built earlier in this run"
            else:
                expected = self._build_reference(args, ref, result, queries, database)
                if expected is None:
                    return result
            result["reference"] = dict(ref, catalog=expected)
        elif expected_database:
            exp = sections.get("expected") or {}
            if not exp.get("exists"):
                result.update(
                    failed=True,
                    msg="expected_database %r does not exist in container %r: build it from the "
                        "schema source first (the role fancai.db_runbooks.verify does)."
                        % (expected_database, container))
                return result
            expected = keyed_catalog(exp["catalog"])
        if not kind:
            rev = database_revision(versions)
            result.update(database_revision=rev, expected_revision=check_revision or None,
                          revision_relation=relation(None, rev, check_revision), reference={})

        catalog = keyed_catalog(actual["catalog"])
        verdict = compare_catalogs(
            catalog, expected,
            alembic_revision=check_revision or None,
            alembic_version=versions,
            require_populated=args["require_populated"],
        )
        if args["expected_properties"]:
            lines = compare_properties(args["expected_properties"], result["properties"])
            verdict["different"] += ["database %s: %s" % (database, line) for line in lines]
            verdict["summary"].append("database properties %s%s" % (
                BAD_MARK if lines else OK_MARK, (" (%d different)" % len(lines)) if lines else ""))
            verdict["ok"] = verdict["ok"] and not lines
        if kind:
            # Built by the chain, the reference is the application's migrations, whatever the source.
            shown = label if result["reference"]["build"] == "sql" or kind == "alembic" else source_label(
                "alembic", backend_container=args["backend_container"], revision=result["expected_revision"])
            verdict["summary"].insert(0, "schema from %s, at %s (%s)" % (
                shown, result["expected_revision"], result["reference"]["why"]))
        result.update(verdict, catalog=catalog, alembic_version=versions)
        return self._finish(result, args, database, label)

    def _lock_holders(self, container, login_user, database, docker_cli, queries):
        """Who holds locks on *database*'s tables now, read-only; [] when that cannot be read."""
        argv = build_psql_argv(container, login_user, database, docker_cli=docker_cli,
                               settings={"default_transaction_read_only": "on", "lock_timeout": "2s"})
        return self._rows_for_message(argv, BLOCKERS_QUERY, queries)

    def _read_catalogs(self, argv, script, result, database):
        rc, stdout, stderr = self._psql_run(argv, script=script)
        if rc != 0:
            result.update(failed=True, rc=rc, stderr=stderr,
                          msg=describe_failure(rc, stderr, self._psql_container, database, self._login_user))
            return None
        try:
            return parse_catalog_output(stdout)
        except (ValueError, IndexError, KeyError) as exc:
            result.update(failed=True, stdout=stdout[:2000],
                          msg="could not read the catalog psql printed (%s)" % exc)
            return None

    def _build_reference(self, args, ref, result, queries, database):
        """Build the expected schema in a scratch database, read its catalog, drop it (finally)."""
        container = self._psql_container
        scratch = "%s%s" % (args["scratch_prefix"], uuid.uuid4().hex[:8])
        err = check_identifier(scratch, "scratch database")
        if err:
            raise AnsibleActionFail(err)
        result["scratch_database"] = scratch
        docker_cli = args["docker_cli"]
        maint_argv = build_psql_argv(container, self._login_user, self._maintenance, docker_cli=docker_cli)
        create = "\n".join([
            # A new name per call: it cannot exist, and if it did, CREATE fails rather than replace it.
            "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8';" % quote_ident(scratch),
            # The mark with the server's time: a later run drops it if this one is killed first.
            "DO $$BEGIN EXECUTE format('COMMENT ON DATABASE %%I IS %%L', %s, %s || to_char(now() AT TIME "
            "ZONE 'UTC', ' YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || ', dropped at the end of its run'); END$$;"
            % (quote_literal(scratch), quote_literal(args["scratch_marker"])),
            "\\connect %s" % scratch,
        ] + ["CREATE EXTENSION IF NOT EXISTS %s;" % quote_ident(e) for e in args["extensions"]]) + "\n"
        queries.append(create)
        what = "the expected schema (%s)" % ref["why"]
        lead = ("Could not verify %s against %s (nothing was changed; the scratch database %s is dropped): "
                % (database, args["schema_label"], scratch))
        try:
            rc, stdout, stderr = self._psql_run(maint_argv, script=create)
            if rc != 0:
                result.update(failed=True, rc=rc, stderr=stderr, msg=lead + "could not create it: %s" % (
                    describe_failure(rc, stderr, container, scratch, self._login_user)))
                return None
            if ref["build"] == "sql":
                argv = build_psql_argv(container, self._login_user, scratch, docker_cli=docker_cli,
                                       single_transaction=True, settings=args["schema_settings"])
                queries.append(shorten_statement(args["schema_sql"]))
                rc, stdout, stderr = self._psql_run(argv, script=args["schema_sql"])
                if rc != 0:
                    msg = describe_failure(rc, stderr, container, scratch, self._login_user)
                    result.update(failed=True, rc=rc, stderr=stderr,
                                  msg=lead + "building %s failed: %s"
                                      % (what, msg.replace("<stdin>", args["schema_label"])))
                    return None
            else:
                if not args["backend_container"]:
                    raise AnsibleActionFail("the reference is the application's chain, but no "
                                            "backend_container was given.")
                argv, stdin = runner_command(args["backend_container"], ["upgrade", ref["revision"]],
                                             database=scratch, url_variable=args["url_variable"],
                                             docker_cli=docker_cli, timeout=self._psql_timeout)
                queries.append("alembic upgrade %s (in %s, against %s)"
                               % (ref["revision"], args["backend_container"], scratch))
                if self._psql_timeout:
                    argv = docker_with_timeout(argv, self._psql_timeout + 15)
                rc, stdout, stderr = self._host_run(argv, in_data=stdin)
                parsed = parse_runner(rc, stdout, stderr)
                if not parsed.get("ok"):
                    result.update(
                        failed=True, rc=rc,
                        msg=lead + "building %s, the application's migrations failed (revision %s: %s). %s"
                            % (what, parsed.get("failed_revision") or "?",
                               parsed.get("error") or describe_problem(parsed, args["backend_container"],
                                                                       args["url_variable"]),
                               (parsed.get("output") or "")[-1500:]))
                    return None
            read = build_catalog_script([("expected", scratch)])
            queries.append(read)
            sections = self._read_catalogs(maint_argv, read, result, scratch)
            if sections is None:
                return None
            exp = sections.get("expected") or {}
            if not exp.get("exists") or not exp.get("catalog"):
                result.update(failed=True, msg="the scratch database %s vanished before it was read" % scratch)
                return None
            return keyed_catalog(exp["catalog"])
        finally:
            drop = "DROP DATABASE IF EXISTS %s WITH (FORCE);\n" % quote_ident(scratch)
            queries.append(drop)
            rc, stdout, stderr = self._psql_run(maint_argv, script=drop)
            if rc != 0:
                result.setdefault("warnings", []).append(
                    "Could not drop the scratch database %s (%s); a later verify drops it once it is an "
                    "hour old." % (scratch, (stderr or "").strip()[:200]))

    @staticmethod
    def _finish(result, args, database, source):
        result["msg"] = "; ".join(result["summary"])
        if args["fail_on_difference"] and not result["ok"]:
            result["failed"] = True
            result["msg"] = describe_differences(database, source, result)
        return result
