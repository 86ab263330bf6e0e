# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure decisions of the restore role: what to do, what is at stake, how to say it.

Nothing here talks to Docker or PostgreSQL; the role feeds it what its probes
and the verification found (unit-tested in tests/unit/test_restore_plan.py).

This is a private module (leading underscore): its API may change between
releases of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import RESTORE_OLD_SUFFIX_RE

# Marks, in the database's comment, the state a restore leaves a database in
# while it works; the next run recognises each one.
MARK_TEMP = "fancai.db_runbooks restore in progress"
MARK_CLOSED = "fancai.db_runbooks restore: connections closed for the swap"
MARK_KEPT = "fancai.db_runbooks restore: kept aside"
MARKS = (MARK_TEMP, MARK_CLOSED, MARK_KEPT)

# Findings a repair in place fixes without touching a row, with the playbook
# that does it (None: additive, but done by hand from its definition).
# playbooks/repair.yml plans from both catalogs and says itself what it
# cannot do; these are the kinds it always repairs.
_ADDITIVE = (
    (re.compile(r"^missing extension "), "playbooks/fix_extensions.yml"),
    (re.compile(r"^not populated: matview "), "playbooks/refresh_matviews.yml"),
    (re.compile(r"^(missing|different) alembic revision"), "playbooks/stamp_alembic.yml"),
    (re.compile(r"^missing (index|check constraint|foreign key|primary key|matview) "), "playbooks/repair.yml"),
)
_PLAYBOOK_ORDER = ("playbooks/fix_extensions.yml", "playbooks/repair.yml", "playbooks/refresh_matviews.yml",
                   "playbooks/stamp_alembic.yml")

_UNITS = ("bytes", "kB", "MB", "GB", "TB")


def human_size(size):
    """1536 -> '1.5 kB' (powers of 1024, as pg_size_pretty)."""
    size = float(size or 0)
    for unit in _UNITS:
        if size < 1024 or unit == _UNITS[-1]:
            return ("%d %s" % (size, unit)) if unit == "bytes" else ("%.1f %s" % (size, unit))
        size /= 1024.0
    return ""  # pragma: no cover


def human_count(count):
    """300000 -> '300 000' (a thin reading at 3 a.m.)."""
    return "{:,}".format(int(count or 0)).replace(",", " ")


def findings(verify):
    """The verification's findings as one list of 'missing …'/'extra …'/'different …' lines."""
    verify = verify or {}
    out = []
    for title in ("missing", "extra", "different"):
        out += ["%s %s" % (title, item) for item in verify.get(title) or []]
    out += ["not populated: matview %s" % name for name in verify.get("matviews_unpopulated") or []]
    # A matview that is not populated is also listed by compare_catalogs as
    # "different matview X: not populated (…)"; say it once.
    return [f for f in out if not re.match(r"^different matview \S+: not populated", f)]


def classify(items):
    """Split findings into (playbooks to run in order, additive ones done by hand, the rest)."""
    playbooks, by_hand, rest = set(), [], []
    for item in items:
        for pattern, playbook in _ADDITIVE:
            if pattern.match(item):
                if playbook:
                    playbooks.add(playbook)
                else:
                    by_hand.append(item)
                break
        else:
            rest.append(item)
    return [p for p in _PLAYBOOK_ORDER if p in playbooks], by_hand, rest


# Findings outside the catalog the repair plans from: the Alembic stamp and
# the database-level properties. A repair in place leaves them as they are.
_NOT_CATALOG = re.compile(r"^(missing|different) alembic revision|^different database \S+: ")


