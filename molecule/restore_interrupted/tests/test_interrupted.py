"""After three killed restores and their reruns: every seeded row is in a database and a verified dump."""

import glob
import json
import os

import pytest

SEEDED = {"closed": 101, "hung": 104, "swapped": 102, "dumping": 103}


def _kept(pg):
    return sorted(n for n in pg.databases() if n.startswith("bookreader_dev__old_"))


def _count(pg, database, point):
    pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS true' % database, "postgres")
    try:
        return pg.value("SELECT count(*) FROM users WHERE email LIKE '%s%%'" % point, database)
    finally:
        pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS false' % database, "postgres")


def test_database_open_and_clean_of_markers(pg):
    row = pg.rows("SELECT datallowconn, shobj_description(oid, 'pg_database') AS comment FROM pg_database "
                  "WHERE datname = 'bookreader_dev'", "postgres")[0]
    assert row == {"datallowconn": True, "comment": None}


@pytest.mark.parametrize("point", sorted(SEEDED))
def test_every_seeded_row_is_in_a_kept_database(pg, point):
    # closed and hung: the rerun re-opened it, a confirmed restore after it kept it
    # aside; swapped and dumping: kept by the killed run itself.
    found = sum(_count(pg, name, point) for name in _kept(pg))
    assert found == SEEDED[point]


def test_kept_databases_are_closed(pg):
    kept = _kept(pg)
    # One per case.
    assert len(kept) == 4, kept
    rows = pg.rows("SELECT datname, datallowconn FROM pg_database WHERE datname LIKE 'bookreader\\_dev\\_\\_old\\_%'",
                   "postgres")
    assert all(r["datallowconn"] is False for r in rows), rows


def test_each_kept_database_has_a_verified_dump_holding_its_rows(pg):
    safety = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "backups", "bookreader_dev", "safety")
    manifests = {}
    for path in glob.glob(os.path.join(safety, "*.dump.json")):
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
        manifests[m["database"]] = m
    for name in _kept(pg):
        assert name in manifests, (name, sorted(manifests))
        assert os.path.exists(manifests[name]["path"])
        assert sum(manifests[name]["row_counts"].values()) > 0


def test_no_partial_file_left():
    base = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "backups")
    assert not glob.glob(os.path.join(base, "**", ".*.partial"), recursive=True)
