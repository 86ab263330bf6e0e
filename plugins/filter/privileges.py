# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that turns the privileges role's probe into the statements still needed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    privileges_statements as _statements,
)


def privileges_sql(state, role, database, for_role, table_privileges=None, sequence_privileges=None,
                   default_privileges=True, owner=False):
    """GRANT / ALTER … OWNER TO / ALTER DEFAULT PRIVILEGES statements, [] when nothing is missing."""
    if not isinstance(state, dict):
        raise AnsibleFilterError("privileges_sql needs the probe's row (a dict), got %r" % (state,))
    try:
        return _statements(state, role, database, for_role, table_privileges=table_privileges,
                           sequence_privileges=sequence_privileges,
                           default_privileges=bool(default_privileges), owner=bool(owner))
    except (KeyError, ValueError) as exc:
        raise AnsibleFilterError("privileges_sql: %s" % exc)


class FilterModule(object):
    """Privilege filters."""

    def filters(self):
        return {"privileges_sql": privileges_sql}
