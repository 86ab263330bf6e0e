# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin plugins/action/verify_schema.py on the
# controller; this file carries the documentation only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: verify_schema
short_description: Compare a database's schema with the expected one, by name, read-only
version_added: "0.1.0"
description:
  - Reads the catalog of O(database) in one C(docker exec -i <container> psql) round trip on the
    docker host, as one JSON object per database - tables, columns (type, not null, default),
    indexes and primary keys, CHECK constraints on tables, foreign keys, enum types with their
    labels in order, extensions, materialized views and whether they are populated, and the rows
    of C(alembic_version) when that table exists.
  - Compares it with O(expected_database) (read in the same psql session) or with the catalog
    given in O(expected), object by object and by name, and with O(alembic_revision).
  - Definitions are compared with normalised semantics, not as raw text. Casts are dropped,
    parentheses around a single operand are removed and list membership has one sorted form, so
    C(col IN ('a', 'b')) and the C(= ANY (ARRAY[...])) forms PostgreSQL prints for it, before and
    after a pg_dump round trip, compare equal; another literal, column or operator still differs.
  - Only CHECK constraints on tables are counted. The guide's own query also counts those of
    information_schema's domains (6 rows instead of 4 on PostgreSQL 15).
  - Whether materialized views hold data is reported in RV(matviews_unpopulated); it makes the
    result not ok only with O(require_populated=true). pg_dump's schema-only output creates them
    C(WITH NO DATA).
  - A database that does not exist is a result, not an error - RV(ok=false) with a clear line in
    RV(missing) - so a playbook can probe before it restores.
  - Never reports C(changed); runs in check mode.
author:
  - fancai.db_runbooks contributors
extends_documentation_fragment:
  - fancai.db_runbooks.connection
  - fancai.db_runbooks.connection.attributes
options:
  database:
    description: Database to verify.
    type: str
    required: true
  expected_database:
    description:
      - Another database in the same container holding the expected schema (for example a scratch
        database built from the schema source). Read in the same psql session as O(database).
      - Exactly one of O(expected_database) and O(expected) is required.
    type: str
  expected:
    description:
      - The expected catalog, in the shape this module returns in RV(catalog) (a saved report
        works as is).
      - Each kind (C(tables), C(columns), C(indexes), C(primary_keys), C(check_constraints),
        C(foreign_keys), C(enums), C(extensions), C(matviews)) may be a dictionary of name to
        attributes (the attributes given are compared) or a list of names (presence only). A kind
        left out is not compared.
    type: dict
  alembic_revision:
    description:
      - The revision C(alembic_version) must hold, as its only row. Empty or omitted means not
        checked.
    type: str
  require_populated:
    description:
      - Count a materialized view that holds no data (never refreshed) as a difference.
      - When V(false), unpopulated views are still listed in RV(matviews_unpopulated).
    type: bool
    default: true
  fail_on_difference:
    description:
      - Fail the task when the result is not ok, with a message naming every difference.
      - When V(false), the task succeeds and RV(ok) says whether the database matches.
    type: bool
    default: false
  maintenance_database:
    description: Database psql connects to first, to learn which databases exist.
    type: str
    default: postgres
attributes:
  check_mode:
    support: full
    details:
      - The module only reads; it runs the same way in check mode.
  diff_mode:
    support: none
    details:
      - The differences are returned in RV(missing), RV(extra) and RV(different) instead.
  idempotent:
    support: full
    details:
      - Nothing is ever changed.
  action:
    support: full
notes:
  - Only the C(public) schema is read, where the bookreader schema lives.
  - "The entries of RV(missing), RV(extra) and RV(different) read C(kind name: detail). Columns,
    CHECK constraints and foreign keys are named C(table.name), since those names are unique per
    table only."
  - Extension versions and the populated state are not compared between the two catalogs; the
    populated state is checked on O(database) alone (O(require_populated)).
