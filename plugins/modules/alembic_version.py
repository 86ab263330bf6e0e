# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin plugins/action/alembic_version.py on
# the controller; this file carries the documentation only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alembic_version
short_description: Set the Alembic revision a PostgreSQL database claims, idempotently
version_added: "0.1.0"
description:
  - Leaves exactly one row in C(public.alembic_version), O(revision), creating the table when it is
    missing. Nothing is written when the table already holds exactly that revision.
  - Reads the table in one psql round trip (psql's C(\if) skips the read when the table is missing)
    and writes in one transaction, so an interrupted stamp never leaves the table empty (the guide's
    C(DELETE) then C(INSERT) outside a transaction can).
  - Runs inside the PostgreSQL container through C(docker exec -i … psql), like M(fancai.db_runbooks.psql).
  - The role P(fancai.db_runbooks.alembic_stamp#role) adds the check that the schema verifies first.
author:
  - fancai.db_runbooks contributors
extends_documentation_fragment:
  - fancai.db_runbooks.connection
  - fancai.db_runbooks.connection.attributes
options:
  database:
    description: Database to stamp.
    type: str
    required: true
  revision:
    description: Alembic revision id, at most 32 characters (the width of C(version_num)).
    type: str
    required: true
attributes:
  check_mode:
    support: full
    details:
      - The current revision is read in check mode too; nothing is written.
  diff_mode:
    support: full
    details:
      - The revisions before and after, one per line.
  idempotent:
    support: full
  action:
    support: full
seealso:
  - name: Alembic stamp
    description: What C(alembic stamp) records, and why the table holds one row per head.
    link: https://alembic.sqlalchemy.org/en/latest/api/commands.html#alembic.command.stamp
  - module: fancai.db_runbooks.psql
"""

EXAMPLES = r"""
- name: Claim the guide's head revision
  fancai.db_runbooks.alembic_version:
    container: fancai-vibe-hackathon-postgres-1
    database: bookreader_dev
    revision: enum_checks_2025
"""

RETURN = r"""
revision:
  description: The revision the table holds afterwards (or would, in check mode).
  returned: always
  type: str
  sample: enum_checks_2025
previous:
  description: The revisions the table held before, sorted; empty when none or no table.
  returned: always
  type: list
  elements: str
  sample: ["2024_11_old_head"]
table_existed:
  description: Whether C(public.alembic_version) existed before.
  returned: always
  type: bool
  sample: true
queries:
  description: The statements run (or that would run in check mode) in one transaction; empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: ["CREATE TABLE IF NOT EXISTS public.alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
           "DELETE FROM public.alembic_version",
           "INSERT INTO public.alembic_version (version_num) VALUES ('enum_checks_2025')"]
database:
  description: The database stamped.
  returned: always
  type: str
  sample: bookreader_dev
container:
  description: The container psql ran in.
  returned: always
  type: str
  sample: fancai-vibe-hackathon-postgres-1
"""
