"""The database verified here is the application's schema, not the guide's: the tests can tell them apart."""

import pytest


def _columns(pg, table):
    return [r["column_name"] for r in pg.rows(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = '%s' ORDER BY ordinal_position" % table)]


@pytest.mark.parametrize("table, present, absent", [
    ("reading_sessions", ["started_at", "ended_at", "duration_minutes", "is_active"], ["start_time", "duration_seconds"]),
    ("descriptions", ["type", "priority_score"], []),
    ("users", ["timezone"], []),
])
def test_columns_of_the_application(pg, table, present, absent):
    cols = _columns(pg, table)
    assert set(present) <= set(cols), cols
    assert not set(absent) & set(cols), cols


def test_reading_goals_table_of_reading_goals_2026(pg):
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_reading_goals_user_year'") == 1


def test_matviews_populated_and_daily_stats_unique(pg):
    assert pg.rows("SELECT matviewname, ispopulated FROM pg_matviews ORDER BY 1") == [
        {"matviewname": "reading_sessions_daily_stats", "ispopulated": True},
        {"matviewname": "user_reading_patterns", "ispopulated": True}]
    assert pg.value("SELECT indisunique FROM pg_index WHERE indexrelid = 'idx_daily_stats_user_date'::regclass")


def test_database_setting_of_the_init_script(pg):
    assert pg.value("SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting s "
                    "JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = 'bookreader_dev' "
                    "AND s.setrole = 0", "postgres") == "default_text_search_config=russian"
