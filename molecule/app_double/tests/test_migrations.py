"""The chain, run by the backend as user app against bookreader_dev: reading_goals_2026
applies; head fails in progress_index_2026 with DuplicateTable on idx_reading_progress_user_book
and the whole upgrade is rolled back. The schema_backup.sql in the image is what pg_dump
makes of the chain at enum_checks_2025. The tests run in this order and end at base again."""

import os

import pytest

SCRATCH = "dbrb_app_double_scratch"
REPO_BACKUP = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."),
                           "tests/images/backend/app/alembic/schema_backup.sql")


def _index_count(pg, name):
    return pg.value("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname = '%s'" % name)


def _column_exists(pg, table, column):
    return pg.value("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = '%s' AND column_name = '%s'" % (table, column)) == 1


def _dump_lines(text):
    """pg_dump output without its comments and blank lines (the server version differs between images)."""
    return [line for line in text.splitlines() if line and not line.startswith("--")]


def test_starts_without_a_revision(backend):
    res = backend.alembic("current")
    assert res.rc == 0, res.stderr
    assert res.stdout.strip() == ""


def test_schema_backup_in_the_image_is_the_repository_file(backend):
    res = backend.run("cat", "/app/alembic/schema_backup.sql")
    assert res.rc == 0, res.stderr
    with open(REPO_BACKUP, encoding="utf-8") as f:
        assert res.stdout == f.read(), "rebuild the image: make image"


def test_schema_backup_matches_the_chain_at_enum_checks_2025(pg, backend, host, inventory_vars):
    # The chain into a scratch database (DATABASE_URL's database rewritten inside the container).
    pg.execute("DROP DATABASE IF EXISTS %s" % SCRATCH, "postgres")
    assert pg.execute("CREATE DATABASE %s" % SCRATCH, "postgres").rc == 0
    try:
        assert pg.execute('CREATE EXTENSION "uuid-ossp"; CREATE EXTENSION pg_trgm', SCRATCH).rc == 0
        res = backend.sh('DATABASE_URL="${DATABASE_URL%%/*}/%s" exec alembic upgrade enum_checks_2025' % SCRATCH)
        assert res.rc == 0, res.stderr
        dump = host.run("docker exec %s pg_dump -U postgres --schema-only %s",
                        inventory_vars["db_runbooks_container"], SCRATCH)
        assert dump.rc == 0, dump.stderr
        with open(REPO_BACKUP, encoding="utf-8") as f:
            expected = _dump_lines(f.read())
        actual = [line for line in _dump_lines(dump.stdout) if not line.startswith(("\\restrict", "\\unrestrict"))]
        assert actual == expected, "regenerate it: tests/images/backend/make-schema-backup.sh"
    finally:
        pg.execute("DROP DATABASE IF EXISTS %s" % SCRATCH, "postgres")


def test_upgrade_to_reading_goals_2026(backend, pg):
    res = backend.alembic("upgrade", "reading_goals_2026")
    assert res.rc == 0, res.stderr
    assert "Running upgrade enum_checks_2025 -> reading_goals_2026" in res.stderr
    assert backend.alembic("current").stdout.strip() == "reading_goals_2026"
    assert pg.value("SELECT version_num FROM alembic_version") == "reading_goals_2026"
    assert _index_count(pg, "idx_reading_goals_user_year") == 1
    assert pg.value("SELECT is_nullable FROM information_schema.columns WHERE table_name = 'users' "
                    "AND column_name = 'timezone'") == "YES"


@pytest.mark.parametrize("column,table,present", [
    ("started_at", "reading_sessions", True), ("duration_minutes", "reading_sessions", True),
    ("is_active", "reading_sessions", True), ("type", "descriptions", True),
    ("priority_score", "descriptions", True),
    # The guide's DDL has these; the application does not.
    ("start_time", "reading_sessions", False), ("duration_seconds", "reading_sessions", False),
    ("description_type", "descriptions", False),
])
def test_schema_differs_from_the_guide(pg, column, table, present):
    assert _column_exists(pg, table, column) is present


def test_daily_stats_has_a_unique_index(pg):
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE tablename = 'reading_sessions_daily_stats' "
                    "AND indexdef LIKE 'CREATE UNIQUE INDEX%'") == 1


def test_upgrade_head_fails_with_duplicate_table(backend):
    res = backend.alembic("upgrade", "head")
    assert res.rc != 0
    assert "Running upgrade reading_goals_2026 -> progress_index_2026" in res.stderr
    assert "psycopg2.errors.DuplicateTable" in res.stderr
    assert 'relation "idx_reading_progress_user_book" already exists' in res.stderr


def test_failed_upgrade_left_everything_as_it_was(backend, pg):
    assert backend.alembic("current").stdout.strip() == "reading_goals_2026"
    assert pg.value("SELECT count(*) FROM alembic_version") == 1
    # progress_index_2026 added this column before the failing index: rolled back with it.
    assert not _column_exists(pg, "reading_progress", "completed_at")
    assert _index_count(pg, "idx_reading_progress_user_book") == 1


def test_upgrade_head_from_enum_checks_2025_rolls_back_every_revision(backend, pg):
    assert backend.alembic("downgrade", "enum_checks_2025").rc == 0
    res = backend.alembic("upgrade", "head")
    assert res.rc != 0 and "DuplicateTable" in res.stderr
    assert "Running upgrade enum_checks_2025 -> reading_goals_2026" in res.stderr
    assert backend.alembic("current").stdout.strip() == "enum_checks_2025"
    assert pg.value("SELECT count(*) FROM pg_tables WHERE tablename = 'reading_goals'") == 0


def test_downgrade_to_base(backend, pg):
    res = backend.alembic("downgrade", "base")
    assert res.rc == 0, res.stderr
    assert backend.alembic("current").stdout.strip() == ""
    assert pg.value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'") == 0
