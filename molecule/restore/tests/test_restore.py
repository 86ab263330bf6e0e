"""After the side effects: repaired, rebuilt from a pg_dump file, safety dumps usable, nothing left over."""

import glob
import os

import pytest

TABLES = ["alembic_version", "books", "chapters", "descriptions", "generated_images",
          "reading_progress", "reading_sessions", "subscriptions", "users"]


def test_only_the_database_remains(pg):
    names = pg.databases()
    assert "bookreader_dev" in names
    assert not [n for n in names if n.startswith("bookreader_dev__")], names


def test_tables(pg):
    rows = pg.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    assert [r["tablename"] for r in rows] == TABLES


def test_dropped_index_is_back(pg):
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_books_title'") == 1


def test_alembic_revision(pg):
    assert pg.rows("SELECT version_num FROM alembic_version") == [{"version_num": "enum_checks_2025"}]


def test_matviews_populated_after_pg_dump_source(pg):
    assert pg.rows("SELECT matviewname, ispopulated FROM pg_matviews ORDER BY 1") == [
        {"matviewname": "reading_sessions_daily_stats", "ispopulated": True},
        {"matviewname": "user_reading_patterns", "ispopulated": True}]
    assert pg.value("SELECT count(*) FROM reading_sessions_daily_stats") == 0


def test_database_accepts_connections(pg):
    assert pg.value("SELECT datallowconn FROM pg_database WHERE datname = 'bookreader_dev'", "postgres") is True


def test_rebuilt_database_keeps_its_owner(pg):
    assert pg.value("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'bookreader_dev'",
                    "postgres") == "bookreader"


def test_application_role_can_work_after_the_rebuild(host, inventory_vars):
    res = host.run(
        "printf '%%s' \"INSERT INTO users (email, password_hash) VALUES ('app@example.org', 'x'); "
        "SELECT count(*) FROM users; DELETE FROM users WHERE email = 'app@example.org'\" "
        "| docker exec -i %s psql -X -q -A -t -v ON_ERROR_STOP=1 -U bookreader -d bookreader_dev"
        % inventory_vars["db_runbooks_container"])
    assert res.rc == 0, res.stderr


def _dumps():
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    return sorted(glob.glob(os.path.join(ephemeral, "backups", "bookreader_dev", "*.dump")))


def test_safety_dumps_exist_with_checksums():
    dumps = _dumps()
    # One before the repair, one before the rebuild from the pg_dump file.
    assert len(dumps) == 2, dumps
    for path in dumps:
        assert os.path.exists(path + ".sha256")


def test_safety_dump_lists_with_pg_restore(host, inventory_vars):
    res = host.run("docker exec -i %s pg_restore -l < %s" % (inventory_vars["db_runbooks_container"], _dumps()[0]))
    assert res.rc == 0
    assert "TABLE DATA public users" in res.stdout


def test_safety_dump_holds_the_rows_added_before_the_repair(host, pg, inventory_vars):
    container = inventory_vars["db_runbooks_container"]
    pg.execute("DROP DATABASE IF EXISTS dump_check; CREATE DATABASE dump_check", "postgres")
    try:
        res = host.run("docker exec -i %s pg_restore -U postgres -d dump_check --exit-on-error < %s"
                       % (container, _dumps()[0]))
        assert res.rc == 0, res.stderr
        assert pg.value("SELECT count(*) FROM users", "dump_check") == 250
    finally:
        pg.execute("DROP DATABASE IF EXISTS dump_check WITH (FORCE)", "postgres")


@pytest.mark.parametrize("suffix", ["__restore", "__old", "__expected"])
def test_no_temporary_database_left(pg, suffix):
    assert not [n for n in pg.databases() if n.endswith(suffix)]
