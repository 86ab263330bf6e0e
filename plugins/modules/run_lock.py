# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin plugins/action/run_lock.py on the
# controller; this file carries the documentation only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: run_lock
short_description: Hold a lock on one container and database for the rest of the ansible-playbook run
version_added: "0.2.0"
description:
  - Serialises the runbooks that act on the same database of the same container. Restores and
    the fix playbooks take it V(exclusive); verification, backups and the materialized-view
    refresh take it V(shared), so they may run side by side but never during a restore.
  - The lock is C(flock) on C(/run/lock/db_runbooks/<container>@<database>.lock) on the docker
    host (the inventory host), taken through its connection like M(fancai.db_runbooks.psql). The
    directory is created with mode 0700; when C(/run/lock) is missing or not writable, the
    directory is C(/tmp/db_runbooks-locks-<uid>).
  - Every task is a separate process, so a small detached holder on the docker host (C(setsid sh))
    keeps the locked file open for the rest of the run and writes who holds it (the
    ansible-playbook pid, the playbook, user, controller host, since when, mode) into an info
    file beside the lock, which a refused run quotes.
  - With a local connection (the docker host is the controller) the holder checks every second
    that the ansible-playbook process still exists; the lock is free within about a second of
    the run ending, even when it is killed with SIGKILL.
  - Through a remote connection the holder cannot see the controller's processes. It holds until
    the run releases it (O(state=released)) or for at most O(max_seconds), 6 hours by default;
    a refused run then prints the holder's pid to end it by hand if that run is gone.
  - Re-entrant. When this ansible-playbook run already holds the lock in a mode at least as
    strong, it does nothing (a restore holds it exclusive and calls verification and backup,
    which ask for it shared). Asking for V(exclusive) while this run holds it V(shared) fails, as
    a lock is not upgraded, since another run may share it.
  - The roles take it through the internal role P(fancai.db_runbooks.preflight#role)
    (C(preflight_database), C(preflight_lock)).
author:
  - fancai.db_runbooks contributors
extends_documentation_fragment:
  - fancai.db_runbooks.connection.attributes
options:
  container:
    description:
      - The PostgreSQL container, as named to the runbooks (the lock's key is the name, not the id).
      - Defaults to C(preflight_target.container), set by the role P(fancai.db_runbooks.preflight#role).
    type: str
  database:
    description:
      - The database the run acts on.
      - A name the collection derives from a database (C(<db>__restore), C(<db>__old_<stamp>)) takes
        the lock of that database, so a restore that holds it covers the copies it makes.
    type: str
    required: true
  mode:
    description:
      - V(exclusive) for runs that change the database (restore, the fix playbooks), V(shared) for
        runs that read it or must not overlap a restore (verify, backup, matview refresh).
    type: str
    choices: [exclusive, shared]
    default: exclusive
  state:
    description:
      - V(held) takes the lock for the rest of the run; V(released) gives up the one this run holds
        (optional at the end of a playbook with a local connection, useful with a remote one).
    type: str
    choices: [held, released]
    default: held
  wait:
    description:
      - Seconds to wait for another run to let go; V(0) refuses at once.
      - On timeout the task fails naming the run in the way (playbook, pid, user, host, since when, mode).
    type: int
    default: 0
  max_seconds:
    description:
      - Through a remote connection only, the longest the holder keeps the lock when the run does not
        release it. Raise it for runs longer than 6 hours.
    type: int
    default: 21600
  lock_dir:
    description:
      - Directory on the docker host for the lock files; default C(/run/lock/db_runbooks) (or
        C(/tmp/db_runbooks-locks-<uid>)). Every run that must be kept apart has to use the same one.
    type: path
attributes:
  check_mode:
    support: full
    details:
      - The lock is taken in check mode too (a check run reads what a concurrent restore may be
        changing) and reported as not changed.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - A lock is bookkeeping, not a change to the target; the module always reports C(changed=false).
  action:
    support: full
notes:
  - The docker host needs C(flock) and C(setsid) (util-linux) and C(sed), C(grep), C(tr), C(date),
    C(sleep). Nothing runs inside the PostgreSQL container.
  - The lock lives where the inventory host's connection runs commands. Two controllers that reach
    the same docker host over SSH share it; two AWX jobs each running with a local connection in
    its own execution environment (with the docker socket mounted) do not see each other's locks;
    point them at the docker host over SSH.
  - When ansible-playbook is killed with SIGKILL, the command of the task it was running (a C(docker
    exec)) is not killed with it and may still be finishing while the lock is already free.
  - No secret is passed; the info file and the holder's arguments carry the playbook path, user and
    host names, pids and times only.
seealso:
  - module: fancai.db_runbooks.psql
    description: Runs SQL the same way, through the inventory host's connection.
  - name: flock(1)
    description: The util-linux tool the lock is built on.
    link: https://man7.org/linux/man-pages/man1/flock.1.html
"""

EXAMPLES = r"""
- name: Hold the database for this run, refusing at once if another run has it
  fancai.db_runbooks.run_lock:
    container: fancai-vibe-hackathon-postgres-1
    database: bookreader_dev
    mode: exclusive

- name: Read-only work may share it; wait up to 10 minutes for a restore to finish
  fancai.db_runbooks.run_lock:
    database: bookreader_dev
    mode: shared
    wait: 600

- name: Give it up before the end of the run (a remote docker host keeps it otherwise)
  fancai.db_runbooks.run_lock:
    database: bookreader_dev
    state: released
"""

RETURN = r"""
container:
  description: The container of the lock.
  returned: always
  type: str
  sample: fancai-vibe-hackathon-postgres-1
database:
  description: The database of the lock.
  returned: always
  type: str
  sample: bookreader_dev
key:
  description: The lock's name on the docker host (C(<container>@<database>)).
  returned: always
  type: str
  sample: fancai-vibe-hackathon-postgres-1@bookreader_dev
mode:
  description: The mode asked for (or, when released, the mode that was held).
  returned: always
  type: str
  sample: exclusive
held_mode:
  description: The mode this run holds after the task.
  returned: when the lock is held
  type: str
  sample: exclusive
acquired:
  description: Whether this task took the lock (false when this run already held it, or on refusal).
  returned: when state is held
  type: bool
  sample: true
reentrant:
  description: This run already held the lock in a mode at least as strong; nothing was done.
  returned: when the lock is held
  type: bool
  sample: false
holder_pid:
  description: Pid of the process on the docker host that keeps the lock.
  returned: when the lock is held
  type: str
  sample: "41235"
since:
  description: When this run took the lock (UTC).
  returned: when the lock is held
  type: str
  sample: "2026-11-25T03:00:00Z"
watch:
  description: What ends the lock besides a release (the ansible-playbook pid, or the time limit).
  returned: when the lock was taken by this task
  type: str
  sample: ansible-playbook pid 40001
waited_seconds:
  description: How long the task waited for another run.
  returned: when the lock was taken or refused
  type: int
  sample: 0
path:
  description: The lock file on the docker host.
  returned: when the lock is held or refused
  type: str
  sample: /run/lock/db_runbooks/fancai-vibe-hackathon-postgres-1@bookreader_dev.lock
info_path:
  description: The file naming this run as a holder.
  returned: when the lock is held
  type: str
  sample: /run/lock/db_runbooks/fancai-vibe-hackathon-postgres-1@bookreader_dev.0123456789abcdef.info
lock_dir:
  description: The directory of the lock files on the docker host.
  returned: when the script ran
  type: str
  sample: /run/lock/db_runbooks
holders:
  description:
    - The runs holding the lock when it was refused, each with C(playbook), C(ansible_pid), C(user),
      C(controller), C(since), C(mode), C(holder_pid), C(watch_pid), C(max_seconds) and C(alive).
  returned: when the lock was refused
  type: list
  elements: dict
run:
  description: This ansible-playbook run's identity (controller host, pid, process start time).
  returned: always
  type: str
  sample: "controller:40001:1234567"
queries:
  description: The lock operation, in words (C(flock --exclusive --nonblock …)).
  returned: always
  type: list
  elements: str
  sample: ["flock --exclusive --nonblock pg@bookreader_dev (held until ansible-playbook pid 40001 ends)"]
cmd:
  description:
    - The command run on the docker host, as a list (C(/bin/sh -c <script> …)); the scripts are shown by
      name, their text is in C(plugins/module_utils/_run_lock.py).
  returned: always
  type: list
  elements: str
rc:
  description: Exit code of the script (0 held or released, 75 refused because another run holds it).
  returned: when the script ran
  type: int
  sample: 0
"""
