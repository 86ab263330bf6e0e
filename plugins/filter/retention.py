# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which backups a grandfather-father-son (GFS) policy keeps (documentation: retention.yml).

Pure: it looks at file names only (the UTC time stamp the backup role writes
into each name), never at the disk, so the role's check mode and the unit
tests see exactly what a real run would delete.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import re

from ansible.errors import AnsibleFilterError

# The sidecars the backup role writes next to every dump, only once the dump
# has passed its checks: a dump with both is "verified".
SIDECARS = (".sha256", ".json")
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_SERIES_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$")
_EXTENSION_RE = re.compile(r"^[a-z0-9]{1,8}$")


def backup_name_re(series, extension):
    """The names the backup role gives one series: <series>-<YYYYmmddTHHMMSSZ>.<extension>."""
    return re.compile(r"^%s-(\d{8}T\d{6}Z)\.%s$" % (re.escape(series), re.escape(extension)))


def _path(item):
    if isinstance(item, dict):
        item = item.get("path")
    if not isinstance(item, str) or not item:
        raise AnsibleFilterError(
            "gfs_retention needs file paths (strings, or find results with a 'path'), got %r" % (item,))
    return item


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
    sidecars = set(b["path"] + s for b in backups for s in SIDECARS)
    ignored = [p for p in ignored if p not in sidecars]

    keep = [b["path"] for b in backups if b["path"] in reasons]
    delete = [b["path"] for b in backups if b["path"] not in reasons]
    delete_files = []
    for path in delete:
        # The dump first: interrupted half-way, what is left is a sidecar
        # without its dump, which the next backup run clears.
        delete_files.append(path)
        delete_files.extend(path + s for s in SIDECARS if path + s in present)

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


class FilterModule(object):
    """Backup retention filters."""

    def filters(self):
        return {
            "gfs_retention": gfs_retention,
        }
