"""The rollback to the safety dump brought back the row written after the first restore."""


def test_row_written_after_the_restore_is_back(pg):
    assert pg.value("SELECT count(*) FROM users WHERE email = 'after-restore@example.org'") == 1


def test_rollback_source_is_a_safety_dump(saved):
    assert "/bookreader_dev/safety/bookreader_dev-safety-" in saved("rollback.json")["safety"]


def test_every_replaced_copy_is_kept_aside_and_closed(pg):
    kept = pg.rows("SELECT datname, datallowconn FROM pg_database WHERE starts_with(datname, 'bookreader_dev__old_')",
                   "postgres")
    # converge, the one-job restore and the rollback each replaced the database once.
    assert len(kept) == 3 and not any(r["datallowconn"] for r in kept), kept
    assert pg.value("SELECT datallowconn FROM pg_database WHERE datname = 'bookreader_dev'", "postgres") is True


def test_no_temporary_database_left(pg):
    assert [n for n in pg.databases() if n.endswith("__restore") or n.endswith("__drill")] == []
