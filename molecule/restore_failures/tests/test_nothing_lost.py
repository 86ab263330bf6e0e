"""After every failed restore, the old database is exactly as it was and nothing is left over."""

import glob
import os

import pytest


def test_rows_intact(pg):
    assert pg.value("SELECT count(*) FROM users") == 500


def test_old_database_untouched_index_still_missing(pg):
    # The restore never got as far as the swap: the drift is still there.
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_books_title'") == 0


def test_old_database_accepts_connections(pg):
    assert pg.value("SELECT datallowconn FROM pg_database WHERE datname = 'bookreader_dev'", "postgres") is True
    assert pg.value("SELECT shobj_description(oid, 'pg_database') IS NULL FROM pg_database "
                    "WHERE datname = 'bookreader_dev'", "postgres") is True


@pytest.mark.parametrize("suffix", ["__restore", "__old", "__expected"])
def test_no_temporary_database_left(pg, suffix):
    assert not [n for n in pg.databases() if n.endswith(suffix)]


def test_no_verify_scratch_database_left(pg):
    assert not [n for n in pg.databases() if n.startswith("db_runbooks_verify_")]


def test_nothing_was_kept_aside(pg):
    # No failure here got as far as the swap, so no database was renamed aside.
    assert not [n for n in pg.databases() if "__old_" in n]


def test_no_failed_run_wrote_a_dump():
    # Every failure happened before the swap; the dump is taken of the old
    # database only once it is kept aside, so none may exist.
    base = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "backups")
    assert not glob.glob(os.path.join(base, "**", "*.dump"), recursive=True)
