# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which backup a data restore takes: pure decisions behind the backup_pick action.

The action (plugins/action/backup_pick.py) lists <backup_dir>/<series>/ and its
safety/ folder on the docker host, reads each candidate's sidecars (manifest,
checksum file, drill result) and runs ``sha256sum --check`` on the one it is
about to choose; everything it decides with is here, unit-tested in
tests/unit/test_backup_pick.py.

A request is ``latest`` (the newest nightly backup whose checksum matches and
whose restore drill passed; a safety dump is never "latest": after a restore
the newest safety dump holds the data that restore replaced), a UTC stamp
``YYYYmmddTHHMMSSZ`` (the backup of either class taken then), or the absolute
path of a dump.  A file named by stamp or path that fails a check is refused,
never replaced by another one.

This is a private module (leading underscore): its API may change between
releases of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

LATEST = "latest"
STAMP_RE = re.compile(r"^\d{8}T\d{6}Z\Z")
PATH_RE = re.compile(r"^/[A-Za-z0-9._/-]+\.dump(?:\.zst)?\Z")
_SERIES_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}\Z")
SAFETY_SUBDIR = "safety"
# What the backup role writes next to a dump (plugins/filter/retention.py: SIDECARS),
# and the drill result roles/backup/tasks/drill.yml adds.
SHA256 = ".sha256"
MANIFEST = ".json"
DRILL = ".drill.json"
MANIFEST_FORMAT = "fancai.db_runbooks/backup-manifest/1"
# Separates the files the action reads in one call (a line of its own).
FILE_MARK = "__db_runbooks_file__ "


def nightly_re(series):
    # <series>-<stamp>.dump, or .dump.zst when compressed on the docker host (backup_compressor=zstd).
    return re.compile(r"^%s-(\d{8}T\d{6}Z)\.dump(?:\.zst)?\Z" % re.escape(series))


def safety_re(series):
    return re.compile(r"^%s-safety-(\d{8}T\d{6}Z)\.dump\Z" % re.escape(series))


def parse_request(request):
    """{'kind': 'latest'|'stamp'|'path', 'value': …}; ValueError naming the value and the forms."""
    text = request if isinstance(request, str) else ""
    text = text.strip()
    if text == LATEST:
        return {"kind": "latest", "value": LATEST}
    if STAMP_RE.match(text):
        return {"kind": "stamp", "value": text}
    if PATH_RE.match(text) and not re.search(r"(^|/)\.\.(/|$)", text):
        return {"kind": "path", "value": os.path.normpath(text)}
    raise ValueError(
        "db_runbooks_restore_from=%s is not a backup: give latest (the newest verified nightly "
        "backup), a UTC stamp such as 20261202T040000Z, or the absolute path of a .dump (or .dump.zst) file "
        "(letters, digits, '.', '_', '-' and '/', without '..'). Nothing was touched."
        % json.dumps(request if isinstance(request, str) else str(request)))


def list_backups(paths, series_dir, series):
    """The dumps of one series among *paths*, newest first, with their sidecars.

    Nightly ones are <series_dir>/<series>-<stamp>.dump, safety dumps
    <series_dir>/safety/<series>-safety-<stamp>.dump; anything else is left out.
    For the same stamp, a nightly backup comes before a safety dump.
    """
    if not _SERIES_RE.match(str(series)):
        raise ValueError("series %r is not a plain identifier" % (series,))
    series_dir = series_dir.rstrip("/") or "/"
    present = set(p for p in paths or [] if isinstance(p, str))
    where = ((series_dir, "nightly", nightly_re(series)),
             (os.path.join(series_dir, SAFETY_SUBDIR), "safety", safety_re(series)))
    out = []
    for path in present:
        parent, base = os.path.split(path)
        for folder, label, pattern in where:
            match = pattern.match(base) if parent == folder else None
            if match:
                out.append(entry(path, label, match.group(1), present))
    out.sort(key=lambda e: (e["stamp"], e["class"] == "nightly", e["path"]), reverse=True)
    return out


def entry(path, label, stamp, present):
    return {
        "path": path,
        "file": os.path.basename(path),
        "class": label,
        "stamp": stamp,
        "has_sha256": path + SHA256 in present,
        "has_manifest": path + MANIFEST in present,
        "has_drill": path + DRILL in present,
    }