def repair_gaps(verify, repair, catalog_only=False):
    """Why a repair in place would not make the database verify ([] when it would).

    *repair* is the result of the repair_schema action run with apply=false
    (steps, unrepairable, extra, and failed/msg when rows would be rejected or
    an index build still runs); None when no plan was made. *catalog_only*
    leaves out the findings outside the catalog (other playbooks fix those).
    """
    if repair is None:
        return ["no repair was planned"]
    gaps = []
    if repair.get("failed"):
        gaps.append(str(repair.get("msg") or "the repair plan failed"))
    gaps += ["%s (%s)" % (u.get("finding"), u.get("why")) for u in repair.get("unrepairable") or []]
    gaps += ["extra %s (a repair leaves what the schema does not have alone)" % e for e in repair.get("extra") or []]
    if catalog_only:
        return gaps
    gaps += ["%s (not in the catalog a repair changes)" % f for f in findings(verify) if _NOT_CATALOG.match(f)]
    if not gaps and not repair.get("steps"):
        gaps.append("the repair plan has no step for: %s" % "; ".join(findings(verify)[:5]))
    return gaps


def decide(database, exists, verify=None, recreate=False, repair=None):
    """Return the plan: 'build' (absent), 'nothing' (clean), 'repair', 'rebuild', or 'newer'.

    'newer' is a database at a revision the application's chain places after
    the schema source's: it is never offered for destruction (a rebuild would
    put an older, empty schema in its place), whatever it verifies like.
    'repair' (the database is repaired in place, every row kept) when a repair
    plan was made (*repair*, see repair_gaps) and it covers every finding.
    """
    if not exists:
        return "build"
    verify = verify or {}
    if verify.get("revision_relation") == "newer" and (recreate or not verify.get("ok")):
        return "newer"
    if not recreate and not verify.get("ok") and repair is not None and not repair_gaps(verify, repair):
        return "repair"
    if recreate or not verify.get("ok"):
        return "rebuild"
    return "nothing"


def findings_text(verify, items, limit=10):
    """Counts, then the first *limit* findings by name."""
    summary = ", ".join((verify or {}).get("summary") or [])
    text = (summary + "; ") if summary else ""
    text += "; ".join(items[:limit])
    if len(items) > limit:
        text += " (and %d more)" % (len(items) - limit)
    return text


def at_stake(database, size, rows, tables):
    """'bookreader_dev holds about 300 000 rows in 9 tables (194.0 MB)'."""
    return "%s holds about %s rows in %d tables (%s)" % (
        database, human_count(rows), int(tables or 0), human_size(size))


def refusal(database, container, verify, recreate, size, rows, tables, kept_name, safety_dir,
            confirm_option="db_runbooks_confirm_destroy", repair=None):
    """The message of a rebuild refused for want of confirmation: what is at stake and the ways out."""
    items = findings(verify)
    why = "recreate asked" if recreate else "it does not verify: " + findings_text(verify, items)
    lines = [
        "Database %s in %s would be replaced (%s). Nothing was touched." % (database, container, why),
        "At stake: %s. The rebuilt copy is EMPTY (schema only): none of these rows are in it. "
        "The old database is kept aside as %s (never dropped by this collection without its own "
        "confirmation) and dumped to %s." % (at_stake(database, size, rows, tables), kept_name, safety_dir),
    ]
    rev = (verify or {}).get("database_revision")
    if rev and (verify or {}).get("revision_relation") == "unknown":
        lines.append(
            "Its alembic_version holds %s, a revision the schema source (at %s) cannot place: if it is "
            "newer than the schema source, a rebuild goes back to an older schema. Start the backend "
            "container (db_runbooks_backend_container) so its Alembic chain tells (playbooks/alembic_status.yml "
            "shows where the application stands)." % (rev, (verify or {}).get("expected_revision")))
    playbooks, by_hand, rest = classify(items)
    go_ahead = ("The restore builds and verifies a fresh copy while the application runs, then closes the "
                "database for well under a second to swap it in. To go ahead: run again with -e %s=%s"
                % (confirm_option, database))
    if items and not rest and not recreate:
        fix = ["Every finding is additive: a repair in place keeps every row, no rebuild needed."]
        if playbooks:
            fix.append("Run, in this order (with the same -e options): %s."
                       % "; then ".join("ansible-playbook " + p for p in playbooks))
        if by_hand:
            fix.append("Create in place from the schema source's definition: %s." % "; ".join(by_hand))
        lines.append(" ".join(fix))
        hard = repair_gaps(verify, repair, catalog_only=True) if repair is not None else []
        if hard:
            lines.append("playbooks/repair.yml will stop first at: %s." % "; ".join(hard[:5]))
        lines.append("To rebuild anyway: run again with -e %s=%s" % (confirm_option, database))
    elif repair is not None and not recreate:
        # The repair was planned against the live catalog: say what stops it.
        lines.append("A repair in place (playbooks/repair.yml, every row kept) cannot make it verify: %s."
                     % "; ".join(repair_gaps(verify, repair)[:5]))
        if repair.get("steps") and not repair.get("failed"):
            lines.append("It would fix, without a rebuild: %s; run ansible-playbook playbooks/repair.yml for "
                         "that part." % "; ".join(s.get("what", "") for s in repair["steps"][:5]))
        lines.append(go_ahead)
    else:
        lines.append(go_ahead)
    return "\n".join(lines)


