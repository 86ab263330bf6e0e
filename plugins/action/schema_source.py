# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind fancai.db_runbooks.schema_source (documentation: plugins/modules/schema_source.py).

It reads a schema file (on the controller, or inside a container with
``docker exec <container> cat <path>`` on the docker host), checks it with
plugins/module_utils/_schema_guard.py before anything is touched, and returns
what was checked: its size, sha256, the allowed meta-commands in it and, when
asked, the text psql is to be given. Read-only: never changed, runs in check mode.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.fancai.db_runbooks.plugins.action.psql import PsqlActionBase
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    check_container_name,
    check_identifier,
    shell_join,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._schema_guard import (
    SchemaRefused,
    check_schema,
    load_script,
    new_restrict_key,
    psql_has_restrict,
)

_ARGSPEC = dict(
    path=dict(type="str", required=True),
    container=dict(type="str", default=""),
    database=dict(type="str", required=True),
    return_content=dict(type="bool", default=False),
    restrict=dict(type="bool"),
    sha256=dict(type="str", default=""),
    max_size=dict(type="int", default=64 * 1024 * 1024),
    docker_cli=dict(type="str"),
)


class ActionModule(PsqlActionBase):
    """Check a schema source before anything is touched; return what was checked."""

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        validation, args = self.validate_argument_spec(argument_spec=_ARGSPEC)
        del validation

        path = args["path"]
        container = args["container"] or ""
        database = args["database"]
        err = check_identifier(database, "database")
        if err:
            raise AnsibleActionFail(err)
        target = task_vars.get("preflight_target") or {}
        if not isinstance(target, dict):
            target = {}
        docker_cli = args["docker_cli"] or target.get("docker_cli") or "docker"

        if container:
            err = check_container_name(container)
            if err:
                raise AnsibleActionFail(err)
            if not path.startswith("/"):
                raise AnsibleActionFail(
                    "Schema file %r inside container %s must be an absolute path (e.g. "
                    "/app/alembic/schema_backup.sql): nothing was touched." % (path, container))
            label = "%s:%s" % (container, path)
            cmd = [docker_cli, "exec", container, "cat", path]
            data = self._read_in_container(cmd, container, path, label)
        else:
            path = os.path.abspath(os.path.expanduser(path))
            label = path
            cmd = []
            data = self._read_on_controller(path, label, args["max_size"])

        result.update(changed=False, label=label, path=path, container=container, database=database,
                      cmd=cmd, queries=[])
        if len(data) > args["max_size"]:
            return self._refuse(result, self._too_big(label, len(data), args["max_size"]))
        try:
            found = check_schema(data, database, label, path=path, container=container or None)
        except SchemaRefused as exc:
            return self._refuse(result, str(exc), line=exc.line, command=exc.command)
        del data
        if args["sha256"] and args["sha256"].lower() != found["sha256"]:
            return self._refuse(result, (
                "Schema file %s changed after it was checked (sha256 %s, now %s): nothing was touched. "
                "Run again once nothing writes to it." % (label, args["sha256"], found["sha256"])))

        restrict = args["restrict"]
        if restrict is None:
            # psql runs in the PostgreSQL container, so it has the server's version.
            restrict = psql_has_restrict(target.get("server_version_num"))
        result.update(
            size=found["size"],
            sha256=found["sha256"],
            lines=found["lines"],
            meta_commands=found["meta_commands"],
            restricted=bool(restrict),
            msg="%s: %d lines, %d bytes, sha256 %s; %s" % (
                label, found["lines"], found["size"], found["sha256"],
                ("meta-commands pg_dump writes, left out of the load: %s" % ", ".join(
                    "%s (line %d)" % (m["command"], m["line"]) for m in found["meta_commands"]))
                if found["meta_commands"] else "no psql meta-commands"),
        )
        if args["return_content"]:
            result["content"] = load_script(found["text"], new_restrict_key() if restrict else None)
        return result

    @staticmethod
    def _refuse(result, msg, line=None, command=None):
        result.update(failed=True, msg=msg)
        if line is not None:
            result["line"] = line
        if command is not None:
            result["command"] = command
        return result

    @staticmethod
    def _too_big(label, size, limit):
        return (
            "Schema file %s is %d MiB, more than the %d MiB a schema source may have here: nothing was "
            "touched. A schema file is DDL (pg_dump --schema-only); a dump with data is restored with "
            "pg_restore from a custom-format backup (see the backup role's README)."
            % (label, size // (1024 * 1024), limit // (1024 * 1024)))

    def _read_on_controller(self, path, label, limit):
        if not os.path.exists(path):
            raise AnsibleActionFail(
                "Schema file %s does not exist on the controller: nothing was touched. Give the path of "
                "a .sql file (db_runbooks_schema_file), or leave db_runbooks_schema_file unset for the "
                "bundled enum_checks_2025 DDL." % label)
        if not os.path.isfile(path):
            raise AnsibleActionFail(
                "Schema file %s on the controller is not a regular file: nothing was touched. Give the "
                "path of a .sql file (db_runbooks_schema_file)." % label)
        try:
            with open(path, "rb") as f:
                return f.read(limit + 1)
        except (IOError, OSError) as exc:
            raise AnsibleActionFail(
                "Schema file %s cannot be read on the controller (%s): nothing was touched. Check its "
                "permissions for the user running Ansible." % (label, exc.strerror or exc))

    def _read_in_container(self, cmd, container, path, label):
        res = self._low_level_execute_command(shell_join(cmd), executable="/bin/sh",
                                              encoding_errors="surrogateescape")
        rc = res.get("rc")
        stderr = (res.get("stderr") or "").strip()
        if rc != 0:
            first = stderr.splitlines()[0] if stderr else "no message"
            if "No such container" in stderr:
                why = "container %s does not exist on this docker host" % container
                fix = "check the name with `docker ps --format '{{.Names}}'` (db_runbooks_schema_file_container)"
            elif "is not running" in stderr or "is paused" in stderr or "is restarting" in stderr:
                why = "container %s is not running (%s)" % (container, first)
                fix = "start it with `docker start %s`" % container
            elif "No such file" in stderr or "can't open" in stderr:
                why = "it does not exist in container %s" % container
                fix = "check the path with `docker exec %s ls -l %s`" % (container, path)
            elif "Is a directory" in stderr:
                why = "it is a directory"
                fix = "give the path of the .sql file in it"
            elif "Permission denied" in stderr and "docker" not in first.lower():
                why = "it cannot be read in container %s (%s)" % (container, first)
                fix = "check its permissions with `docker exec %s ls -l %s`" % (container, path)
            else:
                why = "`%s` exited with %s (%s)" % (" ".join(cmd), rc, first)
                fix = "check that docker answers and the container runs"
            raise AnsibleActionFail("Schema file %s cannot be read: %s: nothing was touched. Fix: %s."
                                    % (label, why, fix))
        return to_bytes(res.get("stdout") or "", errors="surrogateescape")
