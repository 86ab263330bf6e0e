# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind fancai.db_runbooks.backup_pick (documentation: plugins/modules/backup_pick.py).

Lists a series' backups on the docker host, reads the sidecars of each
candidate (newest first) and runs ``sha256sum --check`` on the one it is about
to choose, through the inventory host's connection. The decisions and their
wording are in plugins/module_utils/_backup_pick.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.fancai.db_runbooks.plugins.action.psql import HostCommandActionBase
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _backup_pick as bp
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import shell_join

_ARGSPEC = dict(
    backup_dir=dict(type="str", required=True),
    series=dict(type="str", required=True),
    request=dict(type="str", required=True),
    tables=dict(type="list", elements="str", default=[]),
)

# Every regular file of the folders given (none when a folder does not exist).
_LIST_SH = 'for d; do [ -d "$d" ] || continue; for f in "$d"/*; do [ -f "$f" ] && printf "%s\\n" "$f"; done; done; true'
# The files given that exist, each after a mark line.
_READ_SH = 'for f; do [ -f "$f" ] || continue; printf "\\n%s%s\\n" "$0" "$f"; cat -- "$f"; done; true'
_CHECK_SH = 'cd "$1" && sha256sum --check --strict --quiet -- "$2" 2>&1'


class ActionModule(HostCommandActionBase):
    """Choose the backup a data restore takes, its checksum verified."""

    def run(self, tmp=None, task_vars=None):
        task_vars, result, args = self._begin(tmp, task_vars, _ARGSPEC)
        series = args["series"]
        backup_dir = args["backup_dir"].rstrip("/") or "/"
        if not bp._SERIES_RE.match(series):
            raise AnsibleActionFail("series=%r must be a plain lower-case identifier (the database's name)." % series)
        if not backup_dir.startswith("/") or ".." in backup_dir.split("/"):
            raise AnsibleActionFail("backup_dir=%r must be an absolute path without '..'." % backup_dir)
        try:
            request = bp.parse_request(args["request"])
        except ValueError as exc:
            result.update(failed=True, msg=str(exc), queries=[], skipped_backups=[])
            return result
        series_dir = os.path.join(backup_dir, series)
        folders = [series_dir, os.path.join(series_dir, bp.SAFETY_SUBDIR)]
        if request["kind"] == "path" and os.path.dirname(request["value"]) not in folders:
            folders.append(os.path.dirname(request["value"]))
        queries = []
        skipped = []
        warnings = []
        result.update(changed=False, queries=queries, skipped_backups=skipped, request=request["value"],
                      notes=warnings)

        def run(argv, what):
            queries.append(shell_join(argv))
            rc, out, err = self._host_run(argv)
            if rc not in (0, 1) or (what != "check" and rc != 0):
                raise AnsibleActionFail("could not %s on the docker host (exit %s): %s" % (what, rc, (err or out).strip()))
            return rc, out

        _, listing = run(["sh", "-c", _LIST_SH, "sh"] + folders, "list the backups")
        present = [line for line in listing.splitlines() if line]
        backups = bp.list_backups(present, series_dir, series)
        todo, refusal = bp.candidates(backups, request, series, series_dir, present)
        if refusal:
            result.update(failed=True, msg=refusal)
            return result
        named = request["kind"] != "latest"
        for item in todo:
            files = [item["path"] + s for s in (bp.MANIFEST, bp.SHA256, bp.DRILL)]
            _, out = run(["sh", "-c", _READ_SH, bp.FILE_MARK] + files, "read the sidecars of %s" % item["file"])
            verdict = bp.judge(item, bp.split_files(out), named, args["tables"])
            problem = verdict["problem"]
            if not problem:
                rc, said = run(["sh", "-c", _CHECK_SH, "sh", os.path.dirname(item["path"]),
                                item["file"] + bp.SHA256], "check")
                problem = bp.checksum_problem(item, rc, said)
            if not problem:
                warnings.extend(verdict["warnings"])
                result.update(backup=bp.chosen(item, verdict),
                              msg="restore from %s%s" % (item["path"], (" (skipped: %s)" % "; ".join(
                                  "%s: %s" % (s["file"], s["why"]) for s in skipped)) if skipped else ""))
                return result
            if named:
                result.update(failed=True, msg=bp.refusal(item, problem, request, series_dir))
                return result
            skipped.append({"path": item["path"], "file": item["file"], "why": problem})
        result.update(failed=True, msg=bp.none_left(series, series_dir, skipped))
        return result
