# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that quote values for SQL the roles send through fancai.db_runbooks.psql."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    quote_ident,
    quote_literal,
)


def sql_identifier(value):
    """Quote an identifier: bookreader_dev -> "bookreader_dev"."""
    if not isinstance(value, str) or not value or "\x00" in value:
        raise AnsibleFilterError("sql_identifier needs a non-empty string, got %r" % (value,))
    return quote_ident(value)


def sql_literal(value):
    """Quote a string literal: it's -> 'it''s'."""
    if isinstance(value, str) and "\x00" in value:
        raise AnsibleFilterError("sql_literal cannot quote a string with a NUL byte")
    return quote_literal(value)


class FilterModule(object):
    """SQL quoting filters."""

    def filters(self):
        return {
            "sql_identifier": sql_identifier,
            "sql_literal": sql_literal,
        }
