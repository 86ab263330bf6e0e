# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup retention and history decisions (documentation: gfs_retention.yml,
safety_retention.yml, backup_history.yml, backup_row_drop.yml).

* gfs_retention: which nightly backups a grandfather-father-son policy keeps;
* safety_retention: which safety dumps (the restore's, in <series>/safety/)
  an explicit prune removes: older than N days, never the newest;
* backup_history: every backup of a series, both classes, newest first;
* backup_row_drop: did the newest backup's row count fall against the one
  before it (a nightly dump of a near-empty database after a rebuild)?

Pure: they look at file names (the UTC time stamp the backup role writes into
each name) and at manifest texts handed to them, never at the disk, so the
role's check mode and the unit tests see exactly what a real run would do.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

from ansible.errors import AnsibleFilterError

# The sidecars the backup role writes next to every dump, only once the dump
# has passed its checks: a dump with both is "verified".
SIDECARS = (".sha256", ".json")
# Written next to a nightly dump by the backup role's restore drill (passed or
# not): part of the backup, removed with it, never needed for "verified".
DRILL_SIDECARS = (".drill.json",)
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_SERIES_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}\Z")
_EXTENSION_RE = re.compile(r"^[a-z0-9]{1,8}\Z")


SAFETY_SUBDIR = "safety"



def _keep_and_delete(backups, reasons, present):
    """Split *backups* (newest first) by whether a reason keeps them; the files to remove.

    Each dump comes before its sidecars: interrupted half-way, what is left is a
    sidecar without its dump, which the next backup run clears.
    """
    keep = [b["path"] for b in backups if b["path"] in reasons]
    delete = [b["path"] for b in backups if b["path"] not in reasons]
    delete_files = []
    for path in delete:
        delete_files.append(path)
        delete_files.extend(path + s for s in SIDECARS + DRILL_SIDECARS if path + s in present)
    return keep, delete, delete_files

def backup_name_re(series, extension):
    """The names the backup role gives one series: <series>-<YYYYmmddTHHMMSSZ>.<extension>.

    A full dump compressed on the docker host is <series>-<stamp>.dump.zst: for
    extension "dump" both forms are one series (one policy keeps either).
    """
    suffix = r"\.dump(?:\.zst)?" if extension == "dump" else r"\.%s" % re.escape(extension)
    return re.compile(r"^%s-(\d{8}T\d{6}Z)%s\Z" % (re.escape(series), suffix))


def safety_name_re(series):
    """The names of a series' safety dumps: <series>-safety-<YYYYmmddTHHMMSSZ>.dump."""
    return re.compile(r"^%s-safety-(\d{8}T\d{6}Z)\.dump\Z" % re.escape(series))


def _parse_stamp(text):
    try:
        return datetime.datetime.strptime(text, STAMP_FORMAT)
    except (TypeError, ValueError):
        return None


def _check_series(filter_name, series):
    if not isinstance(series, str) or not _SERIES_RE.match(series):
        raise AnsibleFilterError("%s: series %r is not a backup name prefix" % (filter_name, series))
    return series


def _path(item, filter_name="gfs_retention"):
    if isinstance(item, dict):
        item = item.get("path")
    if not isinstance(item, str) or not item:
        raise AnsibleFilterError(
            "%s needs file paths (strings, or find results with a 'path'), got %r" % (filter_name, item))
    return item


def _paths(files, filter_name):
    if not isinstance(files, (list, tuple)):
        raise AnsibleFilterError("%s needs a list of paths, got %s" % (filter_name, type(files).__name__))
    return [_path(f, filter_name) for f in files]


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AnsibleFilterError("gfs_retention: %s must be a whole number >= 0, got %r" % (name, value))
    return value


