# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight role's input checks, in one call (it runs on every include of every role).

Documentation: preflight_problem.yml. The rules live in
plugins/module_utils/_runbooks.py (preflight_problem).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    preflight_problem,
)


class FilterModule(object):
    """Preflight input checks."""

    def filters(self):
        return {
            "preflight_problem": preflight_problem,
        }
