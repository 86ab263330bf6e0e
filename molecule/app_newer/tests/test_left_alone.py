"""After five refused restores, the newer database is exactly as Alembic and its users left it."""

import pytest

from app_state import database_now, databases_now, dumps_written, recorded

RUNS = ["01-restore", "02-restore-confirmed", "03-restore-recreate-confirmed",
        "04-restore-alembic-confirmed", "05-restore-check-confirmed"]


def test_the_same_databases_with_the_same_oids(pg):
    # Nothing dropped, renamed, kept aside or left behind; none closed or marked.
    assert databases_now(pg) == recorded("drifted")["databases"]
    assert [d["name"] for d in databases_now(pg)] == ["bookreader_dev", "postgres"]


def test_every_row_is_there(pg):
    rows = database_now(pg)["rows"]
    assert rows == recorded("drifted")["database"]["rows"]
    assert rows["users"] == 30 and rows["reading_goals"] == 7


def test_the_catalog_is_as_it_was(pg):
    assert database_now(pg)["fingerprint"] == recorded("drifted")["database"]["fingerprint"]


def test_the_drift_is_still_there(pg):
    # Nothing repaired behind the operator's back either.
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_books_title'") == 0


def test_still_at_reading_goals_2026(pg):
    assert pg.rows("SELECT version_num FROM alembic_version") == [{"version_num": "reading_goals_2026"}]


def test_nothing_dumped():
    assert dumps_written() == []


@pytest.mark.parametrize("run", RUNS)
def test_each_run_was_snapshot_after(run):
    # The harness compared after every run; its snapshots are there to read.
    assert recorded("after-" + run) == recorded("drifted")
