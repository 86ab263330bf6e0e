# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind fancai.db_runbooks.alembic_version (documentation: plugins/modules/alembic_version.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible.errors import AnsibleActionFail

from ansible_collections.fancai.db_runbooks.plugins.action.psql import (
    CONNECTION_ARGSPEC,
    PsqlActionBase,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    ROWS_MARKER,
    alembic_read_script,
    alembic_stamp_statements,
    build_psql_argv,
    build_script,
    describe_failure,
)

_ARGSPEC = dict(
    database=dict(type="str", required=True),
    revision=dict(type="str", required=True),
    **CONNECTION_ARGSPEC
)


class ActionModule(PsqlActionBase):
    """Leave exactly one alembic_version row, the wanted revision."""

    def run(self, tmp=None, task_vars=None):
        task_vars, result, args = self._begin(tmp, task_vars, _ARGSPEC)

        revision = args["revision"]
        if not re.match(r"^[A-Za-z0-9_.-]{1,32}$", revision):
            raise AnsibleActionFail(
                "revision %r does not fit alembic_version.version_num: use 1 to 32 letters, digits, "
                "'_', '.' or '-' (for example 'enum_checks_2025')." % revision)
        container, login_user = self._psql_target(args, task_vars)
        database = args["database"]
        argv = build_psql_argv(container, login_user, database, docker_cli=args["docker_cli"])

        # One round trip: psql's \if reads the table only when it exists.
        read = alembic_read_script()
        rc, stdout, stderr = self._psql_run(argv, script=read)
        if rc != 0:
            result.update(failed=True, rc=rc, stderr=stderr,
                          msg=describe_failure(rc, stderr, container, database, login_user))
            return result
        lines = stdout.splitlines()
        state = json.loads("\n".join(lines[lines.index(ROWS_MARKER) + 1:]))
        before = state["versions"]

        result.update(
            changed=before != [revision],
            database=database,
            container=container,
            revision=revision,
            previous=before,
            table_existed=state["has_table"],
            queries=[],
            diff=dict(
                before_header="%s: alembic_version" % database,
                after_header="%s: alembic_version" % database,
                before="".join(v + "\n" for v in before) if state["has_table"] else "(no table)\n",
                after=revision + "\n",
            ),
        )
        if not result["changed"]:
            return result

        statements = alembic_stamp_statements(revision)
        result["queries"] = statements
        if self._task.check_mode:
            return result
        argv = build_psql_argv(container, login_user, database, docker_cli=args["docker_cli"],
                               single_transaction=True)
        rc, stdout, stderr = self._psql_run(argv, script=build_script(statements))
        if rc != 0:
            result.update(failed=True, rc=rc, stderr=stderr,
                          msg=describe_failure(rc, stderr, container, database, login_user))
        return result
