"""The rebuilt bookreader_dev: the application's schema (from the backend's file), then its next migration."""

import pytest

from app_state import databases_now, recorded


def _columns(pg, table):
    return [r["column_name"] for r in pg.rows(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = '%s'" % table)]


def test_it_is_a_new_database(pg):
    broken = {d["name"]: d["oid"] for d in recorded("broken")["databases"]}
    now = {d["name"]: d["oid"] for d in databases_now(pg)}
    assert now["bookreader_dev"] != broken["bookreader_dev"]


def test_it_accepts_connections_and_carries_no_mark(pg):
    row = [d for d in databases_now(pg) if d["name"] == "bookreader_dev"][0]
    assert row["allow_connections"] is True
    assert row["comment"] is None


def test_the_dropped_index_and_column_are_back(pg):
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_descriptions_chapter_priority'") == 1
    assert "parsing_error" in _columns(pg, "books")


@pytest.mark.parametrize("table, present, absent", [
    ("reading_sessions", ["started_at", "ended_at", "duration_minutes", "is_active"], ["start_time", "duration_seconds"]),
    ("descriptions", ["type", "priority_score"], []),
])
def test_it_has_the_applications_schema_not_the_guides(pg, table, present, absent):
    cols = _columns(pg, table)
    assert set(present) <= set(cols), cols
    assert not set(absent) & set(cols), cols


def test_the_applications_next_migration_applied(pg):
    assert pg.rows("SELECT version_num FROM alembic_version") == [{"version_num": "reading_goals_2026"}]
    assert "timezone" in _columns(pg, "users")
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_reading_goals_user_year'") == 1


def test_it_holds_no_rows_yet(pg):
    # Schema only: the rows are in the kept database and its safety dump.
    assert pg.value("SELECT count(*) FROM users") == 0


def test_matviews_populated(pg):
    assert pg.rows("SELECT matviewname, ispopulated FROM pg_matviews ORDER BY 1") == [
        {"matviewname": "reading_sessions_daily_stats", "ispopulated": True},
        {"matviewname": "user_reading_patterns", "ispopulated": True}]


def test_no_temporary_or_scratch_database_left(pg):
    names = [d["name"] for d in databases_now(pg)]
    assert [n for n in names if not n.startswith("bookreader_dev__old_")] == ["bookreader_dev", "postgres"]
