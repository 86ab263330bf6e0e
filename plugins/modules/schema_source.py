# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin plugins/action/schema_source.py on the
# controller; this file carries the documentation only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: schema_source
short_description: Check a schema file before psql runs it, and return what was checked
version_added: "0.2.0"
description:
  - Reads a schema file on the controller, or inside a container with
    C(docker exec <container> cat <path>) on the docker host (the inventory host's connection; the
    container needs only C(cat), an Alpine image will do), and checks it before anything is touched.
  - Refuses an empty file, a gzip, bzip2, xz or zstd file (with the command that decompresses it),
    a pg_dump custom-format or tar archive (use pg_restore), a file with NUL bytes, and one that is
    not UTF-8 (with the line).
  - Reads the file the way psql's lexer does (strings, C(E'') strings with backslash escapes,
    dollar-quoted bodies, double-quoted identifiers, C(--) and nested C(/* */) comments, the data of
    C(COPY ... FROM stdin) up to its C(\.) line) and refuses every psql meta-command except those
    pg_dump writes - C(\restrict KEY) and C(\unrestrict KEY) (pg_dump 15.14+), and C(\connect) to
    O(database) itself (C(\connect name) or C(\connect -reuse-previous=on "dbname='name'")). Refused are
    C(\connect) to another database, C(\c), C(\!), C(\o), C(\g), C(\gexec), C(\copy), C(\setenv),
    C(\set), C(\i), C(\ir), C(\w), C(\cd), C(\lo_import) and any other.
  - Also refuses C(COPY ... TO/FROM PROGRAM) and C(COPY) to or from a server file, and statements that
    change how psql reads the rest of the file (C(client_encoding) other than UTF8,
    C(standard_conforming_strings) off).
  - Fail messages name the file, the line, the command and the fix, and say that nothing was touched.
  - With O(return_content=true), RV(content) is the text to send on psql's standard input, exactly the
    bytes that were checked, with the allowed meta-commands made comments (a C(\connect) would end
    psql's C(--single-transaction); a psql older than 15.14 does not know C(\restrict)), and, when
    psql has C(\restrict), a first C(\restrict <random key>) so that psql itself refuses any
    meta-command. Line numbers are those of the file, so psql's errors name the right line.
author:
  - fancai.db_runbooks contributors
options:
  source:
    description:
      - Where the schema comes from. C(file) - O(path) (on the controller or in O(container)).
        C(backend) - O(backend_path) read in O(backend_container) (the guide's Method 1).
        C(alembic) - the application's migrations in O(backend_container) (the guide's Method 2;
        nothing is read, RV(history) says what the chain holds). C(guide) - O(guide_path), the
        guide's hand-written DDL, with a warning that it is not the application's schema.
      - C(auto) - C(file) when O(path) is given; else C(backend) when the backend container runs and
        holds the file; else C(guide), with the warning and the reason in RV(why).
    type: str
    choices: [auto, file, backend, alembic, guide]
    default: file
  path:
    description:
      - The schema file, on the controller (relative to the current directory, C(~) expanded), or an
        absolute path inside O(container). Required for O(source=file).
    type: str
    default: ""
  backend_container:
    description:
      - The application's backend container. Looked at for O(source=auto), read for C(backend), run
        for C(alembic); when it runs, its Alembic chain (C(alembic history)) is read too, except for
        O(source=guide), and returned in RV(history).
    type: str
    default: ""
  backend_path:
    description: The schema file inside O(backend_container).
    type: str
    default: /app/alembic/schema_backup.sql
  guide_path:
    description: The guide's DDL on the controller (the schema_load role passes its bundled file).
    type: str
    default: ""
  revision:
    description: The Alembic revision the schema file is at; for C(alembic), the revision to build (it must be in the chain).
    type: str
    default: ""
  read_history:
    description: Read the application's chain when the backend runs (needed to verify a database at another revision).
    type: bool
    default: true
  url_variable:
    description: The backend's environment variable holding its database URL (never read here; passed to the runner).
    type: str
    default: DATABASE_URL
  container:
    description: When set, O(path) is read inside this container (for example the backend's
      C(/app/alembic/schema_backup.sql)); empty means the controller.
    type: str
    default: ""
  database:
    description:
      - The database the file is to be loaded into. C(\connect) to it (as pg_dump writes it) is
        allowed; C(\connect) to any other database is refused.
    type: str
    required: true
  return_content:
    description:
      - Return RV(content), the checked text prepared for psql's standard input.
      - Off by default, so a schema does not fill the output at C(-v).
    type: bool
    default: false
  restrict:
    description:
      - Start RV(content) with C(\restrict <random key>), so that psql refuses every meta-command.
      - Defaults to whether psql in the PostgreSQL container has C(\restrict) (13.22, 14.19, 15.14,
        16.10, 17.6, 18 and later), from C(preflight_target.server_version_num).
    type: bool
  sha256:
    description:
      - When set, the file must still have this sha256 (the one an earlier check returned in
        RV(sha256)); a file changed since is refused.
    type: str
    default: ""
  max_size:
    description: Largest file accepted, in bytes (a schema is DDL; a dump with data goes through pg_restore).
    type: int
    default: 67108864
  docker_cli:
    description:
      - The docker client on the docker host.
      - Defaults to C(preflight_target.docker_cli), then C(docker).
    type: str
attributes:
  check_mode:
    support: full
    details:
      - Read-only, the check runs the same in check mode, so that check mode refuses what a real run
        would refuse.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - Never reports C(changed).
  action:
    support: full
notes:
  - The check reads the file once and returns what it read; load RV(content), not the file again, so
    that a file changed between the check and the load cannot bypass the check.
  - psql's C(:name) variable substitution is not followed; a file cannot set variables (C(\set),
    C(\gset) are refused) and those psql sets itself are not the file's to choose.
  - SQL itself runs as the login user (by default the superuser C(postgres)); the check is about
    psql meta-commands and the few SQL statements that reach outside the database (C(COPY PROGRAM),
    C(COPY) with a server file), not a sandbox for SQL.
