"""alembic_version holds exactly the wanted row where it should, and nothing changed where it was refused."""


def test_stale_revision_replaced_by_one_row(pg):
    assert pg.rows("SELECT version_num FROM alembic_version") == [{"version_num": "enum_checks_2025"}]


def test_missing_table_created_with_the_row(pg):
    assert pg.rows("SELECT version_num FROM alembic_version", "no_table") == [{"version_num": "enum_checks_2025"}]
    # the guide's definition: varchar(32) primary key
    assert pg.value("""SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                       WHERE attrelid = 'alembic_version'::regclass AND attname = 'version_num'""",
                    "no_table") == "character varying(32)"


def test_refused_stamp_left_the_old_revision(pg):
    assert pg.rows("SELECT version_num FROM alembic_version", "drifted") == [{"version_num": "old_head_2024"}]


def test_refused_stamp_kept_rows(pg):
    assert pg.value("SELECT count(*) FROM users", "drifted") == 100


def test_no_scratch_database_left(pg):
    assert not [d for d in pg.databases() if d.startswith("db_runbooks_verify_") or d.endswith("__expected")]
