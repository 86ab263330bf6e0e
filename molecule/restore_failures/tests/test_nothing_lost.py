"""After every failed restore, the old database is exactly as it was and nothing is left over."""

import pytest


def test_rows_intact(pg):
    assert pg.value("SELECT count(*) FROM users") == 500


def test_old_database_untouched_index_still_missing(pg):
    # The restore never got as far as the swap: the drift is still there.
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_books_title'") == 0


def test_old_database_accepts_connections(pg):
    assert pg.value("SELECT datallowconn FROM pg_database WHERE datname = 'bookreader_dev'", "postgres") is True


@pytest.mark.parametrize("suffix", ["__restore", "__old", "__expected"])
def test_no_temporary_database_left(pg, suffix):
    assert not [n for n in pg.databases() if n.endswith(suffix)]


def test_safety_dump_of_the_failed_build_holds_the_rows(host, pg, inventory_vars):
    import glob
    import os
    dumps = sorted(glob.glob(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"],
                                          "backups", "bookreader_dev", "*.dump")))
    assert len(dumps) == 1, dumps  # only the confirmed run that got past the checks wrote one (not the misspelt role)
    pg.execute("DROP DATABASE IF EXISTS dump_check; CREATE DATABASE dump_check", "postgres")
    try:
        res = host.run("docker exec -i %s pg_restore -U postgres -d dump_check --exit-on-error < %s"
                       % (inventory_vars["db_runbooks_container"], dumps[0]))
        assert res.rc == 0, res.stderr
        assert pg.value("SELECT count(*) FROM users", "dump_check") == 500
    finally:
        pg.execute("DROP DATABASE IF EXISTS dump_check WITH (FORCE)", "postgres")
