# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin plugins/action/psql.py on the
# controller; this file carries the documentation only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: psql
short_description: Run SQL in a PostgreSQL container through docker exec and psql
version_added: "0.1.0"
description:
  - Runs C(docker exec -i <container> psql -X -q -v ON_ERROR_STOP=1 -U <login_user> -d <database>)
    on the docker host (the inventory host), with the SQL on standard input.
  - The PostgreSQL image needs no Python, no password and no network path, and psql always
    matches the server's version. This is the one way the collection's roles reach a server.
  - A file on the docker host (O(path)) is redirected to psql's standard input by the shell, so
    it is streamed and never held in memory by Ansible, whatever its size.
  - The first SQL error stops psql; the task fails with psql's message, the file and the line.
  - With O(query), the rows come back as a list of dictionaries (one round trip, as JSON).
author:
  - fancai.db_runbooks contributors
extends_documentation_fragment:
  - fancai.db_runbooks.connection
  - fancai.db_runbooks.connection.attributes
options:
  database:
    description: Database to connect to.
    type: str
    required: true
  sql:
    description:
      - SQL statements (or psql meta-commands starting with a backslash) run in order in one psql
        session. A missing final semicolon is added.
      - Each statement commits on its own unless O(single_transaction=true).
    type: list
    elements: str
    default: []
  query:
    description:
      - One SELECT (or other row-returning statement) whose rows are returned in RV(rows).
      - Runs after O(sql) in the same session.
    type: str
  path:
    description:
      - A file on the docker host streamed to psql. Cannot be combined with O(sql) or O(query).
      - Errors name this path and the line in it.
    type: path
  single_transaction:
    description:
      - Run everything in one transaction (psql C(--single-transaction)), so that on error nothing
        is left half applied. Not possible for C(CREATE DATABASE), C(DROP DATABASE) or C(VACUUM).
    type: bool
    default: false
  read_only:
    description:
      - The SQL changes nothing. A read-only call also runs in check mode and never reports
        C(changed).
      - Defaults to V(true) when only O(query) is given, else V(false).
    type: bool
  variables:
    description: psql variables (C(-v name=value)), usable in SQL as C(:'name') or C(:"name").
    type: dict
    default: {}
  settings:
    description:
      - "Server settings for this session, passed as C(PGOPTIONS), for example
        C({lock_timeout: 5s, statement_timeout: 10min})."
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    details:
      - Read-only calls run in check mode; any other call is not sent and reports C(changed=true)
        with the statements it would run in RV(queries).
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - The module runs what it is given and reports C(changed=true) for every call that is not
        read-only. Roles probe the current state with a read-only call first and only run a change
        when it is needed, so their second run reports nothing changed.
  action:
    support: full
notes:
  - C(docker exec) is run without C(-t), since a terminal would corrupt data and hang without one.
seealso:
  - name: psql
    description: The psql manual, including exit codes and ON_ERROR_STOP.
    link: https://www.postgresql.org/docs/15/app-psql.html
  - module: community.postgresql.postgresql_query
    description: The same for a server reached over TCP, with psycopg2 on the managed node.
  - module: community.docker.docker_container_exec
    description: Runs a command in a container, but holds all its output in memory.
"""

EXAMPLES = r"""
- name: Read the server version
  fancai.db_runbooks.psql:
    container: fancai-vibe-hackathon-postgres-1
    database: postgres
    query: SELECT current_setting('server_version_num')::int AS version_num
  register: version

- name: Enable an extension (after a read-only probe said it is missing)
  fancai.db_runbooks.psql:
    database: bookreader_dev
    sql:
      - CREATE EXTENSION IF NOT EXISTS pg_trgm

- name: Load a schema file from the docker host in one transaction
  fancai.db_runbooks.psql:
    database: bookreader_dev
    path: /var/tmp/schema_backup.sql
    single_transaction: true

- name: Refresh a view without waiting forever for a lock
  fancai.db_runbooks.psql:
    database: bookreader_dev
    settings:
      lock_timeout: 5s
    sql:
      - REFRESH MATERIALIZED VIEW user_reading_patterns
"""

RETURN = r"""
rows:
  description: Rows of O(query), one dictionary per row (column name to value).
  returned: always
  type: list
  elements: dict
  sample: [{"version_num": 150007}]
rowcount:
  description: Number of rows in RV(rows).
  returned: always
  type: int
  sample: 1
queries:
  description:
    - The statements sent (or that would be sent in check mode), in order. For O(path), one
      C(\i <path>) entry.
  returned: always
  type: list
  elements: str
  sample: ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
cmd:
  description: The command run on the docker host, as a list.
  returned: always
  type: list
  elements: str
  sample: ["docker", "exec", "-i", "pg", "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
           "-U", "postgres", "-d", "postgres"]
container:
  description: The container psql ran in.
  returned: always
  type: str
  sample: fancai-vibe-hackathon-postgres-1
database:
  description: The database psql connected to.
  returned: always
  type: str
  sample: bookreader_dev
rc:
  description: Exit code of C(docker exec) (psql's own code when the container ran it).
  returned: when the command ran
  type: int
  sample: 0
stdout:
  description: What psql printed, when O(query) was not given (or on failure).
  returned: when no query was given, or on failure
  type: str
  sample: ""
stderr:
  description: psql's notices, warnings and errors.
  returned: when the command ran
  type: str
  sample: "NOTICE:  extension \"pg_trgm\" already exists, skipping"
"""
