"""bookreader_fresh, absent before, built through the backend's Alembic chain at enum_checks_2025."""

import pytest


def _columns(pg, table):
    return [r["column_name"] for r in pg.rows(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = '%s'" % table, "bookreader_fresh")]


def test_stamped_enum_checks_2025(pg):
    assert pg.rows("SELECT version_num FROM alembic_version", "bookreader_fresh") == [
        {"version_num": "enum_checks_2025"}]


@pytest.mark.parametrize("table, present, absent", [
    ("reading_sessions", ["started_at", "ended_at", "duration_minutes", "is_active"], ["start_time", "duration_seconds"]),
    ("descriptions", ["type", "priority_score"], []),
    # reading_goals_2026 is not applied: the chain stopped where it was asked to.
    ("users", ["email"], ["timezone"]),
])
def test_the_applications_schema(pg, table, present, absent):
    cols = _columns(pg, table)
    assert set(present) <= set(cols), cols
    assert not set(absent) & set(cols), cols


def test_the_applications_indexes_and_checks(pg):
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname IN "
                    "('idx_descriptions_chapter_priority', 'idx_reading_progress_user_book', "
                    "'idx_daily_stats_user_date')", "bookreader_fresh") == 3
    assert pg.value("SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conname IN "
                    "('check_book_genre', 'check_book_format', 'check_image_service', 'check_image_status')",
                    "bookreader_fresh") == 4


def test_extensions(pg):
    assert pg.rows("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1", "bookreader_fresh") == [
        {"extname": "pg_trgm"}, {"extname": "uuid-ossp"}]


def test_matviews_populated(pg):
    assert pg.rows("SELECT matviewname, ispopulated FROM pg_matviews ORDER BY 1", "bookreader_fresh") == [
        {"matviewname": "reading_sessions_daily_stats", "ispopulated": True},
        {"matviewname": "user_reading_patterns", "ispopulated": True}]


def test_empty(pg):
    assert pg.value("SELECT count(*) FROM users", "bookreader_fresh") == 0
