"""Check mode says what it would do and changes nothing; bad input is refused before anything."""

from migrate_state import flat, recap, run_log


def test_check_mode_says_what_would_run():
    text = flat(run_log("02-migrate-head-check"))
    assert "bookreader_dev is at reading_goals_2026; alembic upgrade progress_index_2026 applies progress_index_2026." in text
    assert "check mode: would run `alembic upgrade progress_index_2026` in " in text
    assert "now at reading_goals_2026; it would apply progress_index_2026." in text
    assert "check mode: would take a safety dump of bookreader_dev, run alembic upgrade progress_index_2026" in text
    assert recap(text) == (0, 0)


def test_unknown_revision_is_refused_naming_the_chain():
    text = flat(run_log("04-migrate-unknown-revision"))
    assert "Nothing was touched: alembic_migrate_revision=\"nowhere_2030\" is not a revision of the application's chain" in text
    assert "initial_2024, descriptions_priority_2025, enum_checks_2025, reading_goals_2026, progress_index_2026" in text
    assert "Dump and verify" not in text
    assert recap(text) == (0, 1)
