# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a database name leaves room for the names the collection derives from it.

Documentation: database_name_problem.yml. The rule and the suffixes live once,
in plugins/module_utils/_runbooks.py (MAX_DATABASE_NAME).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    database_name_problem,
)


class FilterModule(object):
    """Database name limits."""

    def filters(self):
        return {
            "database_name_problem": database_name_problem,
        }