seealso:
  - module: fancai.db_runbooks.psql
    description: Runs SQL in the same container the same way.
  - name: System catalogs
    description: The PostgreSQL catalogs this module reads.
    link: https://www.postgresql.org/docs/15/catalogs.html
  - name: pg_get_constraintdef and friends
    description: The functions that print the definitions compared.
    link: https://www.postgresql.org/docs/15/functions-info.html#FUNCTIONS-INFO-CATALOG
"""

EXAMPLES = r"""
- name: Compare bookreader_dev with a scratch database built from the schema file
  fancai.db_runbooks.verify_schema:
    database: bookreader_dev
    expected_database: bookreader_dev__expected
    alembic_revision: enum_checks_2025
  register: verify
# verify.summary holds lines such as "tables 9/9 ✓"; verify.ok says whether all is well.

- name: Check only that the guide's tables and CHECK constraints exist, and fail otherwise
  fancai.db_runbooks.verify_schema:
    container: fancai-vibe-hackathon-postgres-1
    database: bookreader_dev
    require_populated: false
    fail_on_difference: true
    expected:
      tables: [alembic_version, books, chapters, descriptions, generated_images,
               reading_progress, reading_sessions, subscriptions, users]
      check_constraints: [books.check_book_format, books.check_book_genre,
                          generated_images.check_image_service, generated_images.check_image_status]
"""

RETURN = r"""
ok:
  description: The database matches - nothing missing, extra or different (and, with
    O(require_populated), every materialized view populated; with O(alembic_revision), the revision).
  returned: always
  type: bool
  sample: true
summary:
  description: One short line per kind of object, then the Alembic revision.
  returned: always
  type: list
  elements: str
  sample: ["tables 9/9 ✓", "columns 114/114 ✓", "indexes 37/37 ✓", "primary keys 9/9 ✓",
           "check constraints 4/4 ✓", "foreign keys 10/10 ✓", "enums 3/3 ✓", "extensions 3/3 ✓",
           "matviews 2/2 ✓ (populated 2/2)", "alembic enum_checks_2025 ✓"]
missing:
  description: "Expected objects the database lacks, as C(kind name: detail); also a missing
    database or Alembic revision."
  returned: always
  type: list
  elements: str
  sample: ["index ix_books_title: on books using btree ( title )"]
extra:
  description: Objects the database has and the expected schema does not.
  returned: always
  type: list
  elements: str
  sample: ["table notes"]
different:
  description: Objects present in both whose definitions differ, an unpopulated view when
    O(require_populated), or a wrong Alembic revision.
  returned: always
  type: list
  elements: str
  sample: ["enum subscriptionplan: labels is [FREE, PREMIUM], expected [FREE, PREMIUM, ULTIMATE]"]
matviews_unpopulated:
  description: Materialized views of O(database) that hold no data.
  returned: always
  type: list
  elements: str
  sample: ["reading_sessions_daily_stats", "user_reading_patterns"]
alembic_version:
  description: The values in C(alembic_version), or null when that table does not exist.
  returned: always
  type: list
  elements: str
  sample: ["enum_checks_2025"]
database_exists:
  description: Whether O(database) exists.
  returned: always
  type: bool
  sample: true
catalog:
  description:
    - The catalog of O(database), keyed by kind then name (empty when it does not exist).
      Usable as O(expected).
  returned: always
  type: dict
  sample: {"tables": {"books": {}}, "enums": {"subscriptionplan": {"labels": ["FREE", "PREMIUM", "ULTIMATE"]}}}
counts:
  description: Per kind, how many objects were expected, found, missing, extra and different.
  returned: when the database exists
  type: dict
  sample: {"tables": {"expected": 9, "found": 9, "missing": 0, "extra": 0, "different": 0}}
expected_source:
  description: What the database was compared with.
  returned: always
  type: str
  sample: database bookreader_dev__expected
queries:
  description: The psql script sent (one round trip, reading every database compared).
  returned: always
  type: list
  elements: str
cmd:
  description: The command run on the docker host, as a list.
  returned: always
  type: list
  elements: str
msg:
  description: The summary on one line, or every difference when the task fails.
  returned: always
  type: str
"""