def gfs_retention(files, series, extension="dump", daily=7, weekly=4, monthly=6):
    """Decide which backups of one series to keep and which to delete.

    files: every path in the series directory (strings or find results); only
    names matching <series>-<UTC stamp>.<extension> take part, anything else is
    returned in ``ignored`` and never deleted.

    Rules (restic's --keep-daily/weekly/monthly semantics, on verified backups):
      * daily=N: the newest backup of each of the N most recent days that have one
        (UTC); weekly=N: the same per ISO week; monthly=N: per calendar month.
      * The newest verified backup is always kept, whatever the counts.
      * A backup without both sidecars (.sha256, .json) is unverified: it never
        fills a slot; it is deleted once a newer verified backup exists, and kept
        while it is the newest thing there (it may be a run still finishing).
      * When there is no verified backup at all, nothing is deleted.
    """
    if not _SERIES_RE.match(str(series)):
        raise AnsibleFilterError("gfs_retention: series %r is not a backup name prefix" % (series,))
    if not _EXTENSION_RE.match(str(extension)):
        raise AnsibleFilterError("gfs_retention: extension %r is not a file extension" % (extension,))
    daily = _check_count("daily", daily)
    weekly = _check_count("weekly", weekly)
    monthly = _check_count("monthly", monthly)
    if not isinstance(files, (list, tuple)):
        raise AnsibleFilterError("gfs_retention needs a list of paths, got %s" % type(files).__name__)

    paths = [_path(f) for f in files]
    present = set(paths)
    pattern = backup_name_re(series, extension)

    backups = []
    ignored = []
    directories = set()
    for path in sorted(present):
        match = pattern.match(os.path.basename(path))
        stamp = None
        if match:
            try:
                stamp = datetime.datetime.strptime(match.group(1), STAMP_FORMAT)
            except ValueError:
                stamp = None
        if stamp is None:
            ignored.append(path)
            continue
        directories.add(os.path.dirname(path))
        backups.append({
            "path": path,
            "time": stamp,
            "verified": all(path + s in present for s in SIDECARS),
        })
    if len(directories) > 1:
        raise AnsibleFilterError(
            "gfs_retention: backups of series %r come from several directories (%s): "
            "give the files of one directory" % (series, ", ".join(sorted(directories))))

    # Newest first; the path breaks ties so the result never depends on input order.
    backups.sort(key=lambda b: (b["time"], b["path"]), reverse=True)
    verified = [b for b in backups if b["verified"]]
    reasons = {}

    if not verified:
        for b in backups:
            reasons[b["path"]] = ["no verified backup yet: nothing is deleted"]
    else:
        newest = verified[0]
        reasons[newest["path"]] = ["newest verified"]
        rules = (
            ("daily", daily, lambda t: t.date()),
            ("weekly", weekly, lambda t: tuple(t.isocalendar()[:2])),
            ("monthly", monthly, lambda t: (t.year, t.month)),
        )
        for label, count, bucket_of in rules:
            seen = set()
            for b in verified:
                if len(seen) >= count:
                    break
                bucket = bucket_of(b["time"])
                if bucket in seen:
                    continue
                seen.add(bucket)
                reasons.setdefault(b["path"], []).append(label)
        for b in backups:
            if not b["verified"] and b["time"] > newest["time"]:
                reasons[b["path"]] = ["unverified, newer than the newest verified backup"]

    # Sidecars of a known backup are part of it, not strangers.
    sidecars = set(b["path"] + s for b in backups for s in SIDECARS + DRILL_SIDECARS)
    ignored = [p for p in ignored if p not in sidecars]

    keep, delete, delete_files = _keep_and_delete(backups, reasons, present)

    return {
        "keep": keep,
        "delete": delete,
        "delete_files": delete_files,
        "reasons": reasons,
        "newest_verified": verified[0]["path"] if verified else None,
        "newest_verified_time": verified[0]["time"].strftime(STAMP_FORMAT) if verified else None,
        "verified": [b["path"] for b in verified],
        "unverified": [b["path"] for b in backups if not b["verified"]],
        "ignored": ignored,
    }


