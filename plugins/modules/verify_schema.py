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
      - Another database in the same container holding the expected schema. Read in the same psql
        session as O(database).
      - One of O(schema_kind), O(expected_database) and O(expected) is required; O(expected_database)
        and O(expected) exclude each other.
    type: str
  expected:
    description:
      - The expected catalog, in the shape this module returns in RV(catalog) (a saved report
        works as is), or RV(reference.catalog) of an earlier call.
      - With O(schema_kind), it is used only when O(expected_revision) is the revision the database
        must be compared at; otherwise the reference is built.
      - Each kind (C(tables), C(columns), C(indexes), C(primary_keys), C(check_constraints),
        C(foreign_keys), C(enums), C(extensions), C(matviews)) may be a dictionary of name to
        attributes (the attributes given are compared) or a list of names (presence only). A kind
        left out is not compared.
    type: dict
  expected_revision:
    description: The Alembic revision O(expected) was built at (RV(reference.revision) of an earlier call).
    type: str
    default: ""
  schema_kind:
    description:
      - The schema source (as P(fancai.db_runbooks.schema_source#module) resolved it) - C(file),
        C(backend), C(guide) (the checked text is in O(schema_sql)) or C(alembic) (the application's
        chain in O(backend_container)).
      - With it, the module builds the reference itself in a scratch database named
        O(scratch_prefix) and 8 hex digits (a new name per call), marked with O(scratch_marker) and
        the server's time, and drops it whatever happens (C(DROP DATABASE ... WITH (FORCE)) in a
        C(finally)).
      - "What the reference is: a database whose C(alembic_version) holds a revision R that the
        application's chain (O(alembic_history)) knows, other than O(schema_revision), is compared
        with what the chain builds for R (C(alembic upgrade R) run in the backend against the scratch
        database). Otherwise (and always for C(guide)) the checked text is loaded at O(schema_revision).
        For C(alembic), the chain is used for R or O(schema_revision)."
    type: str
    default: ""
  schema_label:
    description: How messages name the schema source ("schema from <label>").
    type: str
    default: ""
  schema_sql:
    description: The checked schema text (RV(fancai.db_runbooks.schema_source#module:content)), loaded in one transaction.
    type: str
    default: ""
  schema_settings:
    description: Session settings (PGOPTIONS) the load runs with, for example C(client_encoding=UTF8).
    type: dict
    default: {}
  schema_revision:
    description: The Alembic revision the schema source is at.
    type: str
    default: ""
  alembic_history:
    description:
      - The application's chain (RV(fancai.db_runbooks.schema_source#module:history)), base first; omitted
        when the backend is not at hand.
    type: list
    elements: dict
  backend_container:
    description: The backend container that runs the chain.
    type: str
    default: ""
  url_variable:
    description: The backend's environment variable holding its database URL.
    type: str
    default: DATABASE_URL
  extensions:
    description: Extensions created in the scratch database before the schema is built.
    type: list
    elements: str
    default: [uuid-ossp, pg_trgm]
  scratch_prefix:
    description: Prefix of the scratch database's name.
    type: str
    default: db_runbooks_verify_
  scratch_marker:
    description: Start of the scratch database's comment (a later run recognises a killed run's leftover by it).
    type: str
    default: fancai.db_runbooks.verify scratch database, created
  alembic_revision:
    description:
      - The revision C(alembic_version) must hold, as its only row. Empty means not checked.
      - With O(schema_kind) and the reference built at the database's own revision, that revision is
        the one checked; omitted means the reference's revision.
    type: str
  expected_properties:
    description:
      - Database-level properties the database must have (as RV(properties) returns them - encoding,
        collation, ctype, owner, settings of C(ALTER DATABASE/ROLE ... SET), connection limit, ACL); the
        name and the comment are not compared. Omitted means not compared.
    type: dict
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
  lock_timeout:
    description:
      - PostgreSQL C(lock_timeout) of the catalog read. Reading index and view definitions opens the database's
        tables; behind a session that holds ACCESS EXCLUSIVE on one (a migration, C(VACUUM FULL), C(LOCK TABLE)) the
        read gives up after this long, changing nothing, and the message names the sessions holding locks.
      - A duration such as C(30s) or C(500ms); C(0) (wait for ever) is refused.
    type: str
    default: 30s
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
database_revision:
  description: The one revision C(alembic_version) holds, or null (no table, no row, several rows).
  returned: always
  type: str
  sample: reading_goals_2026
expected_revision:
  description: The revision the database was compared at (its own, when the chain built the reference).
  returned: always
  type: str
  sample: reading_goals_2026
revision_relation:
  description:
    - How RV(database_revision) stands to O(schema_revision) in the application's chain - C(same),
      C(newer), C(older), C(unknown) (not both in the chain, or no chain), C(none) (no revision).
  returned: always
  type: str
  sample: newer
reference:
  description:
    - What the database was compared with - C(build) (C(sql) or C(alembic)), C(revision), C(why),
      C(relation), and C(catalog) (pass it as O(expected) with O(expected_revision) to reuse it).
      Empty without O(schema_kind).
  returned: always
  type: dict
  sample: {"build": "alembic", "revision": "reading_goals_2026", "why": "the database is at reading_goals_2026, ..."}
scratch_database:
  description: The scratch database the reference was built in (already dropped).
  returned: when a reference was built
  type: str
  sample: db_runbooks_verify_3fa9c2d1
properties:
  description: The database-level properties of O(database) (encoding, collate, ctype, owner, connection_limit, acl, settings, comment, ...).
  returned: when the database exists
  type: dict
  sample: {"encoding": "UTF8", "collate": "C", "settings": [{"role": "", "name": "default_text_search_config", "value": "russian"}]}
queries:
  description: The psql scripts sent (a schema text by its head) and the alembic commands run.
  returned: always
  type: list
  elements: str
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