def entry_for_path(path, series, present):
    """The entry of a dump named by path, wherever it is (class from its name)."""
    base = os.path.basename(path)
    for label, pattern in (("nightly", nightly_re(series)), ("safety", safety_re(series))):
        match = pattern.match(base)
        if match:
            return entry(path, label, match.group(1), present)
    return entry(path, "other", "", present)


def candidates(backups, request, series, series_dir, present=None):
    """(entries to examine in order, refusal text or '') for a parsed *request*."""
    present = set(present or [])
    kind, value = request["kind"], request["value"]
    safety_dir = os.path.join(series_dir.rstrip("/"), SAFETY_SUBDIR)
    if kind == "latest":
        nightly = [b for b in backups if b["class"] == "nightly"]
        if not nightly:
            return [], (
                "No nightly backup of %s in %s to restore (db_runbooks_restore_from=latest). Nothing was "
                "touched. Take one (ansible-playbook playbooks/backup.yml), or name a dump: "
                "-e db_runbooks_restore_from=<path or stamp> (a safety dump in %s is a valid source)."
                % (series, series_dir, safety_dir))
        return nightly, ""
    if kind == "stamp":
        found = [b for b in backups if b["stamp"] == value]
        if not found:
            near = ", ".join(b["stamp"] + (" (safety)" if b["class"] == "safety" else "") for b in backups[:5])
            return [], (
                "No backup of %s taken at %s in %s or %s. Nothing was touched. %s Give one of those "
                "stamps, the path of a dump, or latest."
                % (series, value, series_dir, safety_dir,
                   ("The newest there: %s." % near) if near else "There is no backup there at all."))
        if len(found) > 1:
            return [], (
                "Two backups of %s were taken at %s: %s. Nothing was touched. Name the one you mean by its "
                "path: -e db_runbooks_restore_from=<path>." % (series, value, " and ".join(b["path"] for b in found)))
        return found, ""
    # A path: one of the series' own, or a dump anywhere else with its sidecars.
    for b in backups:
        if b["path"] == value:
            return [b], ""
    if value not in present:
        return [], (
            "Backup %s does not exist on the docker host. Nothing was touched. Give the path of a .dump "
            "file (ls %s %s), a stamp, or latest." % (value, series_dir, safety_dir))
    return [entry_for_path(value, series, present)], ""


def split_files(stdout):
    """{path: text} of the files the action printed, each after a FILE_MARK line."""
    out = {}
    current = None
    lines = []
    for line in (stdout or "").split("\n"):
        if line.startswith(FILE_MARK):
            if current is not None:
                out[current] = "\n".join(lines).strip("\n")
            current = line[len(FILE_MARK):]
            lines = []
        elif current is not None:
            lines.append(line)
    if current is not None:
        out[current] = "\n".join(lines).strip("\n")
    return out


def _load(text):
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def table_key(name):
    """'chapters' -> 'public.chapters' (the manifests' row_counts keys)."""
    return name if "." in name else "public." + name


