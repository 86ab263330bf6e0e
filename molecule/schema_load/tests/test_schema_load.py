"""The guide's schema is in both databases, complete, with populated materialized views."""

import pytest

DATABASES = ["bookreader_dev", "from_dump"]
TABLES = ["alembic_version", "books", "chapters", "descriptions", "generated_images",
          "reading_progress", "reading_sessions", "subscriptions", "users"]


@pytest.mark.parametrize("db", DATABASES)
def test_nine_tables(pg, db):
    rows = pg.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", db)
    assert [r["tablename"] for r in rows] == TABLES


@pytest.mark.parametrize("db", DATABASES)
def test_thirty_six_named_indexes(pg, db):
    # Named in the guide: every index except primary keys and the email UNIQUE constraint's.
    count = pg.value("""SELECT count(*) FROM pg_indexes i WHERE schemaname = 'public'
                        AND indexname NOT LIKE '%\\_pkey' AND indexname <> 'users_email_key'""", db)
    assert count == 36


@pytest.mark.parametrize("db", DATABASES)
def test_four_check_constraints_on_tables(pg, db):
    rows = pg.rows("""SELECT conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                      JOIN pg_namespace n ON n.oid = t.relnamespace
                      WHERE c.contype = 'c' AND n.nspname = 'public' ORDER BY 1""", db)
    assert [r["conname"] for r in rows] == ["check_book_format", "check_book_genre",
                                            "check_image_service", "check_image_status"]


@pytest.mark.parametrize("db", DATABASES)
def test_enum_labels_in_order(pg, db):
    rows = pg.rows("""SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
                      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY 1 ORDER BY 1""", db)
    assert {r["typname"]: r["labels"] for r in rows} == {
        "descriptiontype": "LOCATION,CHARACTER,ATMOSPHERE,OBJECT,ACTION",
        "subscriptionplan": "FREE,PREMIUM,ULTIMATE",
        "subscriptionstatus": "ACTIVE,EXPIRED,CANCELLED,PENDING",
    }


@pytest.mark.parametrize("db", DATABASES)
def test_matviews_populated_and_readable(pg, db):
    rows = pg.rows("SELECT matviewname, ispopulated FROM pg_matviews ORDER BY 1", db)
    assert rows == [{"matviewname": "reading_sessions_daily_stats", "ispopulated": True},
                    {"matviewname": "user_reading_patterns", "ispopulated": True}]
    assert pg.value("SELECT count(*) FROM user_reading_patterns", db) == 0


@pytest.mark.parametrize("db", DATABASES)
def test_no_alembic_row_yet(pg, db):
    # Stamping is alembic_stamp's job, not the loader's.
    assert pg.value("SELECT count(*) FROM alembic_version", db) == 0


def test_dump_file_was_made_by_pg_dump(host, inventory_vars):
    # The second database really came from a pg_dump file (WITH NO DATA matviews).
    res = host.run("docker exec %s grep -c 'WITH NO DATA' /tmp/schema_backup.sql"
                   % inventory_vars["db_runbooks_container"])
    assert res.stdout.strip() == "2"
