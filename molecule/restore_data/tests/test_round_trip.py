"""After the rollback: every table but users is exactly as the first backup holds it."""


TABLES = ["alembic_version", "books", "chapters", "descriptions", "generated_images",
          "reading_progress", "reading_sessions", "subscriptions", "users"]


def test_converge_restored_every_table_exactly(saved):
    # Computed from PostgreSQL right after converge (side_effect.yml) and after the first backup (prepare.yml).
    assert saved("converged_sums.json") == saved("expected_sums.json")


def test_dropped_table_and_deleted_rows_are_back(pg):
    assert sorted(pg.table_sums()) == TABLES
    assert pg.value("SELECT count(*) FROM reading_sessions") > 0
    assert pg.value("SELECT count(*) FROM generated_images") > 0


def test_tables_other_than_users_hold_the_backup_rows(pg, saved):
    expected = saved("expected_sums.json")
    now = pg.table_sums()
    assert dict((k, v) for k, v in now.items() if k != "users") == \
        dict((k, v) for k, v in expected.items() if k != "users")


def test_alembic_revision_is_the_dumps(pg):
    assert pg.rows("SELECT version_num FROM alembic_version") == [{"version_num": "enum_checks_2025"}]


def test_rows_of_the_damaged_newer_backup_never_came_back(pg):
    assert pg.value("SELECT count(*) FROM users WHERE email LIKE 'late%'") == 0
