"""The application's PostgreSQL as its compose starts it: bookreader_dev with --locale=C,
the init script's extensions and text search setting, and no tables yet."""

import pytest


def test_database_is_utf8_with_locale_c(pg):
    row = pg.rows("SELECT pg_encoding_to_char(encoding) AS encoding, datcollate, datctype "
                  "FROM pg_database WHERE datname = 'bookreader_dev'", "postgres")
    assert row == [{"encoding": "UTF8", "datcollate": "C", "datctype": "C"}]


def test_cluster_was_initialised_with_locale_c(pg):
    # POSTGRES_INITDB_ARGS reached initdb: the template databases share the locale.
    assert pg.value("SELECT datcollate FROM pg_database WHERE datname = 'template1'", "postgres") == "C"


def test_text_search_setting_is_set_on_the_database(pg):
    rows = pg.rows("SELECT setrole::int AS setrole, setconfig FROM pg_db_role_setting s JOIN pg_database d "
                   "ON d.oid = s.setdatabase WHERE d.datname = 'bookreader_dev'", "postgres")
    assert rows == [{"setrole": 0, "setconfig": ["default_text_search_config=russian"]}]


def test_text_search_setting_applies_to_new_sessions(pg):
    assert pg.value("SELECT current_setting('default_text_search_config')") == "pg_catalog.russian"


@pytest.mark.parametrize("extension", ["uuid-ossp", "pg_trgm"])
def test_init_script_created_the_extension(pg, extension):
    assert pg.value("SELECT count(*) FROM pg_extension WHERE extname = '%s'" % extension) == 1


def test_extensions_only_in_bookreader_dev(pg):
    assert pg.value("SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'", "postgres") == 0


def test_no_application_tables_yet(pg):
    # Left as the init script made it; test_migrations.py runs the chain and
    # downgrades to base again at its end (only an empty alembic_version stays).
    tables = [r["tablename"] for r in pg.rows(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
    assert set(tables) <= {"alembic_version"}, tables
    if tables:
        assert pg.value("SELECT count(*) FROM alembic_version") == 0
