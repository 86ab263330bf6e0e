# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind fancai.db_runbooks.run_lock (documentation: plugins/modules/run_lock.py).

Takes (or releases) the lock of one container and database on the docker host,
through the inventory host's connection, for the rest of the ansible-playbook
run. The shell it runs and the wording of its answers are in
plugins/module_utils/_run_lock.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import getpass
import os
import socket

from ansible import context
from ansible.errors import AnsibleActionFail

from ansible_collections.fancai.db_runbooks.plugins.action.psql import HostCommandActionBase
from ansible_collections.fancai.db_runbooks.plugins.module_utils._run_lock import (
    ACQUIRE_SCRIPT,
    DEFAULT_MAX_SECONDS,
    HOLDER_SCRIPT,
    MODES,
    RELEASE_SCRIPT,
    RC_BUSY,
    STATES,
    acquire_argv,
    busy_message,
    info_text,
    lock_key,
    misuse_message,
    mode_covers,
    parse_output,
    process_start_ticks,
    release_argv,
    run_id,
    run_tag,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    check_container_name,
    check_identifier,
    database_family,
)

_ARGSPEC = dict(
    container=dict(type="str"),
    database=dict(type="str", required=True),
    mode=dict(type="str", default="exclusive", choices=list(MODES)),
    state=dict(type="str", default="held", choices=list(STATES)),
    wait=dict(type="int", default=0),
    max_seconds=dict(type="int", default=DEFAULT_MAX_SECONDS),
    lock_dir=dict(type="path"),
)


def _controller_run():
    """Who is asking: the ansible-playbook process (this worker's parent) on the controller."""
    pid = os.getppid()
    try:
        with open("/proc/%d/stat" % pid) as f:
            ticks = process_start_ticks(f.read())
    except (IOError, OSError):
        ticks = ""
    host = socket.gethostname()
    try:
        user = getpass.getuser()
    except Exception:  # pylint: disable=broad-except
        user = str(os.getuid())
    playbooks = [os.path.abspath(p) for p in (context.CLIARGS.get("args") or ())]
    ident = run_id(host, pid, ticks)
    return dict(pid=pid, host=host, user=user, playbook=" ".join(playbooks) or "(ad-hoc)",
                id=ident, tag=run_tag(ident))