def safety_retention(files, series, keep_days=30, now=None):
    """Decide which safety dumps of one series an explicit prune removes.

    files: every path in <backup_dir>/<series>/safety/ (strings or find results);
    only <series>-safety-<UTC stamp>.dump take part (with their .sha256/.json),
    anything else is returned in ``ignored`` and never deleted.
    now: the current UTC time as YYYYmmddTHHMMSSZ (given, so the filter stays pure).

    Rules: a safety dump is removed when its stamp is more than keep_days days
    before now, except the newest safety dump and the newest verified one,
    which are always kept (keep_days=0 keeps exactly those).
    """
    name = "safety_retention"
    _check_series(name, series)
    if isinstance(keep_days, bool) or not isinstance(keep_days, int) or keep_days < 0:
        raise AnsibleFilterError("%s: keep_days must be a whole number of days >= 0, got %r" % (name, keep_days))
    now_time = _parse_stamp(now)
    if now_time is None:
        raise AnsibleFilterError("%s: now must be a UTC time stamp YYYYmmddTHHMMSSZ, got %r" % (name, now))
    present = set(_paths(files, name))
    pattern = safety_name_re(series)

    dumps = []
    ignored = []
    directories = set()
    for path in sorted(present):
        match = pattern.match(os.path.basename(path))
        stamp = _parse_stamp(match.group(1)) if match else None
        if stamp is None:
            ignored.append(path)
            continue
        directories.add(os.path.dirname(path))
        dumps.append({"path": path, "time": stamp, "verified": all(path + s in present for s in SIDECARS)})
    if len(directories) > 1:
        raise AnsibleFilterError(
            "%s: safety dumps of series %r come from several directories (%s): "
            "give the files of one directory" % (name, series, ", ".join(sorted(directories))))
    sidecars = set(d["path"] + s for d in dumps for s in SIDECARS + DRILL_SIDECARS)
    ignored = [p for p in ignored if p not in sidecars]

    dumps.sort(key=lambda d: (d["time"], d["path"]), reverse=True)
    verified = [d for d in dumps if d["verified"]]
    cutoff = now_time - datetime.timedelta(days=keep_days)
    reasons = {}
    if dumps:
        reasons[dumps[0]["path"]] = ["newest"]
    if verified:
        reasons.setdefault(verified[0]["path"], []).append("newest verified")
    for d in dumps:
        if d["time"] >= cutoff:
            reasons.setdefault(d["path"], []).append("younger than %d days" % keep_days)

    keep, delete, delete_files = _keep_and_delete(dumps, reasons, present)
    return {
        "keep": keep,
        "delete": delete,
        "delete_files": delete_files,
        "reasons": reasons,
        "newest": dumps[0]["path"] if dumps else None,
        "newest_verified": verified[0]["path"] if verified else None,
        "cutoff": cutoff.strftime(STAMP_FORMAT),
        "ignored": ignored,
    }


def backup_history(files, directory, series):
    """Every full backup of one series, both classes, newest first.

    files: paths (strings or find results) from <directory> and <directory>/safety/;
    nightly backups are <directory>/<series>-<stamp>.dump, safety dumps
    <directory>/safety/<series>-safety-<stamp>.dump. Anything else is left out.
    Each entry: path, file, class (nightly or safety), stamp, verified.
    """
    name = "backup_history"
    _check_series(name, series)
    if not isinstance(directory, str) or not directory.startswith("/"):
        raise AnsibleFilterError("%s: directory must be an absolute path, got %r" % (name, directory))
    directory = directory.rstrip("/") or "/"
    present = set(_paths(files, name))
    classes = (
        (directory, "nightly", backup_name_re(series, "dump")),
        (os.path.join(directory, SAFETY_SUBDIR), "safety", safety_name_re(series)),
    )
    history = []
    for path in present:
        parent, base = os.path.split(path)
        for where, label, pattern in classes:
            match = pattern.match(base) if parent == where else None
            stamp = _parse_stamp(match.group(1)) if match else None
            if stamp is not None:
                history.append({
                    "path": path,
                    "file": base,
                    "class": label,
                    "stamp": match.group(1),
                    "verified": all(path + s in present for s in SIDECARS),
                })
    history.sort(key=lambda b: (b["stamp"], b["class"] == "nightly", b["path"]), reverse=True)
    return history


