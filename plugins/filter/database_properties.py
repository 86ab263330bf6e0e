# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over database-level properties (pure logic in module_utils/_database_properties.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _database_properties as _dp


def _name(value, what):
    if not isinstance(value, str) or not value or "\x00" in value:
        raise AnsibleFilterError("%s needs a database name (a non-empty string), got %r" % (what, value))
    return value


def _dict(value, what, arg):
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise AnsibleFilterError("%s: %s must be a dict (database_properties_result), got %r" % (what, arg, value))
    return value


def database_properties_sql(name, properties, owner="", settings=None, current=None):
    """The statements that give database *name* the *properties*.

    current empty (the database is to be created): CREATE DATABASE … and the
    settings and ACL (create_statements); with properties empty, only the
    ALTER DATABASE … SET statements of *settings* (a dict name -> value).
    current given (the database exists, read with database_properties_select):
    what differs, changed in place ([] when nothing does).
    """
    _name(name, "database_properties_sql")
    properties = _dict(properties, "database_properties_sql", "properties")
    current = _dict(current, "database_properties_sql", "current")
    if settings not in (None, "") and not isinstance(settings, dict):
        raise AnsibleFilterError("database_properties_sql: settings must be a dict of name: value, got %r" % (settings,))
    try:
        if current:
            return _dp.alter_statements(name, properties, current)
        if properties:
            return _dp.create_statements(name, properties, owner=owner or None)
        return _dp.settings_statements(name, _dp.settings_from_dict(settings))
    except ValueError as exc:
        raise AnsibleFilterError("database_properties_sql: %s" % exc)


def database_properties_diff(expected, actual, ignore=("name", "comment")):
    """One line per property that differs between two readings; [] when they agree."""
    expected = _dict(expected, "database_properties_diff", "expected")
    actual = _dict(actual, "database_properties_diff", "actual")
    if isinstance(ignore, str):
        ignore = [ignore]
    try:
        return _dp.compare_properties(expected, actual, ignore=tuple(ignore or ()))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("database_properties_diff: a reading is malformed (%s)" % exc)


def database_properties_select(name):
    """The SELECT expression that reads database *name*'s properties as json (NULL when absent)."""
    try:
        return _dp.properties_select_sql(_name(name, "database_properties_select"))
    except ValueError as exc:
        raise AnsibleFilterError("database_properties_select: %s" % exc)


class FilterModule(object):
    """Database property filters."""

    def filters(self):
        return {
            "database_properties_sql": database_properties_sql,
            "database_properties_diff": database_properties_diff,
            "database_properties_select": database_properties_select,
        }
