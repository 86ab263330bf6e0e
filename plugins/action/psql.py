# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind fancai.db_runbooks.psql (documentation: plugins/modules/psql.py).

It runs ``docker exec -i <container> psql -X -v ON_ERROR_STOP=1 …`` through the
inventory host's connection (the docker host), with the SQL on stdin or a file
on the docker host redirected to stdin, so the PostgreSQL image needs no
Python and a large file is streamed by the shell, never held in memory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex
import uuid

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    build_psql_argv,
    build_script,
    check_container_name,
    describe_failure,
    parse_rows,
    shell_join,
    with_timeout,
    shorten_statement,
    TIMEOUT_RCS,
    describe_timeout,
)

_ARGSPEC = dict(
    container=dict(type="str"),
    login_user=dict(type="str"),
    database=dict(type="str", required=True),
    sql=dict(type="list", elements="str", default=[]),
    query=dict(type="str"),
    path=dict(type="path"),
    single_transaction=dict(type="bool", default=False),
    read_only=dict(type="bool"),
    variables=dict(type="dict", default={}),
    settings=dict(type="dict", default={}),
    docker_cli=dict(type="str"),
    timeout=dict(type="int"),
)


# The connection options every action plugin of the collection that runs psql
# accepts (fancai.db_runbooks.psql, fancai.db_runbooks.verify_schema).
CONNECTION_ARGSPEC = dict(
    container=dict(type="str"),
    login_user=dict(type="str"),
    docker_cli=dict(type="str"),
    timeout=dict(type="int"),
)

# Seconds one psql call may take before it is ended, unless the task or
# db_runbooks_step_timeout says otherwise (a paused container must not hang a
# run at 3 a.m. for ever).
DEFAULT_STEP_TIMEOUT = 3600

# Prefix of the stderr _psql_run returns when it ended a call that timed out.
TIMEOUT_MARK = "db_runbooks step timeout: "


class HostCommandActionBase(ActionBase):
    """Runs commands on the docker host through the inventory host's connection."""

    TRANSFERS_FILES = False
    _requires_connection = True
    _supports_check_mode = True
    _supports_async = False

    def _begin(self, tmp, task_vars, argument_spec, **spec_kwargs):
        """The start every action shares: (task_vars, result, args) with the args validated."""
        task_vars = task_vars or {}
        result = super(HostCommandActionBase, self).run(tmp, task_vars)
        validation, args = self.validate_argument_spec(argument_spec=argument_spec, **spec_kwargs)
        del validation
        return task_vars, result, args

    @staticmethod
    def _preflight_target(task_vars):
        """What the role fancai.db_runbooks.preflight checked (a dict, {} before it ran)."""
        target = task_vars.get("preflight_target") or {}
        return target if isinstance(target, dict) else {}

    def _docker_cli(self, args, task_vars):
        """The docker client: the task's, else the one preflight used, else docker."""
        return args.get("docker_cli") or self._preflight_target(task_vars).get("docker_cli") or "docker"

    def _host_run(self, argv, in_data=None):
        """Run *argv* with /bin/sh on the docker host; (rc, stdout, stderr) as text."""
        res = self._low_level_execute_command(shell_join(argv), in_data=in_data, executable="/bin/sh")
        return res.get("rc"), to_text(res.get("stdout", "")), to_text(res.get("stderr", ""))


