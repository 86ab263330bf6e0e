# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin plugins/action/repair_schema.py on the
# controller; this file carries the documentation only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: repair_schema
short_description: Bring a database to the expected schema in place, keeping every row
version_added: "0.1.0"
description:
  - Reads the live catalog of O(database) (one C(docker exec -i <container> psql) round trip) and
    which of its tables hold rows, and plans, against O(expected), the statements that bring it to
    the expected schema without touching a row (module_utils C(_repair.plan_repair)).
  - "Order: missing extensions; missing enum labels (C(ALTER TYPE ... ADD VALUE IF NOT EXISTS ...
    BEFORE/AFTER), each alone); ONE transaction with enum types, sequences, tables (an empty new
    table comes with its primary key, constraints and indexes), columns that are nullable or have a
    default, defaults, CHECK and FOREIGN KEY constraints added C(NOT VALID), materialized views
    created (or replaced) C(WITH DATA) with their indexes; then C(VALIDATE CONSTRAINT) for each;
    then indexes C(CONCURRENTLY), one by one (an invalid index left by an interrupted build is
    dropped C(CONCURRENTLY) and built again; a missing primary key is a unique index built
    concurrently, then C(ADD CONSTRAINT ... PRIMARY KEY USING INDEX))."
  - Before anything changes it counts, read-only, the rows each new CHECK, FOREIGN KEY, unique index,
    primary key or NOT NULL would reject; if any would, it fails naming each with its row count and
    at most three of their keys, and nothing is changed.
  - Drift that cannot be repaired without rewriting or losing data (a column type change, a missing
    NOT NULL column without default on a table with rows, an enum label the schema does not have or
    labels in another order, a primary key change) is returned in RV(unrepairable) with why, and
    left. Objects the schema does not have are returned in RV(extra) and left alone - the repair adds,
    it never drops what the application might use.
  - Each statement is safe on its own (C(IF NOT EXISTS) where PostgreSQL has it) or part of the one
    transaction; a failure stops the run, rolls the transaction back, drops the invalid index a
    failed C(CREATE INDEX CONCURRENTLY) left and the C(NOT VALID) constraint a failed validation
    left, and says which steps were complete before it. The next run plans from the database as it
    is then, so a second run changes nothing.
  - Every session runs with O(lock_timeout) and O(statement_timeout), so a repair never queues
    for ever behind the application's locks. A statement that gave up on a lock names the sessions
    holding locks on the database's tables then (pid, application, state, age of the transaction,
    locks; never their query) and what to do. A failed unique build names the duplicated key as
    PostgreSQL's DETAIL gives it, never a row. An invalid index its cleanup could not drop is said to
    be left, with the statement that drops it.
  - An index build still running in the server (C(pg_stat_progress_create_index); a killed run leaves
    its build running) on an index or a table the plan builds concurrently is refused before anything
    changes, naming its pid and phase and how to cancel it.
  - The worker process that runs this action outlives a kill of C(ansible-playbook) (ansible-core runs
    workers in sessions of their own) while the run lock is freed; once it sees C(ansible-playbook)
    gone it runs no further statement and no cleanup, so nothing repairs unwatched beside the next run.
  - With O(lock_probe=true) it only opens, read-only, every table and materialized view of
    O(database) within O(lock_timeout), and fails naming the session holding one of them in C(ACCESS
    EXCLUSIVE) mode (the role runs it before the verification, which reads the catalog without a lock
    timeout).
author:
  - fancai.db_runbooks contributors
extends_documentation_fragment:
  - fancai.db_runbooks.connection
  - fancai.db_runbooks.connection.attributes
