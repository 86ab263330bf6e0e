"""bookreader_dev ends at reading_goals_2026: converge applied it, the failed head left it there."""

import shlex


def test_alembic_version_holds_reading_goals_2026(pg):
    assert pg.rows("SELECT version_num FROM alembic_version") == [{"version_num": "reading_goals_2026"}]


def test_reading_goals_2026_is_applied(pg):
    assert pg.value("SELECT to_regclass('public.reading_goals') IS NOT NULL") is True
    assert pg.value("SELECT count(*) FROM information_schema.columns "
                    "WHERE table_name = 'users' AND column_name = 'timezone'") == 1


def test_the_failed_revision_left_nothing(pg):
    # progress_index_2026 adds reading_progress.completed_at before the index that fails:
    # its absence proves the whole upgrade was rolled back.
    assert pg.value("SELECT count(*) FROM information_schema.columns "
                    "WHERE table_name = 'reading_progress' AND column_name = 'completed_at'") == 0


def test_the_backends_alembic_agrees(host, inventory_vars):
    res = host.run("docker exec %s alembic current" % shlex.quote(inventory_vars["db_runbooks_backend_container"]))
    assert res.rc == 0, res.stderr
    assert res.stdout.split() == ["reading_goals_2026"]


def test_no_scratch_or_temporary_database_is_left(pg):
    assert pg.databases() == ["bookreader_dev", "postgres"]
