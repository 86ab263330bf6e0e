# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The work is done by the action plugin plugins/action/backup_pick.py on the
# controller; this file carries the documentation only.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: backup_pick
short_description: Choose the backup a data restore takes, its checks run
version_added: "0.3.0"
description:
  - Lists C(<backup_dir>/<series>/) and C(<backup_dir>/<series>/safety/) on the docker host (the
    inventory host, through its connection), and chooses the dump O(request) names.
  - V(latest) is the newest nightly backup that passes every check; a nightly backup that fails one is
    skipped for the one before it, and the result says which and why (RV(skipped_backups)). A safety
    dump is never V(latest) (after a restore, the newest safety dump holds the data that restore
    replaced), but it is a valid source by stamp or path.
  - A stamp (C(YYYYmmddTHHMMSSZ), UTC) names the backup of either class taken then; a path names a
    C(.dump) file (or C(.dump.zst), compressed on the docker host) anywhere on the docker host that has
    its C(.sha256) and C(.json) sidecars. A named
    backup that fails a check is refused, naming the file and why, never replaced by another one.
  - The checks, in order - its C(.sha256) and C(.json) exist (the backup finished its own checks),
    the manifest describes a verified full dump and agrees with the checksum file, it holds the
    O(tables) asked for (or, without O(tables), is not a partial safety dump), for a nightly backup
    its restore drill passed (C(<dump>.drill.json), written by the backup role's drill; a named
    backup without one is accepted with a note in RV(notes)), and last C(sha256sum --check --strict)
    of the file itself, so a file damaged since it was written is never restored.
author:
  - fancai.db_runbooks contributors
extends_documentation_fragment:
  - fancai.db_runbooks.connection.attributes
options:
  backup_dir:
    description: The backup directory on the docker host (C(db_runbooks_backup_dir)).
    type: str
    required: true
  series:
    description: The series, the live database's name (C(<backup_dir>/<series>/)).
    type: str
    required: true
  request:
    description: V(latest), a UTC stamp such as V(20261202T040000Z), or the absolute path of a dump.
    type: str
    required: true
  tables:
    description:
      - For a partial restore, the tables the dump must hold (C(chapters) or C(public.chapters)).
      - Empty for a whole-database restore, which refuses a dump of only some tables.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    details:
      - Read-only (a listing, small reads and C(sha256sum)); it runs in check mode too.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - Never changes anything; RV(changed) is always V(false).
  action:
    support: full
notes:
  - The docker host needs C(sh), C(cat) and C(sha256sum) (coreutils).
seealso:
  - module: fancai.db_runbooks.psql
"""

EXAMPLES = r"""
- name: Choose the newest good nightly backup of bookreader_dev
  fancai.db_runbooks.backup_pick:
    backup_dir: /var/backups/db_runbooks
    series: bookreader_dev
    request: latest
  register: picked

- name: Roll back to the safety dump a restore took
  fancai.db_runbooks.backup_pick:
    backup_dir: /var/backups/db_runbooks
    series: bookreader_dev
    request: /var/backups/db_runbooks/bookreader_dev/safety/bookreader_dev-safety-20261202T040000Z.dump
"""

RETURN = r"""
backup:
  description: The dump chosen, its checksum verified.
  returned: success
  type: dict
  contains:
    path:
      description: The dump's path on the docker host.
      type: str
    file:
      description: Its file name.
      type: str
    class:
      description: C(nightly), C(safety), or C(other) (a dump named by a path outside the series' folders).
      type: str
    stamp:
      description: The UTC stamp in its name.
      type: str
    sha256:
      description: Its checksum (the manifest's, verified against the file).
      type: str
    alembic_revision:
      description: The Alembic revision its database was at when it was dumped (null when none).
      type: str
    rows:
      description: The rows it holds (the manifest's count, in the dump's own snapshot).
      type: int
    row_counts:
      description: Rows per table (C(schema.table)), from the manifest.
      type: dict
    size:
      description: The file's size in bytes (the manifest's).
      type: int
    compression:
      description: How it is compressed, from the manifest - a pg_dump C(-Z) value, or C(zstd:LEVEL) on the docker host.
      type: str
    zstd:
      description: Whether it is a C(.dump.zst) (decompressed with zstd on the docker host before pg_restore reads it).
      type: bool
    archive_size:
      description: The bytes of the custom-format archive pg_restore reads (the decompressed size of a C(.dump.zst)).
      type: int
    tables:
      description: For a partial safety dump, the tables it holds; empty for a whole database.
      type: list
      elements: str
    started:
      description: When its snapshot was taken (UTC).
      type: str
    manifest:
      description: The whole manifest.
      type: dict
    drill:
      description: Its drill result (C(<dump>.drill.json)), null when there is none.
      type: dict
  sample:
    path: /var/backups/db_runbooks/bookreader_dev/bookreader_dev-20261202T020000Z.dump
    file: bookreader_dev-20261202T020000Z.dump
    class: nightly
    stamp: 20261202T020000Z
    alembic_revision: enum_checks_2025
    rows: 17751
skipped_backups:
  description: With V(latest), the newer nightly backups passed over, newest first, each with why.
  returned: always
  type: list
  elements: dict
  sample: [{"file": "bookreader_dev-20261202T020000Z.dump", "path": "/var/backups/db_runbooks/bookreader_dev/bookreader_dev-20261202T020000Z.dump",
            "why": "its checksum does not match bookreader_dev-20261202T020000Z.dump.sha256 (…)"}]
notes:
  description: What the caller should say, such as a named dump that has no drill result.
  returned: always
  type: list
  elements: str
request:
  description: The request as understood (a path normalised).
  returned: always
  type: str
queries:
  description: The command lines run on the docker host, in order.
  returned: always
  type: list
  elements: str
msg:
  description: The dump chosen and what was skipped, or why none can be restored.
  returned: always
  type: str
"""