def properties_to_keep(properties):
    """The database-level properties a rebuilt copy takes over from *properties*.

    All of them, except a comment that is one of a restore's own marks (left
    by an earlier run whose clean-up could not write it, e.g. behind a lock):
    that mark is not the application's comment, and a copy carrying it would
    look half-swapped to the next run.  It becomes None (COMMENT … IS NULL).
    """
    if not properties:
        return {}
    out = dict(properties)
    comment = out.get("comment")
    if isinstance(comment, str) and comment.startswith(MARKS):
        out["comment"] = None
    return out


def swap_states(database, found, temp_name, legacy_old_name):
    """What an earlier, interrupted restore left, from the probe's rows.

    *found* is a list of dicts with name, comment, allow_connections.  Returns a
    dict: closed (the database with connections turned off by a killed swap:
    safe to re-open), kept (databases kept aside by earlier swaps), temp (a
    leftover temporary copy of ours), foreign (names this restore uses that it
    did not make), legacy_old (the single ``<db>__old`` of earlier versions).
    """
    by_name = dict((r["name"], r) for r in found or [])
    kept_re = re.compile(r"^%s%s$" % (re.escape(database), RESTORE_OLD_SUFFIX_RE))
    out = {"closed": False, "kept": [], "temp": False, "foreign": [], "legacy_old": False}
    live = by_name.get(database)
    if live and not live.get("allow_connections") and (live.get("comment") or "").startswith(MARK_CLOSED):
        out["closed"] = True
    for name, row in sorted(by_name.items()):
        comment = row.get("comment") or ""
        if name == temp_name:
            if comment == MARK_TEMP:
                out["temp"] = True
            else:
                out["foreign"].append(name)
        elif name == legacy_old_name:
            if comment == MARK_TEMP:
                out["legacy_old"] = True
            else:
                out["foreign"].append(name)
        elif kept_re.match(name):
            out["kept"].append(name)
    return out


def decide_data(exists, already, recreate=False):
    """The plan of a restore from a backup: 'build' (absent), 'nothing', or 'rebuild'.

    *already* is true when the live database is the very copy an earlier run
    restored from the same dump (its oid and the dump's sha256 recorded then)
    and still holds the dump's row counts and schema: restoring it again would
    only throw away what was written since, so it is done only with recreate.
    """
    if not exists:
        return "build"
    if already and not recreate:
        return "nothing"
    return "rebuild"