def _manifest_rows(text):
    """The total row count a manifest records (rows, or the sum of row_counts); None when unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    rows = data.get("rows")
    if isinstance(rows, int) and not isinstance(rows, bool) and rows >= 0:
        return rows
    counts = data.get("row_counts")
    if isinstance(counts, dict) and all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        return sum(counts.values())
    return None


def _where_kept(entry):
    if entry["class"] == "safety":
        return ("a safety dump: scheduled retention never removes it; playbooks/prune_safety_dumps.yml "
                "does after backup_safety_keep_days, never the newest one")
    return "a nightly backup: retention keeps it while it fills a daily, weekly or monthly slot"


def backup_row_drop(history, manifests, max_drop=0.5):
    """Did the newest backup hold far fewer rows than the backup before it (either class)?

    history: backup_history's list (newest first); only verified backups count.
    manifests: {manifest path (<dump>.json): its text}; a backup whose manifest is
    missing or has no row count is passed over (listed in ``skipped``).
    max_drop: the fraction (0-1) of rows that may go before ``warn`` is true.
    """
    name = "backup_row_drop"
    if isinstance(max_drop, bool) or not isinstance(max_drop, (int, float)) or not 0 <= max_drop <= 1:
        raise AnsibleFilterError("%s: max_drop must be a fraction from 0 to 1, got %r" % (name, max_drop))
    if not isinstance(history, (list, tuple)) or not all(isinstance(b, dict) and "path" in b for b in history):
        raise AnsibleFilterError("%s needs backup_history's list, got %r" % (name, history))
    if not isinstance(manifests, dict):
        raise AnsibleFilterError("%s needs a dict of manifest path -> text, got %s" % (name, type(manifests).__name__))

    result = {"checked": False, "warn": False, "newest": None, "previous": None, "drop": None,
              "max_drop": max_drop, "skipped": [], "message": ""}
    entries = []
    for b in history:
        if not b.get("verified"):
            continue
        entry = dict(b)
        entry["rows"] = _manifest_rows(manifests.get(b["path"] + ".json"))
        entries.append(entry)
    if not entries:
        result["message"] = "no verified backup to compare"
        return result
    newest = entries[0]
    result["newest"] = newest
    if newest["rows"] is None:
        result["skipped"].append(newest["path"])
        result["message"] = "the newest backup %s has no row count in its manifest: not compared" % newest["file"]
        return result
    previous = None
    for entry in entries[1:]:
        if entry["rows"] is None:
            result["skipped"].append(entry["path"])
            continue
        previous = entry
        break
    if previous is None:
        result["message"] = "no earlier backup with a row count to compare %s with" % newest["file"]
        return result
    result["previous"] = previous
    result["checked"] = True
    drop = (previous["rows"] - newest["rows"]) / float(previous["rows"]) if previous["rows"] > 0 else 0.0
    result["drop"] = round(max(drop, 0.0), 4)
    if drop > max_drop:
        result["warn"] = True
        result["message"] = (
            "the newest backup %s (%s, %d rows) holds %.1f %% fewer rows than the one before it, %s (%s, %d rows), "
            "more than backup_check_max_row_drop=%s allows. If the rows went on purpose, nothing is wrong; "
            "if not, they are still in %s (%s)" % (
                newest["file"], newest["class"], newest["rows"], drop * 100, previous["file"], previous["class"],
                previous["rows"], max_drop, previous["path"], _where_kept(previous)))
    else:
        result["message"] = "%s holds %d rows (the backup before it, %s, %d)" % (
            newest["file"], newest["rows"], previous["file"], previous["rows"])
    return result


class FilterModule(object):
    """Backup retention filters."""

    def filters(self):
        return {
            "gfs_retention": gfs_retention,
            "safety_retention": safety_retention,
            "backup_history": backup_history,
            "backup_row_drop": backup_row_drop,
        }
