"""The database role leaves bookreader_dev present, UTF8, from template0, owned by postgres."""


def test_database_exists(pg):
    assert "bookreader_dev" in pg.databases()


def test_database_encoding_is_utf8(pg):
    assert pg.value("SELECT pg_encoding_to_char(encoding) FROM pg_database "
                    "WHERE datname = 'bookreader_dev'", "postgres") == "UTF8"


def test_database_owner_is_login_user(pg):
    assert pg.value("SELECT pg_get_userbyid(datdba) FROM pg_database "
                    "WHERE datname = 'bookreader_dev'", "postgres") == "postgres"


def test_database_is_empty(pg):
    # Created from template0: no user tables came along.
    assert pg.value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