def dump_text(dump):
    """'bookreader_dev-20261202T020000Z.dump (nightly, taken 2026-12-02T02:00:00Z, 17 751 rows in 9 tables, Alembic x)'."""
    dump = dump or {}
    counts = dump.get("row_counts") or {}
    return "%s (%s, taken %s, %s rows in %d tables, Alembic %s)" % (
        dump.get("file") or dump.get("path"), dump.get("class") or "backup", dump.get("started") or "at an unknown time",
        human_count(dump.get("rows") if dump.get("rows") is not None else sum(counts.values())),
        len(counts), dump.get("alembic_revision") or "none")


def data_refusal(database, container, verify, recreate, size, rows, tables, kept_name, safety_dir, dump,
                 already=False, confirm_option="db_runbooks_confirm_destroy"):
    """The message of a restore from a backup refused for want of confirmation."""
    items = findings(verify)
    if already:
        why = "it is already the copy restored from this dump, and recreate was asked"
    elif verify and verify.get("ok"):
        why = "it verifies clean, but its rows are replaced by the backup's"
    else:
        why = "it does not verify: " + findings_text(verify, items) if items else "its rows are replaced by the backup's"
    return "\n".join([
        "Database %s in %s would be replaced by the data of %s (%s). Nothing was touched."
        % (database, container, dump_text(dump), why),
        "At stake: %s; whatever was written after the backup was taken is not in it. The old database is "
        "kept aside as %s (never dropped by this collection without its own confirmation) and dumped to %s, "
        "from which -e db_runbooks_restore_from=<that safety dump> brings it back."
        % (at_stake(database, size, rows, tables), kept_name, safety_dir),
        "The restore loads and verifies the copy while the application runs, then closes the database for "
        "well under a second to swap it in. To go ahead: run again with -e %s=%s" % (confirm_option, database),
    ])


def count_differences(expected, found):
    """'public.chapters dumped 48, restored 36' for every table whose counts differ (either side missing)."""
    expected = expected or {}
    found = found or {}
    out = []
    for table in sorted(set(expected) | set(found)):
        a, b = expected.get(table, "missing"), found.get(table, "missing")
        if a != b:
            out.append("%s dumped %s, restored %s" % (table, a, b))
    return out


def space_problem(df_output, dump_size, database_size, container, copy_dir="/tmp", margin=1.1):
    """Why the container has no room for a restore from a backup ('' when it has, or cannot tell).

    *df_output*: what ``df -Pk /tmp <data_directory>`` printed inside the
    container (its header, then one line for each), or '' when the container
    has no df. The copy of the dump goes to /tmp; the restored database to
    the data directory: where both are on one filesystem it needs room for
    both at once (the copy is removed only after pg_restore ends).
    """
    lines = [ln.split() for ln in (df_output or "").splitlines()[1:] if ln.strip()]
    if len(lines) < 2 or any(len(ln) < 6 or not ln[3].isdigit() for ln in lines[:2]):
        return ""
    (tmp_free, tmp_mount), (data_free, data_mount) = [(int(ln[3]) * 1024, ln[5]) for ln in lines[:2]]
    dump_size, database_size = int(dump_size or 0), int(database_size or 0)
    if tmp_mount == data_mount:
        need = int((dump_size + database_size) * margin)
        if tmp_free < need:
            return ("Container %s has %s free on %s, which holds both %s (the dump's copy, %s) and the data "
                    "directory (the restored copy, about %s as the backup's database was): %s needed."
                    % (container, human_size(tmp_free), tmp_mount, copy_dir, human_size(dump_size),
                       human_size(database_size), human_size(need)))
        return ""
    problems = []
    if tmp_free < int(dump_size * margin):
        problems.append("%s free on %s for the dump's copy in %s (%s)" % (
            human_size(tmp_free), tmp_mount, copy_dir, human_size(dump_size)))
    if data_free < int(database_size * margin):
        problems.append("%s free on %s for the restored copy (about %s as the backup's database was)" % (
            human_size(data_free), data_mount, human_size(database_size)))
    if problems:
        return "Container %s has %s." % (container, "; ".join(problems))
    return ""
