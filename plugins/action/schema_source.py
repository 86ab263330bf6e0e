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
from ansible_collections.fancai.db_runbooks.plugins.module_utils._alembic import (
    parse_runner,
    runner_command,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._docker import (
    build_inspect_argv,
    is_missing_container,
    parse_inspect,
    with_timeout,
)
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
from ansible_collections.fancai.db_runbooks.plugins.module_utils._schema_source import (
    GUIDE_WARNING,
    resolve_source,
    source_label,
    source_problem,
)

_ARGSPEC = dict(
    path=dict(type="str", default=""),
    container=dict(type="str", default=""),
    source=dict(type="str", default="file", choices=["auto", "file", "backend", "alembic", "guide"]),
    backend_container=dict(type="str", default=""),
    backend_path=dict(type="str", default="/app/alembic/schema_backup.sql"),
    guide_path=dict(type="str", default=""),
    revision=dict(type="str", default=""),
    read_history=dict(type="bool", default=True),
    url_variable=dict(type="str", default="DATABASE_URL"),
    database=dict(type="str", required=True),
    return_content=dict(type="bool", default=False),
    restrict=dict(type="bool"),
    sha256=dict(type="str", default=""),
    max_size=dict(type="int", default=64 * 1024 * 1024),
    docker_cli=dict(type="str"),
)


# Seconds `alembic history` may take in the backend (it reads the migration files only).
HISTORY_TIMEOUT = 120


class ActionModule(PsqlActionBase):
    """Check a schema source before anything is touched; return what was checked."""

    def run(self, tmp=None, task_vars=None):
        task_vars, result, args = self._begin(tmp, task_vars, _ARGSPEC)

        source = args["source"]
        err = source_problem(source, args["path"], args["revision"])
        if err:
            raise AnsibleActionFail(err)
        database = args["database"]
        err = check_identifier(database, "database")
        if err:
            raise AnsibleActionFail(err)
        target = self._preflight_target(task_vars)
        docker_cli = self._docker_cli(args, task_vars)
        self._docker_cli = docker_cli

        backend_container = args["backend_container"]
        backend_path = args["backend_path"]
        backend = {"container": backend_container, "path": backend_path, "exists": False,
                   "running": False, "has_file": None}
        wants_backend = source in ("backend", "alembic") or (
            source == "auto" and not args["path"]) or (args["read_history"] and source != "guide")
        backend_data = None
        if backend_container and wants_backend:
            err = check_container_name(backend_container)
            if err:
                raise AnsibleActionFail("db_runbooks_backend_container: %s" % err)
            backend.update(self._inspect(backend_container))
            if source in ("backend", "alembic") and not backend["running"]:
                raise AnsibleActionFail(
                    "db_runbooks_schema_source=%s needs the backend container %s, which %s: nothing was "
                    "touched. Start it (docker start %s), set db_runbooks_backend_container to the "
                    "backend's name (docker ps --format '{{.Names}}'), or choose another source "
                    "(db_runbooks_schema_source=file with db_runbooks_schema_file, or guide)."
                    % (source, backend_container,
                       "is not running" if backend["exists"] else "does not exist on this docker host",
                       backend_container))
            if backend["running"] and source in ("auto", "backend") and not args["path"]:
                if not backend_path.startswith("/"):
                    raise AnsibleActionFail(
                        "db_runbooks_backend_schema_path=%r must be an absolute path inside the backend "
                        "container (e.g. /app/alembic/schema_backup.sql): nothing was touched." % backend_path)
                cmd = [docker_cli, "exec", backend_container, "cat", backend_path]
                rc, out, stderr = self._cat(cmd)
                backend["has_file"] = rc == 0
                if rc == 0:
                    backend_data = out
                elif source == "backend":
                    self._read_failed(cmd, rc, stderr, backend_container, backend_path,
                                      "%s:%s" % (backend_container, backend_path))
        elif source in ("backend", "alembic"):
            raise AnsibleActionFail(
                "db_runbooks_schema_source=%s needs db_runbooks_backend_container (the backend's container "
                "name, e.g. fancai-vibe-hackathon-backend-1): nothing was touched." % source)

        resolved = resolve_source(source, args["path"], backend)
        kind = resolved["kind"]
        history, history_error = None, None
        if backend["running"] and source != "guide" and (args["read_history"] or kind == "alembic"):
            history, history_error = self._history(backend_container, args["url_variable"])
            if kind == "alembic" and history is None:
                raise AnsibleActionFail(
                    "db_runbooks_schema_source=alembic: the Alembic chain of container %s cannot be read "
                    "(%s): nothing was touched. Check `docker exec %s alembic history` works, or choose "
                    "db_runbooks_schema_source=backend or file." % (backend_container, history_error,
                                                                    backend_container))
        if kind == "alembic" and args["revision"] not in [h.get("revision") for h in history or []]:
            raise AnsibleActionFail(
                "db_runbooks_alembic_revision=%s is not a revision of the application's chain in %s "
                "(known: %s): nothing was touched. Give one of those."
                % (args["revision"], backend_container,
                   ", ".join(h.get("revision") for h in history or []) or "none"))

        label = source_label(kind, file_path=args["path"], file_container=args["container"],
                             backend_container=backend_container, backend_path=backend_path,
                             revision=args["revision"])
        result.update(kind=kind, why=resolved["why"], label=label, revision=args["revision"],
                      history=history, history_error=history_error,
                      backend=dict((k, backend[k]) for k in ("container", "path", "exists", "running",
                                                              "has_file")))
        if kind == "guide":
            result["warning"] = GUIDE_WARNING
            # Shown once per run however often the source is checked (Ansible keeps one of each warning).
            result.setdefault("warnings", []).append(GUIDE_WARNING)
        if kind == "alembic":
            result.update(changed=False, path="", container=backend_container, database=database,
                          cmd=[], queries=[], size=0, sha256="", lines=0, meta_commands=[],
                          restricted=False, content="",
                          msg="schema from %s (%s)" % (label, resolved["why"]))
            return result

        if kind == "backend":
            path, container = backend_path, backend_container
            data = backend_data
            cmd = [docker_cli, "exec", backend_container, "cat", backend_path]
        elif kind == "guide":
            path, container = args["guide_path"], ""
            if not path:
                raise AnsibleActionFail("schema source guide: guide_path (the bundled DDL) was not given.")
        else:
            path, container = args["path"], args["container"] or ""
        if kind != "backend" and container:
            err = check_container_name(container)
            if err:
                raise AnsibleActionFail(err)
            if not path.startswith("/"):
                raise AnsibleActionFail(
                    "Schema file %r inside container %s must be an absolute path (e.g. "
                    "/app/alembic/schema_backup.sql): nothing was touched." % (path, container))
            cmd = [docker_cli, "exec", container, "cat", path]
            data = self._read_in_container(cmd, container, path, "%s:%s" % (container, path))
        elif kind != "backend":
            path = os.path.abspath(os.path.expanduser(path))
            cmd = []
            data = self._read_on_controller(path, path, args["max_size"])
        if kind in ("file", "guide") and not container:
            label = path if kind == "file" else label

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
            msg="schema from %s (%s): %d lines, %d bytes, sha256 %s; %s" % (
                label, resolved["why"], found["lines"], found["size"], found["sha256"],
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
                "a .sql file (db_runbooks_schema_file), or leave it unset: db_runbooks_schema_source=auto "
                "then takes the backend's schema_backup.sql (else the guide's DDL)." % label)
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

    def _inspect(self, name):
        rc, stdout, stderr = self._host_run(build_inspect_argv(name, docker_cli=self._docker_cli))
        if rc == 0:
            try:
                info = parse_inspect(stdout)
                return {"exists": True, "running": bool(info.get("up"))}
            except ValueError:
                pass
        if is_missing_container(rc, stderr):
            return {"exists": False, "running": False}
        raise AnsibleActionFail(
            "docker inspect %s failed (rc %s: %s): nothing was touched. Check that the docker engine "
            "answers (docker info)." % (name, rc, (stderr or "").strip()[:300]))

    def _history(self, container, url_variable):
        """The parsed ``alembic history`` of the backend, or (None, why)."""
        argv, stdin = runner_command(container, ["history"], url_variable=url_variable,
                                     docker_cli=self._docker_cli, timeout=HISTORY_TIMEOUT)
        argv = with_timeout(argv, HISTORY_TIMEOUT + 15)
        rc, stdout, stderr = self._host_run(argv, in_data=stdin)
        parsed = parse_runner(rc, stdout, stderr)
        if not parsed.get("ok") or not parsed.get("history"):
            return None, parsed.get("error") or (parsed.get("output") or "no history")[-300:]
        return parsed["history"], None

    def _cat(self, cmd):
        res = self._low_level_execute_command(shell_join(cmd), executable="/bin/sh",
                                              encoding_errors="surrogateescape")
        return (res.get("rc"), to_bytes(res.get("stdout") or "", errors="surrogateescape"),
                (res.get("stderr") or "").strip())

    def _read_in_container(self, cmd, container, path, label):
        rc, data, stderr = self._cat(cmd)
        if rc != 0:
            self._read_failed(cmd, rc, stderr, container, path, label)
        return data

    @staticmethod
    def _read_failed(cmd, rc, stderr, container, path, label):
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