def judge(item, texts, named, tables=None):
    """Check one candidate from its sidecars' texts ({path: text}); returns a dict.

    problem: why it cannot be restored ('' when it can, checksum still to run);
    warnings; manifest and drill (parsed, or None).
    """
    path = item["path"]
    manifest = _load(texts.get(path + MANIFEST))
    drill = _load(texts.get(path + DRILL))
    sha_text = texts.get(path + SHA256) or ""
    out = {"problem": "", "warnings": [], "manifest": manifest, "drill": drill}
    if path + SHA256 not in texts or path + MANIFEST not in texts:
        missing = [s for s in (SHA256, MANIFEST) if path + s not in texts]
        out["problem"] = ("it has no %s: the backup that wrote it did not finish its checks"
                          % " and no ".join(item["file"] + s for s in missing))
        return out
    if manifest is None:
        out["problem"] = "its manifest %s is not a JSON object" % (item["file"] + MANIFEST)
        return out
    if manifest.get("verified") is not True or manifest.get("kind") != "full":
        out["problem"] = ("its manifest does not describe a verified full dump (verified=%s, kind=%s)"
                          % (json.dumps(manifest.get("verified")), json.dumps(manifest.get("kind"))))
        return out
    sha_words = sha_text.split()
    if not sha_words or sha_words[0] != manifest.get("sha256"):
        out["problem"] = ("its checksum file %s and its manifest disagree (%s against %s)"
                          % (item["file"] + SHA256, (sha_words or ["nothing"])[0][:16],
                             str(manifest.get("sha256"))[:16]))
        return out
    counts = manifest.get("row_counts")
    if not isinstance(counts, dict):
        out["problem"] = "its manifest has no row counts to compare the restored copy with"
        return out
    dumped_tables = manifest.get("tables") or []
    if tables:
        absent = [t for t in tables if table_key(t) not in counts]
        if absent:
            out["problem"] = "it holds no table %s (it has %s)" % (
                ", ".join(absent), ", ".join(sorted(counts)) or "none")
            return out
    elif dumped_tables:
        out["problem"] = ("it holds only the table(s) %s (a partial restore's safety dump): restore it with "
                          "-e db_runbooks_restore_tables=%s" % (", ".join(dumped_tables), ",".join(dumped_tables)))
        return out
    if item["class"] == "nightly":
        if drill is None and path + DRILL in texts:
            out["problem"] = "its drill result %s is not a JSON object" % (item["file"] + DRILL)
        elif drill is None:
            if named:
                out["warnings"].append(
                    "%s has no drill result (%s): this restore's own checks (the schema verified, the row "
                    "counts compared with the manifest) stand in for it" % (item["file"], item["file"] + DRILL))
            else:
                out["problem"] = ("its restore drill never ran (no %s): the backup ran with backup_drill=false "
                                  "or before drills were recorded" % (item["file"] + DRILL))
        elif drill.get("passed") is not True:
            out["problem"] = "its restore drill failed%s: %s" % (
                (" on " + str(drill["when"])) if drill.get("when") else "",
                drill.get("error") or "no reason recorded")
        elif drill.get("sha256") and drill.get("sha256") != manifest.get("sha256"):
            out["problem"] = "its drill result is of another file (sha256 %s, the manifest's %s)" % (
                str(drill.get("sha256"))[:16], str(manifest.get("sha256"))[:16])
    return out


def checksum_problem(item, rc, output):
    """'' when sha256sum --check passed, else why, naming the file."""
    if rc == 0:
        return ""
    said = " ".join((output or "").split())[:300]
    return ("its checksum does not match %s (sha256sum --check: %s): it changed or was damaged after it "
            "was written" % (item["file"] + SHA256, said or "exit %s" % rc))


def refusal(item, problem, request, series_dir):
    """The words for a named backup that fails a check."""
    return (
        "Backup %s cannot be restored: %s. Nothing was touched. Use another one: "
        "-e db_runbooks_restore_from=latest takes the newest nightly backup that passes every check, "
        "or name another dump or stamp (ls %s %s/%s)."
        % (item["path"], problem, series_dir, series_dir.rstrip("/"), SAFETY_SUBDIR))


def none_left(series, series_dir, skipped):
    """The words when latest finds no nightly backup that passes every check."""
    return (
        "No nightly backup of %s in %s passes its checks, so none is restored (db_runbooks_restore_from=latest). "
        "Nothing was touched. Skipped: %s. Name a dump explicitly (-e db_runbooks_restore_from=<path or stamp>; "
        "a safety dump in %s/%s is a valid source), or take a new backup (ansible-playbook playbooks/backup.yml)."
        % (series, series_dir, "; ".join("%s: %s" % (s["file"], s["why"]) for s in skipped),
           series_dir.rstrip("/"), SAFETY_SUBDIR))


def chosen(item, verdict):
    """What the action returns for the dump it chose."""
    manifest = verdict["manifest"] or {}
    return {
        "path": item["path"],
        "file": item["file"],
        "class": item["class"],
        "stamp": item["stamp"],
        "sha256": manifest.get("sha256"),
        "alembic_revision": manifest.get("alembic_revision"),
        "rows": manifest.get("rows"),
        "row_counts": manifest.get("row_counts") or {},
        "tables": manifest.get("tables") or [],
        "started": manifest.get("started"),
        "size": manifest.get("size"),
        "compression": manifest.get("compression"),
        "zstd": item["file"].endswith(".zst"),
        # What the dump takes once decompressed (the copy a restore puts in the container).
        "archive_size": manifest.get("uncompressed_size") or manifest.get("size"),
        "database": manifest.get("database"),
        "manifest": manifest,
        "drill": verdict["drill"],
    }
