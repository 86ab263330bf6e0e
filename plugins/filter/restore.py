# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind the restore role's decisions (pure logic in module_utils/_restore.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _restore
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import restore_kept_name as _kept_name
from ansible_collections.fancai.db_runbooks.plugins.module_utils._schema_source import newer_refusal


def restore_leftovers(rows, database, temp_name, legacy_old_name):
    """What earlier, interrupted restores left: closed, kept, temp, foreign, legacy_old."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "name" in r for r in rows):
        raise AnsibleFilterError("restore_leftovers needs the probe's rows (dicts with name), got %r" % (rows,))
    return _restore.swap_states(database, rows, temp_name, legacy_old_name)


def restore_plan(verify, database, exists, recreate=False, container="", size=0, rows=0, tables=0,
                 kept_name="", safety_dir="", source_revision=""):
    """The plan, the findings and the words of a refusal."""
    if verify is not None and not isinstance(verify, dict):
        raise AnsibleFilterError("restore_plan needs verify_result (a dict) or none, got %r" % (verify,))
    verify = verify if exists else None
    items = _restore.findings(verify)
    playbooks, by_hand, rest = _restore.classify(items)
    plan = _restore.decide(database, exists, verify, bool(recreate))
    if plan == "newer":
        refusal = newer_refusal(database, container, verify.get("database_revision"), source_revision,
                                verify.get("schema_label") or "the schema source")
        if items:
            refusal += ("\nWhat differs from what the application builds at %s: %s"
                        % (verify.get("database_revision"), _restore.findings_text(verify, items)))
    elif exists:
        refusal = _restore.refusal(database, container, verify, bool(recreate), size, rows, tables,
                                   kept_name, safety_dir)
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
    }


def restore_kept_properties(properties):
    """The properties a rebuilt copy takes over: all, bar a restore's own mark in the comment."""
    if properties is not None and not isinstance(properties, dict):
        raise AnsibleFilterError("restore_kept_properties needs verify_result.properties (a dict), got %r"
                                 % (properties,))
    return _restore.properties_to_keep(properties)


def restore_kept_name(database):
    """<database>__old_<YYYYMMDD_HHMMSS> for now (UTC): where a swap keeps the old database."""
    return _kept_name(database, datetime.datetime.now(datetime.timezone.utc))


class FilterModule(object):
    """Restore filters."""

    def filters(self):
        return {"restore_leftovers": restore_leftovers, "restore_plan": restore_plan,
                "restore_kept_name": restore_kept_name, "restore_kept_properties": restore_kept_properties}
