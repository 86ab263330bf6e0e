"""What the app_* scenarios' harness recorded, and the same reading taken now.

The SQL is the harness's own (molecule/app_schema/files/snapshot_*.sql), so a
snapshot written by converge and one read here compare field for field.
"""

import json
import os

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "app_schema", "files")


def _sql(name):
    with open(os.path.join(FILES, name), encoding="utf-8") as f:
        return f.read()


def recorded(name):
    """The snapshot the harness wrote as state/<name>.json."""
    path = os.path.join(EPHEMERAL, "state", name + ".json")
    assert os.path.exists(path), "the harness did not get as far as snapshot %s" % name
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def databases_now(pg):
    return pg.rows(_sql("snapshot_databases.sql"), "postgres")


def database_now(pg, database="bookreader_dev"):
    rows = pg.rows(_sql("snapshot_database.sql"), database)
    assert len(rows) == 1, rows
    return rows[0]


def run_log(name):
    """The output of the child run <name> (runs/<name>.log)."""
    path = os.path.join(EPHEMERAL, "runs", name + ".log")
    assert os.path.exists(path), "the harness did not run %s" % name
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def dumps_written():
    """Every file under the scenario's backup directory."""
    base = os.path.join(EPHEMERAL, "backups")
    out = []
    for dirpath, _dirs, names in os.walk(base):
        out += [os.path.join(dirpath, n) for n in names]
    return sorted(out)
