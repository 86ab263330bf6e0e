# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin plugins/action/alembic.py on the
# controller; this file carries the documentation only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alembic
short_description: Run the application's own Alembic in its backend container
version_added: "0.3.0"
description:
  - Runs C(docker exec -i <container> python3 -) on the docker host (the inventory host), through
    its connection like M(fancai.db_runbooks.psql), with a small Python script on standard input.
    Inside the backend container the script runs the C(alembic) command found on the container's
    PATH, in the container's working directory, and prints one JSON document.
  - The application reaches PostgreSQL with the URL in its environment (O(url_variable), for
    example C(postgresql+asyncpg://postgres:...@postgres:5432/bookreader_dev)). The script reads it
    there; with O(database) it rewrites only the database name (driver, user, host, port and query
    string stay). The password never leaves the container - not in the process arguments, not on
    standard input, not in the result - and the password, the URL's userinfo and the whole URL are
    replaced by C(***) in everything the script prints.
  - The script writes no file (the backend may run as a non-root user on a read-only tree).
  - O(command=state) runs C(alembic current), C(alembic heads) and C(alembic history) in one
    C(docker exec) and returns what the database is at, the heads and the chain.
  - O(command=upgrade) runs, in one C(docker exec), the same reading, C(alembic upgrade <revision>)
    and C(alembic current) again, so the result says where the database was and is.
  - "A failed migration is named (RV(failed_revision), the revision of the last
    C(Running upgrade X -> Y) line) with the database error in one line (RV(error), for example
    C(psycopg2.errors.DuplicateTable: relation \"idx_reading_progress_user_book\" already exists))."
  - A backend container that is missing, stopped or paused, that has no C(python3) or no C(alembic),
    or whose O(url_variable) is unset fails the task with a message naming the container and
    C(db_runbooks_backend_container) or O(url_variable).
author:
  - fancai.db_runbooks contributors
extends_documentation_fragment:
  - fancai.db_runbooks.connection.attributes
options:
  container:
    description:
      - Name or ID of the application's backend container (C(db_runbooks_backend_container),
        for example C(fancai-vibe-hackathon-backend-1)).
    type: str
    required: true
  command:
    description:
      - V(state) reads C(alembic current), C(alembic heads) and C(alembic history).
      - V(upgrade) runs C(alembic upgrade) O(revision).
    type: str
    choices: [state, upgrade]
    default: state
  revision:
    description:
      - The revision O(command=upgrade) upgrades to (an id, or V(head)).
    type: str
    default: head
  database:
    description:
      - Run against this database of the same server instead of the one in the URL (only the
        database name of the URL is changed, inside the container).
    type: str
  url_variable:
    description: The environment variable of the backend container that holds the database URL.
    type: str
    default: DATABASE_URL
  docker_cli:
    description:
      - The docker client on the docker host.
      - Defaults to C(preflight_target.docker_cli), then C(docker).
    type: str
  timeout:
    description:
      - Seconds the whole C(docker exec) may take. The script ends C(alembic) itself when the time is
        up (PostgreSQL rolls back the migration's transaction), and the docker host ends the
        C(docker exec) a little later if it still has not returned (a hung engine); the task then
        fails saying what hung.
      - Defaults to the variable C(db_runbooks_step_timeout), then 3600. V(0) means no limit.
    type: int
attributes:
  check_mode:
    support: full
    details:
      - O(command=state) is read-only and runs in check mode too.
      - In check mode O(command=upgrade) reads the state only; the upgrade is not run and the task is
        reported skipped with the command it would run and the revisions it would apply
        (RV(pending)), or not changed when the database is already at O(revision).
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - RV(changed) is true only when the revision the database is at moved; an upgrade to the
        revision it is already at reports no change.
  action:
    support: full
notes:
  - The backend container needs C(python3) (3.6 or later) and C(alembic) on its PATH, which the
    application's image has; the docker host needs the docker client and C(timeout).
  - Alembic runs a whole upgrade in one transaction on PostgreSQL (transactional DDL), so a
    migration that fails leaves the database at the revision it was at; RV(current) after the failure
    shows it.
seealso:
  - name: Alembic tutorial
    description: The alembic command line (current, heads, history, upgrade).
    link: https://alembic.sqlalchemy.org/en/latest/tutorial.html
  - name: SQLAlchemy database URLs
    description: The form of the URL the application's backend uses.
    link: https://docs.sqlalchemy.org/en/20/core/engines.html#database-urls
  - module: fancai.db_runbooks.alembic_version
    description: Set the alembic_version row through psql (the guide's stamp).
"""

EXAMPLES = r"""
- name: Read what the database is at, the heads and the chain
  fancai.db_runbooks.alembic:
    container: fancai-vibe-hackathon-backend-1
    command: state
  register: alembic_state

- name: Upgrade the database to the newest revision
  fancai.db_runbooks.alembic:
    container: "{{ db_runbooks_backend_container }}"
    command: upgrade
    revision: head

- name: Build a revision of the schema into another database of the same server
  fancai.db_runbooks.alembic:
    container: fancai-vibe-hackathon-backend-1
    command: upgrade
    revision: reading_goals_2026
    database: bookreader_dev__restore
"""

RETURN = r"""
current:
  description:
    - The revisions C(alembic current) printed (after the upgrade, for O(command=upgrade)); V([])
      for a database without a revision. V(null) when it could not be read.
  returned: always
  type: list
  elements: str
  sample: ["reading_goals_2026"]
previous:
  description: For O(command=upgrade), the revisions the database was at before it.
  returned: always
  type: list
  elements: str
  sample: ["enum_checks_2025"]
heads:
  description: The revisions C(alembic heads) printed.
  returned: always
  type: list
  elements: str
  sample: ["progress_index_2026"]
history:
  description: The chain from C(alembic history), base first, parents before their children.
  returned: always
  type: list
  elements: dict
  sample: [{"revision": "initial_2024", "down_revisions": []},
           {"revision": "descriptions_priority_2025", "down_revisions": ["initial_2024"]}]
target:
  description:
    - The revisions O(revision) means in the chain read (V(head) resolved), before any change.
    - V(null) when it cannot be told (a revision the chain does not hold, V(head) with several heads,
      a relative revision).
  returned: always
  type: list
  elements: str
  sample: ["reading_goals_2026"]
pending:
  description:
    - The revisions an upgrade from where the database was to RV(target) applies, parents first;
      V([]) when there is nothing to apply, V(null) when it cannot be told.
    - In check mode with O(command=upgrade), what the upgrade would apply.
  returned: always
  type: list
  elements: str
  sample: ["reading_goals_2026"]
relation:
  description:
    - How the revision the database was at stands to RV(target) in the chain - V(same); V(newer) (the database is
      past it); V(older) (the upgrade would move it, also for a database without a revision);
      V(unknown) (the database's revision is not in the chain, or on another branch). V(null) when
      not one revision against one target.
  returned: always
  type: str
  sample: older
failed_revision:
  description: The revision being applied when the upgrade failed.
  returned: always
  type: str
  sample: progress_index_2026
error:
  description: The database error (or what else went wrong) in one line.
  returned: always
  type: str
  sample: 'psycopg2.errors.DuplicateTable: relation "idx_reading_progress_user_book" already exists'
problem:
  description:
    - What kind of failure it was, V(null) when none; one of V(missing), V(stopped), V(paused),
      V(no_python), V(no_alembic), V(no_url), V(bad_url), V(timeout), V(docker), V(garbled),
      V(alembic).
  returned: always
  type: str
  sample: alembic
output:
  description: What alembic printed, each command headed by C($ alembic ...), with the password replaced.
  returned: always
  type: str
  sample: "$ alembic current\nreading_goals_2026\n"
url:
  description: The URL alembic used, its userinfo replaced by C(***).
  returned: when the runner read it
  type: str
  sample: "postgresql+asyncpg://***@postgres:5432/bookreader_dev"
database:
  description: The database the URL pointed at.
  returned: when the runner read it
  type: str
  sample: bookreader_dev
rc:
  description: Exit code of C(docker exec) (the first failing alembic command's own code).
  returned: always
  type: int
  sample: 0
cmd:
  description: The command run on the docker host, as a list (no secret in it).
  returned: always
  type: list
  elements: str
  sample: ["docker", "exec", "-i", "fancai-vibe-hackathon-backend-1", "python3", "-"]
queries:
  description: The alembic commands the C(docker exec) runs (or would run), in order.
  returned: always
  type: list
  elements: str
  sample: ["alembic current", "alembic heads", "alembic history"]
"""
