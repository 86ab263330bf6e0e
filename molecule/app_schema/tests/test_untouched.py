"""After every verify and restore run (check mode included): the database is the one Alembic built."""

from app_state import database_now, databases_now, dumps_written, recorded


def test_bookreader_dev_was_never_replaced(pg):
    # A rebuild, or a rename with a copy swapped in, gives the name another oid.
    before = {d["name"]: d["oid"] for d in recorded("prepared")["databases"]}
    now = {d["name"]: d["oid"] for d in databases_now(pg)}
    assert now["bookreader_dev"] == before["bookreader_dev"]


def test_no_database_added_or_left_behind(pg):
    # No copy, no kept database, no verify scratch database.
    assert [d["name"] for d in databases_now(pg)] == ["bookreader_dev", "postgres"]


def test_databases_open_and_unmarked(pg):
    assert databases_now(pg) == recorded("upgraded")["databases"]


def test_catalog_as_alembic_left_it(pg):
    assert database_now(pg)["fingerprint"] == recorded("upgraded")["database"]["fingerprint"]


def test_rows_as_seeded(pg):
    rows = database_now(pg)["rows"]
    seeded = dict(recorded("prepared")["database"]["rows"])
    # reading_goals_2026 added an empty table, nothing else.
    assert rows == dict(seeded, reading_goals=0)
    assert rows["users"] == 30 and rows["descriptions"] == 36


def test_at_reading_goals_2026(pg):
    assert pg.rows("SELECT version_num FROM alembic_version") == [{"version_num": "reading_goals_2026"}]


def test_nothing_dumped():
    # A restore that finds the database clean has nothing to set aside.
    assert dumps_written() == []
