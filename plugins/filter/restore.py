# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind the restore role's decisions (pure logic in module_utils/_restore.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _restore
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _restore_tables
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import restore_kept_name as _kept_name
from ansible_collections.fancai.db_runbooks.plugins.module_utils._schema_source import newer_refusal


def restore_leftovers(rows, database, temp_name, legacy_old_name):
    """What earlier, interrupted restores left: closed, kept, temp, foreign, legacy_old."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "name" in r for r in rows):
        raise AnsibleFilterError("restore_leftovers needs the probe's rows (dicts with name), got %r" % (rows,))
    return _restore.swap_states(database, rows, temp_name, legacy_old_name)


def restore_plan(verify, database, exists, recreate=False, container="", size=0, rows=0, tables=0,
                 kept_name="", safety_dir="", source_revision="", dump=None, already=False, repair=None):
    """The plan, the findings and the words of a refusal (with *dump*: a restore from that backup).

    *repair*: the repair_schema action's plan (apply=false) when one was made;
    the plan is then 'repair' when it covers every finding.
    """
    if verify is not None and not isinstance(verify, dict):
        raise AnsibleFilterError("restore_plan needs verify_result (a dict) or none, got %r" % (verify,))
    if dump is not None and not isinstance(dump, dict):
        raise AnsibleFilterError("restore_plan needs dump as backup_pick's backup (a dict) or none, got %r" % (dump,))
    if repair is not None and not isinstance(repair, dict):
        raise AnsibleFilterError("restore_plan needs repair as repair_schema's result (a dict) or none, got %r"
                                 % (repair,))
    verify = verify if exists else None
    items = _restore.findings(verify)
    playbooks, by_hand, rest = _restore.classify(items)
    if dump:
        # A rollback to a safety dump brings back what was there, findings and all.
        clean = bool((verify or {}).get("ok")) or dump.get("class") == "safety"
        plan = _restore.decide_data(exists, bool(already) and clean, bool(recreate))
        return {
            "plan": plan,
            "findings": items,
            "findings_text": _restore.findings_text(verify, items),
            "inplace_playbooks": [],
            "additive_by_hand": [],
            "at_stake": _restore.at_stake(database, size, rows, tables) if exists else "",
            "dump_text": _restore.dump_text(dump),
            "refusal": _restore.data_refusal(database, container, verify, bool(recreate), size, rows, tables,
                                             kept_name, safety_dir, dump, bool(already)) if exists else "",
        }
    plan = _restore.decide(database, exists, verify, bool(recreate), repair=repair if exists else None)
    if plan == "newer":
        refusal = newer_refusal(database, container, verify.get("database_revision"), source_revision,
                                verify.get("schema_label") or "the schema source")
        if items:
            refusal += ("\nWhat differs from what the application builds at %s: %s"
                        % (verify.get("database_revision"), _restore.findings_text(verify, items)))
    elif exists:
        refusal = _restore.refusal(database, container, verify, bool(recreate), size, rows, tables,
                                   kept_name, safety_dir, repair=repair)
    else:
        refusal = ""
    return {
        "plan": plan,
        "findings": items,
        "findings_text": _restore.findings_text(verify, items),
        "inplace_playbooks": playbooks if items and not rest and not recreate else [],
        "additive_by_hand": by_hand if items and not rest and not recreate else [],
        "at_stake": _restore.at_stake(database, size, rows, tables) if exists else "",
        "refusal": refusal,
        "repair_steps": [s.get("what", "") for s in (repair or {}).get("steps") or []] if plan == "repair" else [],
        "repair_online": bool((repair or {}).get("online", True)) if plan == "repair" else True,
    }


def restore_space_problem(df_output, dump_size, database_size, container, copy_dir="/tmp"):
    """Why the container has no room for the dump's copy and the restored copy ('' when it has or cannot tell)."""
    if not isinstance(df_output, str):
        raise AnsibleFilterError("restore_space_problem needs what df printed (a string), got %r" % (df_output,))
    try:
        return _restore.space_problem(df_output, int(dump_size or 0), int(database_size or 0), container, copy_dir)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("restore_space_problem needs sizes in bytes: %s" % exc)


def restore_count_differences(found, expected, ignore=None):
    """Per table, how the restored copy's row counts differ from the dump manifest's ([] when equal).

    *ignore*: names left out on both sides (the materialized views: pg_restore refreshes them).
    """
    if not isinstance(found, dict) or not isinstance(expected, dict):
        raise AnsibleFilterError("restore_count_differences needs two dicts of table -> rows, got %r and %r"
                                 % (type(found).__name__, type(expected).__name__))
    skip = set(ignore or [])
    return _restore.count_differences(dict((k, v) for k, v in expected.items() if k not in skip),
                                      dict((k, v) for k, v in found.items() if k not in skip))


def restore_kept_properties(properties):
    """The properties a rebuilt copy takes over: all, bar a restore's own mark in the comment."""
    if properties is not None and not isinstance(properties, dict):
        raise AnsibleFilterError("restore_kept_properties needs verify_result.properties (a dict), got %r"
                                 % (properties,))
    return _restore.properties_to_keep(properties)


def restore_tables_script(tables, foreign_keys=None, commit=False):
    """The pieces of a partial restore's script: tables (parents first), head, awk, tail, pg_restore args."""
    try:
        names = _restore_tables.normalize(tables)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))
    if not names:
        raise AnsibleFilterError("restore_tables_script needs at least one table")
    if foreign_keys is not None and not isinstance(foreign_keys, list):
        raise AnsibleFilterError("restore_tables_script: foreign_keys must be a list of {table, references}, got %r"
                                 % (foreign_keys,))
    ordered = _restore_tables.order(names, foreign_keys or [])
    args = []
    for schema in sorted(set(n.split(".", 1)[0] for n in ordered)):
        args += ["--schema=" + schema]
    for name in ordered:
        args += ["--table=" + name.split(".", 1)[1]]
    return {"tables": ordered, "head": _restore_tables.head_sql(ordered), "awk": _restore_tables.REWRITE_AWK,
            "tail": _restore_tables.tail_sql(ordered, bool(commit)), "pg_restore_args": args}


def restore_tables_result(stdout, database, container="", tables=None, dump_text=""):
    """What a partial restore's script reported: per table, the changes, their words, the refusal."""
    try:
        report = _restore_tables.parse_report(stdout if isinstance(stdout, str) else "")
    except ValueError as exc:
        raise AnsibleFilterError("restore_tables_result: the script's report is not JSON (%s)" % exc)
    changes = _restore_tables.changes(report)
    return {
        "report": report,
        "changes": changes,
        "changed": any(changes.values()),
        "lines": _restore_tables.report_lines(report),
        "rows_before": sum(int(r.get("before") or 0) for r in report),
        "refusal": _restore_tables.refusal(database, container, tables or [r.get("tbl") for r in report],
                                           report, dump_text),
    }


def restore_kept_name(database):
    """<database>__old_<YYYYMMDD_HHMMSS> for now (UTC): where a swap keeps the old database."""
    return _kept_name(database, datetime.datetime.now(datetime.timezone.utc))


class FilterModule(object):
    """Restore filters."""

    def filters(self):
        return {"restore_leftovers": restore_leftovers, "restore_plan": restore_plan,
                "restore_kept_name": restore_kept_name, "restore_kept_properties": restore_kept_properties,
                "restore_count_differences": restore_count_differences,
                "restore_space_problem": restore_space_problem,
                "restore_tables_script": restore_tables_script, "restore_tables_result": restore_tables_result}
