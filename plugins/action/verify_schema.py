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

from ansible.errors import AnsibleActionFail

from ansible_collections.fancai.db_runbooks.plugins.action.psql import (
    CONNECTION_ARGSPEC,
    PsqlActionBase,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._catalog import (
    build_catalog_script,
    coerce_expected,
    compare_catalogs,
    describe_differences,
    keyed_catalog,
    missing_database_result,
    parse_catalog_output,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    build_psql_argv,
    check_identifier,
    describe_failure,
)

_ARGSPEC = dict(
    CONNECTION_ARGSPEC,
    database=dict(type="str", required=True),
    expected_database=dict(type="str"),
    expected=dict(type="dict"),
    alembic_revision=dict(type="str"),
    require_populated=dict(type="bool", default=True),
    fail_on_difference=dict(type="bool", default=False),
    maintenance_database=dict(type="str", default="postgres"),
)


class ActionModule(PsqlActionBase):
    """Compare a database's catalog with an expected one, read-only."""

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp

        validation, args = self.validate_argument_spec(
            argument_spec=_ARGSPEC,
            mutually_exclusive=[("expected_database", "expected")],
            required_one_of=[("expected_database", "expected")],
        )
        del validation

        container, login_user = self._psql_target(args, task_vars)
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
        expected = None
        if args["expected"] is not None:
            expected, err = coerce_expected(args["expected"])
            if err:
                raise AnsibleActionFail(err)

        targets = [("actual", database)]
        if expected_database:
            targets.append(("expected", expected_database))
        script = build_catalog_script(targets)
        argv = build_psql_argv(container, login_user, args["maintenance_database"],
                               docker_cli=args["docker_cli"])
        source = ("database %s" % expected_database) if expected_database else "the expected catalog"
        result.update(
            changed=False,
            cmd=argv,
            queries=[script],
            database=database,
            container=container,
            expected_source=source,
        )

        rc, stdout, stderr = self._psql_run(argv, script=script)
        if rc != 0:
            result.update(failed=True, rc=rc, stderr=stderr,
                          msg=describe_failure(rc, stderr, container, database, login_user))
            return result
        try:
            sections = parse_catalog_output(stdout)
        except (ValueError, IndexError, KeyError) as exc:
            result.update(failed=True, stdout=stdout[:2000],
                          msg="could not read the catalog psql printed (%s)" % exc)
            return result

        actual = sections.get("actual") or {}
        result["database_exists"] = bool(actual.get("exists"))
        if not actual.get("exists"):
            verdict = missing_database_result(database, container)
            result.update(verdict, catalog={}, alembic_version=None)
            return self._finish(result, args, database, source)

        if expected_database:
            exp = sections.get("expected") or {}
            if not exp.get("exists"):
                result.update(
                    failed=True,
                    msg="expected_database %r does not exist in container %r: build it from the "
                        "schema source first (the role fancai.db_runbooks.verify does)."
                        % (expected_database, container))
                return result
            expected = keyed_catalog(exp["catalog"])

        catalog = keyed_catalog(actual["catalog"])
        verdict = compare_catalogs(
            catalog, expected,
            alembic_revision=args["alembic_revision"] or None,
            alembic_version=actual.get("alembic_version"),
            require_populated=args["require_populated"],
        )
        result.update(verdict, catalog=catalog, alembic_version=actual.get("alembic_version"))
        return self._finish(result, args, database, source)

    @staticmethod
    def _finish(result, args, database, source):
        result["msg"] = "; ".join(result["summary"])
        if args["fail_on_difference"] and not result["ok"]:
            result["failed"] = True
            result["msg"] = describe_differences(database, source, result)
        return result
