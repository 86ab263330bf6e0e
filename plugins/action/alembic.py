# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind fancai.db_runbooks.alembic (documentation: plugins/modules/alembic.py).

It runs the application's own Alembic inside its backend container through
``docker exec -i <backend> python3 -`` on the docker host (the inventory host's
connection), with a small script on standard input that reads the database URL
from the container's environment and never prints its password (see
plugins/module_utils/_alembic.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.fancai.db_runbooks.plugins.action.psql import (
    DEFAULT_STEP_TIMEOUT,
    HostCommandActionBase,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._alembic import (
    REVISION_RE,
    describe_command,
    describe_problem,
    describe_timeout,
    fmt_revisions,
    parse_runner,
    resolve_target,
    revision_relation,
    runner_command,
    upgrade_path,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    TIMEOUT_RCS,
    shell_join,
    with_timeout,
)

_ARGSPEC = dict(
    container=dict(type="str", required=True),
    command=dict(type="str", default="state", choices=["state", "upgrade"]),
    revision=dict(type="str", default="head"),
    database=dict(type="str"),
    url_variable=dict(type="str", default="DATABASE_URL"),
    docker_cli=dict(type="str"),
    timeout=dict(type="int"),
)

# Seconds the docker host waits beyond the runner's own limit before it ends
# the docker exec (the runner ends alembic itself first and reports it).
_HOST_GRACE = 15


class ActionModule(HostCommandActionBase):
    """alembic current/heads/history, or alembic upgrade, in the application's backend container."""

    def run(self, tmp=None, task_vars=None):
        task_vars, result, args = self._begin(tmp, task_vars, _ARGSPEC)

        container = args["container"]
        command = args["command"]
        revision = args["revision"]
        database = args["database"] or None
        url_variable = args["url_variable"]
        if not REVISION_RE.match(revision or ""):
            raise AnsibleActionFail(
                "revision %r is not an Alembic revision: give an id such as 'reading_goals_2026', or head."
                % (revision,))
        docker_cli = self._docker_cli(args, task_vars)
        timeout = args["timeout"]
        if timeout is None:
            timeout = task_vars.get("db_runbooks_step_timeout", DEFAULT_STEP_TIMEOUT)
        try:
            timeout = int(timeout)
            if timeout < 0:
                raise ValueError(timeout)
        except (TypeError, ValueError):
            raise AnsibleActionFail(
                "timeout (or db_runbooks_step_timeout) %r is not a number of seconds: give an integer, "
                "0 for no limit." % (timeout,))

        run_upgrade = command == "upgrade" and not self._task.check_mode
        alembic_args = ["upgrade", revision] if run_upgrade else ["state"]
        try:
            argv, stdin = runner_command(container, alembic_args, database=database,
                                         url_variable=url_variable, docker_cli=docker_cli,
                                         timeout=timeout)
        except ValueError as exc:
            raise AnsibleActionFail(to_text(exc))

        result.update(
            changed=False,
            cmd=argv,
            queries=describe_command(alembic_args, database=database, url_variable=url_variable),
            container=container,
            command=command,
            revision=revision,
        )

        shell = with_timeout(shell_join(argv), timeout + _HOST_GRACE if timeout else 0)
        res = self._low_level_execute_command(shell, in_data=stdin, executable="/bin/sh")
        rc = res.get("rc")
        stdout, stderr = to_text(res.get("stdout", "")), to_text(res.get("stderr", ""))
        parsed = parse_runner(rc, stdout, stderr)
        for key in ("rc", "output", "current", "previous", "heads", "history", "failed_revision",
                    "error", "problem", "url", "database"):
            result[key] = parsed[key]

        if timeout and rc in TIMEOUT_RCS and parsed["problem"] not in ("timeout", "alembic"):
            result.update(failed=True, problem="timeout",
                          msg=describe_timeout(container, timeout, self._container_state(docker_cli, container)))
            return result

        self._plan(result, parsed, revision)
        if command == "state":
            if not parsed["ok"]:
                result.update(failed=True, msg=describe_problem(parsed, container, url_variable, timeout))
            return result

        return self._upgrade(result, parsed, container, revision, url_variable, timeout)

    @staticmethod
    def _plan(result, parsed, revision):
        """target, pending and relation: what *revision* means against the state read before any change."""
        history = parsed["history"]
        before = parsed["previous"] if parsed["previous"] is not None else parsed["current"]
        targets = resolve_target(history or [], parsed["heads"] or [], revision) \
            if history is not None and parsed["heads"] is not None else None
        result["target"] = targets
        result["pending"] = upgrade_path(history, before, targets) \
            if targets is not None and before is not None else None
        relation = None
        if targets is not None and before is not None and len(targets) == 1 and len(before) <= 1:
            relation = revision_relation(history, before[0], targets[0]) if before else "older"
        result["relation"] = relation

    def _upgrade(self, result, parsed, container, revision, url_variable, timeout):
        check_mode = bool(self._task.check_mode)
        where = "database %s" % parsed["database"] if parsed.get("database") else "its database"
        if check_mode:
            if not parsed["ok"]:
                result.update(failed=True, msg=describe_problem(parsed, container, url_variable, timeout))
                return result
            current, targets, pending = parsed["current"], result["target"], result["pending"]
            if targets is not None and sorted(current or []) == sorted(targets):
                result["msg"] = "%s in %s is already at %s: nothing to upgrade." % (
                    where, container, fmt_revisions(current))
                return result
            result.update(
                skipped=True,
                skipped_reason="check mode: alembic upgrade not run",
                msg="check mode: would run `alembic upgrade %s` in %s for %s, now at %s%s." % (
                    revision, container, where, fmt_revisions(current),
                    "; it would apply %s" % ", ".join(pending) if pending else ""),
            )
            return result

        previous, current = parsed["previous"], parsed["current"]
        result["changed"] = previous is not None and current is not None and sorted(previous) != sorted(current)
        if parsed["ok"]:
            if result["changed"]:
                result["msg"] = "%s in %s upgraded from %s to %s." % (
                    where, container, fmt_revisions(previous), fmt_revisions(current))
            else:
                result["msg"] = "%s in %s is already at %s: nothing to upgrade." % (
                    where, container, fmt_revisions(current))
            return result

        msg = describe_problem(parsed, container, url_variable, timeout)
        if parsed["problem"] in ("alembic", "timeout") and previous is not None:
            if current is None:
                msg += " What %s is at now could not be read (it was at %s)." % (where, fmt_revisions(previous))
            elif sorted(current) == sorted(previous):
                msg += " %s is still at %s." % (where[0].upper() + where[1:], fmt_revisions(current))
            else:
                msg += " %s moved from %s to %s before the failure." % (
                    where[0].upper() + where[1:], fmt_revisions(previous), fmt_revisions(current))
        result.update(failed=True, msg=msg)
        return result

    def _container_state(self, docker_cli, container):
        """The backend container's state after a timeout (paused, exited, running), or None."""
        res = self._low_level_execute_command(
            "timeout -k 2 5 %s inspect --type container --format '{{.State.Status}}' %s"
            % (shlex.quote(docker_cli), shlex.quote(container)), executable="/bin/sh")
        return to_text(res.get("stdout", "")).strip() if res.get("rc") == 0 else None