class ActionModule(HostCommandActionBase):
    """Hold a lock per container and database for the rest of the run."""

    @staticmethod
    def _shown(argv):
        """argv as returned in ``cmd``: the scripts by name, not 4 kB of shell in every result."""
        names = {ACQUIRE_SCRIPT: "<acquire script>", RELEASE_SCRIPT: "<release script>",
                 HOLDER_SCRIPT: "<holder script>"}
        return [names.get(a, a) for a in argv]

    def run(self, tmp=None, task_vars=None):
        task_vars, result, args = self._begin(tmp, task_vars, _ARGSPEC)

        target = self._preflight_target(task_vars)
        container = args["container"] or target.get("container")
        if not container:
            raise AnsibleActionFail(
                "no container given: pass container=… or run the role "
                "fancai.db_runbooks.preflight first (it sets preflight_target).")
        err = check_container_name(container) or check_identifier(args["database"], "database")
        if err:
            raise AnsibleActionFail(err)
        if args["wait"] < 0 or args["max_seconds"] < 1:
            raise AnsibleActionFail(
                "wait=%d and max_seconds=%d: wait is 0 (refuse at once) or more seconds, max_seconds "
                "at least 1 (the default is %d, 6 h)." % (args["wait"], args["max_seconds"], DEFAULT_MAX_SECONDS))

        # The lock is the family's: <db>__restore and <db>__old_<stamp> share <db>'s,
        # so the restore's own steps on its copies pass through its lock.
        database = database_family(args["database"])
        mode = args["mode"]
        run = _controller_run()
        key = lock_key(container, database)
        # Only a local connection runs where ansible-playbook runs, so only there
        # can the holder see it end.
        local = getattr(self._connection, "transport", "") in ("local", "ansible.builtin.local")
        watch = run["pid"] if local else ""
        result.update(changed=False, container=container, database=database, key=key,
                      state=args["state"], run=run["id"])

        if args["state"] == "released":
            argv = release_argv(key, run["tag"], args["lock_dir"])
            result.update(cmd=self._shown(argv), queries=["release %s (run %s)" % (key, run["id"])])
            rc, stdout, stderr = self._host_run(argv)
            out = parse_output(stdout)
            result.update(rc=rc, lock_dir=out["dir"])
            if out["status"] == "released":
                result["mode"] = out["infos"][0]["fields"].get("mode") if out["infos"] else None
                result["msg"] = "released the %s lock on %s/%s" % (result["mode"], container, database)
            elif out["status"] == "not_held":
                result.update(mode=None, msg="this run holds no lock on %s/%s: nothing to release"
                              % (container, database))
            else:
                result.update(failed=True, stderr=stderr,
                              msg="could not release the lock on %s/%s: %s %s" % (
                                  container, database, out["detail"] or "", stderr.strip()))
            return result

        since = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        info = info_text(dict(
            mode=mode, container=container, database=database, ansible_pid=run["pid"],
            playbook=run["playbook"], user=run["user"], controller=run["host"], since=since,
            run=run["id"], watch_pid=watch, max_seconds="" if watch else args["max_seconds"],
        ))
        argv = acquire_argv(key, mode, args["wait"], run["tag"], watch, args["max_seconds"], info,
                            args["lock_dir"])
        result.update(
            cmd=self._shown(argv), mode=mode,
            queries=["flock --%s %s %s (held until %s)" % (
                mode, "--nonblock" if args["wait"] == 0 else "--wait %d" % args["wait"], key,
                ("ansible-playbook pid %s ends" % watch) if watch
                else ("released, or %d s" % args["max_seconds"]))],
        )
        rc, stdout, stderr = self._host_run(argv)
        out = parse_output(stdout)
        result.update(rc=rc, lock_dir=out["dir"])
        mine = out["infos"][0]["fields"] if out["infos"] else {}
        if out["status"] == "reentrant":
            held = mine.get("mode")
            if held not in MODES or not mode_covers(held, mode):
                result.update(failed=True, held_mode=held,
                              msg=misuse_message(container, database, held, mode, mine))
                return result
            result.update(acquired=False, reentrant=True, held_mode=held,
                          holder_pid=mine.get("holder_pid"), since=mine.get("since"),
                          path=mine.get("lock_file"), info_path=out["infos"][0]["path"],
                          msg="this run already holds the %s lock on %s/%s (since %s)"
                          % (held, container, database, mine.get("since")))
            return result
        if out["status"] == "acquired":
            result.update(acquired=True, reentrant=False, held_mode=mode,
                          holder_pid=mine.get("holder_pid"), since=mine.get("since"),
                          path=mine.get("lock_file"), info_path=out["infos"][0]["path"],
                          waited_seconds=int(out["detail"] or 0),
                          watch=("ansible-playbook pid %s" % watch) if watch
                          else "none: remote docker host, held until released or for %d s" % args["max_seconds"],
                          msg="holding the %s lock on %s/%s for this run" % (mode, container, database))
            return result
        if out["status"] == "busy" or rc == RC_BUSY:
            holders = [dict(i["fields"], alive=i["alive"], info_path=i["path"]) for i in out["infos"]]
            result.update(failed=True, acquired=False, holders=holders,
                          waited_seconds=int(out["detail"] or 0) if (out["detail"] or "").isdigit() else 0,
                          path=(out["dir"] or "?") + "/" + key + ".lock",
                          msg=busy_message(container, database, mode, args["wait"], out["detail"],
                                           out["infos"], (out["dir"] or "?") + "/" + key + ".lock"))
            return result
        if out["status"] == "missing":
            msg = ("%s is not installed on the docker host %s: the run lock needs flock and setsid "
                   "(util-linux) and sed, grep, tr, date, sleep (coreutils). Install them "
                   "(apt-get install util-linux coreutils), then run again. Nothing was touched."
                   % (out["detail"], task_vars.get("inventory_hostname")))
        elif out["status"] == "unusable":
            msg = ("the lock directory %s on the docker host is not usable by this user (%s): it must be a "
                   "directory (not a link) owned by the user the runbooks run as. Run as that user (become), "
                   "remove it if nothing uses it, or set db_runbooks_lock_dir to another directory. "
                   "Nothing was touched." % (out["dir"], out["detail"]))
        else:
            msg = ("could not take the lock on %s/%s (exit %s): %s %s" % (
                container, database, rc, out["detail"], stderr.strip()))
        result.update(failed=True, stderr=stderr, msg=msg)
        return result
