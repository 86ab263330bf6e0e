# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter that decides how each materialized view is refreshed (role matview_refresh)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    matview_refresh_plan as _plan,
)


def matview_refresh_plan(views, mode="auto", unique_keys=None, create_indexes=False):
    """Per probed view: method, statement, index to create, warning, error."""
    if not isinstance(views, list) or not all(isinstance(v, dict) for v in views):
        raise AnsibleFilterError("matview_refresh_plan needs the probe's rows (a list of dicts), got %r" % (views,))
    if unique_keys is not None and not isinstance(unique_keys, dict):
        raise AnsibleFilterError("unique_keys must map view names to column lists, got %r" % (unique_keys,))
    try:
        return _plan(views, mode=mode, unique_keys=unique_keys, create_indexes=bool(create_indexes))
    except (KeyError, ValueError) as exc:
        raise AnsibleFilterError("matview_refresh_plan: %s" % exc)


class FilterModule(object):
    """Materialized-view refresh filters."""

    def filters(self):
        return {"matview_refresh_plan": matview_refresh_plan}