class PsqlActionBase(HostCommandActionBase):
    """What the collection's action plugins share: find the target, run psql on the docker host."""

    def _psql_target(self, args, task_vars):
        """Return (container, login_user) from the task's args or preflight_target."""
        # Roles run fancai.db_runbooks.preflight first; it leaves the container it
        # checked in preflight_target, so no task has to name it again.
        target = self._preflight_target(task_vars)
        container = args.get("container") or target.get("container")
        login_user = args.get("login_user") or target.get("login_user") or "postgres"
        if not container:
            raise AnsibleActionFail(
                "no container given: pass container=… or run the role "
                "fancai.db_runbooks.preflight first (it sets preflight_target)."
            )
        err = check_container_name(container)
        if err:
            raise AnsibleActionFail(err)
        # The docker client preflight used, unless the task names another.
        args["docker_cli"] = self._docker_cli(args, task_vars)
        timeout = args.get("timeout")
        if timeout is None:
            timeout = task_vars.get("db_runbooks_step_timeout", DEFAULT_STEP_TIMEOUT)
        try:
            self._psql_timeout = int(timeout)
        except (TypeError, ValueError):
            raise AnsibleActionFail(
                "timeout (or db_runbooks_step_timeout) %r is not a number of seconds: give an "
                "integer, 0 for no limit." % (timeout,))
        self._psql_container = container
        self._psql_docker_cli = args["docker_cli"]
        # Tags this call's session in pg_stat_activity (see _psql_run).
        self._psql_appname = "db_runbooks_%s" % uuid.uuid4().hex[:12]
        return container, login_user

    def _psql_run(self, argv, script=None, path=None):
        """Run psql's argv on the docker host: *script* on stdin, or the file *path* redirected.

        The call is bounded by the step timeout; one that times out is ended on
        the docker host, its backend terminated when the server still answers,
        and stderr then starts with TIMEOUT_MARK and says what hung.
        Returns (rc, stdout, stderr) as text.
        """
        # Set by _psql_target; a plugin that runs other docker commands sets its own bound.
        timeout = getattr(self, "_psql_timeout", 0)
        appname = getattr(self, "_psql_appname", None)
        if appname and len(argv) > 2 and argv[1:3] == ["exec", "-i"]:
            argv = argv[:3] + ["-e", "PGAPPNAME=%s" % appname] + argv[3:]
        command = with_timeout(shell_join(argv), timeout)
        if path:
            command = "%s < %s" % (command, shlex.quote(path))
        res = self._low_level_execute_command(
            command,
            in_data=to_bytes(script) if script is not None else None,
            executable="/bin/sh",
        )
        rc, stdout, stderr = res.get("rc"), to_text(res.get("stdout", "")), to_text(res.get("stderr", ""))
        if timeout and rc in TIMEOUT_RCS:
            stderr = TIMEOUT_MARK + self._psql_timed_out(argv, timeout, appname)
        return rc, stdout, stderr

    def _rows_for_message(self, argv, query, queries):
        """Run a read-only *query* for a message (e.g. who holds locks); its rows, or [] when it cannot be read."""
        queries.append(query)
        rc, stdout, _ = self._psql_run(argv, script=build_script(None, query))
        if rc != 0:
            return []
        try:
            return parse_rows(stdout) or []
        except ValueError:
            return []

    def _psql_timed_out(self, argv, timeout, appname):
        """After a timeout: ask the container's state, end the call's backend, word it."""
        docker = shlex.quote(getattr(self, "_psql_docker_cli", "docker"))
        container = getattr(self, "_psql_container", "?")
        res = self._low_level_execute_command(
            "timeout -k 2 5 %s inspect --type container --format '{{.State.Status}}' %s"
            % (docker, shlex.quote(container)), executable="/bin/sh")
        state = to_text(res.get("stdout", "")).strip() if res.get("rc") == 0 else None
        if state == "running" and appname:
            # The docker client was ended, not psql in the container: end its session too.
            sql = ("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
                   "WHERE application_name = '%s'" % appname)
            self._low_level_execute_command(
                "timeout -k 2 10 %s exec -i %s psql -X -q -At -U %s -d postgres -c %s"
                % (docker, shlex.quote(container), shlex.quote(argv[argv.index("-U") + 1]) if "-U" in argv
                   else "postgres", shlex.quote(sql)), executable="/bin/sh")
        database = argv[argv.index("-d") + 1] if "-d" in argv else "?"
        return describe_timeout(container, database, timeout, state)


class ActionModule(PsqlActionBase):
    """Run SQL in a PostgreSQL container through ``docker exec … psql``."""

    def run(self, tmp=None, task_vars=None):
        task_vars, result, args = self._begin(tmp, task_vars, _ARGSPEC)

        container, login_user = self._psql_target(args, task_vars)

        statements = args["sql"]
        query = args["query"]
        path = args["path"]
        if not (statements or query or path):
            raise AnsibleActionFail("nothing to run: give sql, query or path.")
        if path and (statements or query):
            raise AnsibleActionFail(
                "path is streamed alone: run sql/query in a separate task."
            )
        read_only = args["read_only"]
        if read_only is None:
            read_only = bool(query) and not statements and not path

        argv = build_psql_argv(
            container,
            login_user,
            args["database"],
            docker_cli=args["docker_cli"],
            single_transaction=args["single_transaction"],
            variables=args["variables"],
            settings=args["settings"],
        )
        if path:
            queries = ["\\i %s" % path]
            script = None
        else:
            # A schema file sent as one statement is shown by its head: the whole
            # text in every result would flood -v output and AWX job events.
            queries = [shorten_statement(s) for s in statements if s.strip()] + ([query] if query else [])
            script = build_script(statements, query)

        result.update(
            changed=False,
            cmd=argv,
            queries=queries,
            database=args["database"],
            container=container,
            rows=[],
            rowcount=0,
        )

        if self._task.check_mode and not read_only:
            # Nothing is sent: report what would run.
            result.update(changed=True, skipped_reason="check mode: SQL not run",
                          msg="check mode: would run %d statement(s) in database %r"
                          % (len(queries), args["database"]))
            return result

        rc, stdout, stderr = self._psql_run(argv, script=script, path=path)
        result.update(
            rc=rc,
            stderr=stderr,
            stderr_lines=stderr.splitlines(),
        )
        if rc != 0:
            result.update(
                failed=True,
                stdout=stdout,
                msg=describe_failure(
                    rc, stderr, container, args["database"], login_user,
                    source=path,
                ),
            )
            return result

        try:
            rows = parse_rows(stdout) if query else None
        except ValueError as exc:
            result.update(failed=True, stdout=stdout,
                          msg="psql printed rows that are not JSON (%s): %s" % (exc, stdout[:500]))
            return result
        if rows is not None:
            result.update(rows=rows, rowcount=len(rows))
        else:
            result.update(stdout=stdout, stdout_lines=stdout.splitlines())
        result["changed"] = not read_only
        return result

