"""bookreader_dev rebuilt through the backend's Alembic chain, then its next migration; the old one kept."""

import re

import pytest

from app_state import databases_now, recorded

KEPT_RE = re.compile(r"^bookreader_dev__old_\d{8}_\d{6}$")


def _columns(pg, table, database="bookreader_dev"):
    return [r["column_name"] for r in pg.rows(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = '%s'" % table, database)]


def test_it_is_a_new_database_and_the_old_one_is_kept(pg):
    broken = {d["name"]: d["oid"] for d in recorded("broken")["databases"]}
    now = {d["name"]: d["oid"] for d in databases_now(pg)}
    kept = [n for n in now if n.startswith("bookreader_dev__")]
    assert len(kept) == 1 and KEPT_RE.match(kept[0]), kept
    assert now[kept[0]] == broken["bookreader_dev"]
    assert now["bookreader_dev"] != broken["bookreader_dev"]


def test_the_kept_database_holds_every_row(pg):
    kept = [d["name"] for d in databases_now(pg) if d["name"].startswith("bookreader_dev__")][0]
    pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS true' % kept, "postgres")
    try:
        assert pg.value("SELECT count(*) FROM users", kept) == 30
        assert pg.value("SELECT count(*) FROM descriptions", kept) == 36
    finally:
        pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS false' % kept, "postgres")


def test_the_dropped_index_and_column_are_back(pg):
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_descriptions_chapter_priority'") == 1
    assert "parsing_error" in _columns(pg, "books")


@pytest.mark.parametrize("table, present, absent", [
    ("reading_sessions", ["started_at", "ended_at", "duration_minutes", "is_active"], ["start_time", "duration_seconds"]),
    ("descriptions", ["type", "priority_score"], []),
])
def test_it_has_the_applications_schema(pg, table, present, absent):
    cols = _columns(pg, table)
    assert set(present) <= set(cols), cols
    assert not set(absent) & set(cols), cols


def test_the_applications_next_migration_applied(pg):
    assert pg.rows("SELECT version_num FROM alembic_version") == [{"version_num": "reading_goals_2026"}]
    assert "timezone" in _columns(pg, "users")


def test_matviews_populated(pg):
    assert pg.rows("SELECT matviewname, ispopulated FROM pg_matviews ORDER BY 1") == [
        {"matviewname": "reading_sessions_daily_stats", "ispopulated": True},
        {"matviewname": "user_reading_patterns", "ispopulated": True}]


def test_no_temporary_or_scratch_database_left(pg):
    names = [d["name"] for d in databases_now(pg)]
    assert [n for n in names if not KEPT_RE.match(n)] == ["bookreader_dev", "bookreader_fresh", "postgres"]