options:
  database:
    description: Database to repair.
    type: str
    required: true
  expected:
    description:
      - The expected catalog, keyed as P(fancai.db_runbooks.verify_schema#module) returns it
        (C(verify_result.reference.catalog) of the role P(fancai.db_runbooks.verify#role)).
      - Required unless O(lock_probe=true).
    type: dict
  lock_probe:
    description:
      - Only check, read-only, that every table and materialized view can be read within
        O(lock_timeout); O(expected) is not needed. A database that does not exist is not probed.
    type: bool
    default: false
  apply:
    description:
      - C(false) plans and runs the read-only prechecks only, and never reports changed (the role's
        plan step).
    type: bool
    default: true
  require_online:
    description:
      - Refuse, before changing anything, a plan with a step that is not additive and online (one
        that drops or replaces an object, or takes a lock that blocks the application); the role
        sets it when it took no safety dump.
    type: bool
    default: false
  lock_timeout:
    description: PostgreSQL C(lock_timeout) of every session (never 0, which would wait for ever).
    type: str
    default: 5s
  statement_timeout:
    description: PostgreSQL C(statement_timeout) of every statement (C(0) means no limit).
    type: str
    default: 30min
  maintenance_database:
    description: Database the catalog read starts in (it connects to O(database) only when it exists).
    type: str
    default: postgres
attributes:
  check_mode:
    support: full
    details:
      - Reads the catalog, plans and runs the read-only prechecks; runs no statement that changes
        anything and reports changed when there is something to repair.
  diff_mode:
    support: full
    details:
      - With C(--diff), the exact SQL that runs (or would run) is returned as C(diff.prepared).
  idempotent:
    support: full
    details:
      - The plan is made from the live catalog each time; a repaired database plans no step.
  action:
    support: full
notes:
  - Only the C(public) schema is repaired, where the bookreader schema lives.
  - A unique constraint missing from the database is rebuilt as the unique index it is in the
    catalog compared (the catalog does not tell a unique constraint from a unique index).
  - Column order is not compared, so a column added by the repair comes last.
seealso:
  - module: fancai.db_runbooks.verify_schema
    description: Reads the catalogs this module compares.
  - module: fancai.db_runbooks.psql
    description: Runs SQL in the same container the same way.
"""

EXAMPLES = r"""
- name: Plan the repair and count the rows constraints would reject (changes nothing)
  fancai.db_runbooks.repair_schema:
    database: bookreader_dev
    expected: "{{ verify_result.reference.catalog }}"
    apply: false
  register: repair_plan

- name: Repair in place, refusing anything not additive and online
  fancai.db_runbooks.repair_schema:
    database: bookreader_dev
    expected: "{{ verify_result.reference.catalog }}"
    require_online: true
    lock_timeout: 5s
"""

RETURN = r"""
steps:
  description: The steps planned, in the order they run.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: extension, enum_value, enum, sequence, table, column, column_default, column_not_null,
        sequence_owner, check_constraint, foreign_key, matview, matview_refresh, validate, index or primary_key.
      type: str
    name:
      description: The object (C(table.name) for columns and constraints).
      type: str
    what:
      description: The step in words, as messages name it.
      type: str
    sql:
      description: Its statements.
      type: list
      elements: str
    transactional:
      description: Part of the one transaction.
      type: bool
    online:
      description: Takes no lock that blocks the application beyond a catalog change, rewrites no table.
      type: bool
    destructive:
      description: Drops or replaces something (a different index, constraint or materialized view).
      type: bool
    precheck:
      description: The read-only query counting the rows it would reject, or null.
      type: str
    detail:
      description: Why it is not online or additive, or what it replaces.
      type: str
  sample: [{kind: index, name: ix_books_title, what: "index ix_books_title on books",
            sql: ["CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_books_title ON public.books USING btree (title)"],
            transactional: false, online: true, destructive: false, precheck: null, detail: ""}]
unrepairable:
  description: Drift left for a rebuild or a restore from backup, each with why.
  returned: always
  type: list
  elements: dict
  sample: [{finding: "column users.full_name: type is text, expected character varying(255)",
            why: "changing a column's type rewrites every row and may fail on their values: rebuild (playbooks/restore.yml) or restore a backup"}]
extra:
  description: Objects the database has and the schema does not, left alone.
  returned: always
  type: list
  elements: str
  sample: ["table notes"]
online:
  description: Every step is additive and online (the role takes no safety dump then).
  returned: always
  type: bool
additive:
  description: No step drops or replaces anything.
  returned: always
  type: bool
violations:
  description: The prechecks that found rows, each with step, rows, sample (at most three keys) and what.
  returned: always
  type: list
  elements: dict
applied:
  description: The steps complete (in this run), in words.
  returned: always
  type: list
  elements: str
statements:
  description: The statements run successfully, in order (empty in check mode or with O(apply=false)).
  returned: always
  type: list
  elements: str
sql:
  description: The whole plan as one script (what C(diff.prepared) shows).
  returned: always
  type: str
tables_with_rows:
  description: The live tables holding at least one row.
  returned: always
  type: list
  elements: str
failed_step:
  description: The step that failed.
  returned: failure
  type: str
index_builds:
  description: The index builds in progress (pid, application, phase, index, relation, seconds) that refused the run.
  returned: when an index build refused the run
  type: list
  elements: dict
relations:
  description: With O(lock_probe=true), the tables and materialized views opened.
  returned: with lock_probe
  type: int
queries:
  description: Every script and query sent to psql, in order.
  returned: always
  type: list
  elements: str
"""