seealso:
  - name: psql meta-commands
    description: What each backslash command does, including C(\restrict).
    link: https://www.postgresql.org/docs/15/app-psql.html#APP-PSQL-META-COMMANDS
  - module: fancai.db_runbooks.psql
    description: Runs the checked content (O(fancai.db_runbooks.psql#module:sql)).
"""

EXAMPLES = r"""
- name: Check the backend's schema file before anything is touched
  fancai.db_runbooks.schema_source:
    path: /app/alembic/schema_backup.sql
    container: fancai-vibe-hackathon-backend-1
    database: bookreader_dev

- name: Check a controller file and keep the text to load
  fancai.db_runbooks.schema_source:
    path: /srv/schema_backup.sql
    database: bookreader_dev__restore
    return_content: true
  register: checked

- name: Load exactly what was checked, in one transaction
  fancai.db_runbooks.psql:
    database: bookreader_dev__restore
    single_transaction: true
    sql:
      - "{{ checked.content }}"
"""

RETURN = r"""
kind:
  description: The source chosen - C(file), C(backend), C(alembic) or C(guide).
  returned: success
  type: str
  sample: backend
why:
  description: Why that source (for C(auto), what was found).
  returned: success
  type: str
  sample: "auto: the backend container fancai-vibe-hackathon-backend-1 runs and holds /app/alembic/schema_backup.sql"
warning:
  description: For C(guide), that it is the guide's hand-written DDL and not the application's schema.
  returned: when the source is the guide's DDL
  type: str
revision:
  description: O(revision).
  returned: success
  type: str
  sample: enum_checks_2025
history:
  description:
    - The application's Alembic chain, base first (C(revision), C(down_revisions)), when the backend
      runs; null otherwise.
  returned: success
  type: list
  elements: dict
  sample: [{"revision": "initial_2024", "down_revisions": []}]
history_error:
  description: Why the chain could not be read, when the backend runs but C(alembic history) failed.
  returned: success
  type: str
backend:
  description: What was found of the backend - C(container), C(path), C(exists), C(running), C(has_file).
  returned: success
  type: dict
label:
  description: How messages name the file (C(container:path) for a file inside a container).
  returned: always
  type: str
  sample: fancai-vibe-hackathon-backend-1:/app/alembic/schema_backup.sql
path:
  description: The path read (made absolute for a controller file).
  returned: always
  type: str
  sample: /app/alembic/schema_backup.sql
container:
  description: The container the file was read in; empty for the controller.
  returned: always
  type: str
  sample: fancai-vibe-hackathon-backend-1
database:
  description: The database the file was checked for.
  returned: always
  type: str
  sample: bookreader_dev
size:
  description: Size of the file in bytes.
  returned: success
  type: int
  sample: 9667
sha256:
  description: SHA-256 of the file's bytes.
  returned: success
  type: str
  sample: 3f0c4e...
lines:
  description: Number of lines in the file.
  returned: success
  type: int
  sample: 264
meta_commands:
  description: The allowed meta-commands found (each made a comment in RV(content)).
  returned: success
  type: list
  elements: dict
  sample: [{"line": 5, "command": "\\restrict", "text": "\\restrict dj4Wx..."}]
restricted:
  description: Whether RV(content) starts with C(\restrict) (psql then refuses any meta-command).
  returned: success
  type: bool
  sample: true
content:
  description:
    - The checked text to send on psql's standard input (see the module's description).
  returned: success, when O(return_content=true)
  type: str
  sample: "\\restrict 5e1c... \\\\ -- enum_checks_2025 ..."
line:
  description: Line of the refused content, when the refusal has one.
  returned: failure
  type: int
  sample: 12
command:
  description: The refused meta-command or statement (C(\!), C(\connect), C(COPY), C(SET)).
  returned: failure
  type: str
  sample: "\\connect"
cmd:
  description: The command that read the file inside its container; empty for a controller file.
  returned: always
  type: list
  elements: str
  sample: ["docker", "exec", "fancai-vibe-hackathon-backend-1", "cat", "/app/alembic/schema_backup.sql"]
queries:
  description: Always empty; no SQL is run.
  returned: always
  type: list
  elements: str
  sample: []
msg:
  description: What was checked, in one line.
  returned: always
  type: str
  sample: "/srv/schema_backup.sql: 412 lines, 18733 bytes, sha256 3f0c...; meta-commands pg_dump writes, left out of the load: \\restrict (line 5), \\unrestrict (line 410)"
"""
