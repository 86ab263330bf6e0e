"""The application role can work after the privileges role; nothing more was given than asked."""

import shlex

import pytest

APP_TABLES = ["users", "books", "subscriptions", "chapters", "descriptions", "generated_images",
              "reading_progress", "reading_sessions", "alembic_version"]


def as_role(pg, role, sql, database="bookreader_dev"):
    """Run *sql* in the container as *role* (local socket, trust), the way the application would."""
    cmd = "docker exec -i %s psql -X -q -A -t -v ON_ERROR_STOP=1 -U %s -d %s" % (
        shlex.quote(pg.container), shlex.quote(role), shlex.quote(database))
    return pg.host.run("printf '%%s' %s | %s" % (shlex.quote(sql), cmd))


@pytest.mark.parametrize("table", APP_TABLES)
def test_app_role_reads_every_table(pg, table):
    res = as_role(pg, "bookreader", "SELECT count(*) FROM %s" % table)
    assert res.rc == 0, res.stderr


def test_app_role_writes(pg):
    res = as_role(pg, "bookreader", """
        BEGIN;
        INSERT INTO users (email, password_hash) VALUES ('priv@example.org', 'x');
        UPDATE users SET full_name = 'P' WHERE email = 'priv@example.org';
        DELETE FROM users WHERE email = 'priv@example.org';
        COMMIT;""")
    assert res.rc == 0, res.stderr


@pytest.mark.parametrize("view", ["reading_sessions_daily_stats", "user_reading_patterns"])
def test_app_role_reads_materialized_views(pg, view):
    res = as_role(pg, "bookreader", "SELECT count(*) FROM %s" % view)
    assert res.rc == 0, res.stderr


def test_app_role_got_only_what_was_asked(pg):
    # TRUNCATE is not in the default list: the guide's ALL PRIVILEGES is more than an application needs.
    before = pg.value("SELECT count(*) FROM books")
    res = as_role(pg, "bookreader", "TRUNCATE books CASCADE")
    assert res.rc != 0 and "permission denied" in res.stderr
    assert pg.value("SELECT count(*) FROM books") == before


def test_tables_still_owned_by_postgres(pg):
    owners = pg.rows("SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class "
                     "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'm')")
    assert owners == [{"o": "postgres"}]


def test_future_tables_come_with_the_grants(pg):
    # A table postgres creates after the role ran (a migration, an emergency restore).
    res = pg.execute("DROP TABLE IF EXISTS later_table; CREATE TABLE later_table (id int)")
    assert res.rc == 0, res.stderr
    res = as_role(pg, "bookreader", "INSERT INTO later_table VALUES (1); SELECT count(*) FROM later_table")
    assert res.rc == 0, res.stderr
    # The reporting role asked for no default privileges.
    res = as_role(pg, "reporter", "SELECT count(*) FROM later_table")
    assert res.rc != 0 and "permission denied" in res.stderr


def test_reporter_reads_but_cannot_write(pg):
    assert as_role(pg, "reporter", "SELECT count(*) FROM books").rc == 0
    res = as_role(pg, "reporter", "INSERT INTO users (email, password_hash) VALUES ('r@example.org', 'x')")
    assert res.rc != 0 and "permission denied" in res.stderr


def test_owned_database_belongs_to_the_app_role(pg):
    rows = pg.rows("""
        SELECT c.relname AS name, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'S')
        UNION ALL SELECT t.typname, pg_get_userbyid(t.typowner) FROM pg_type t
        WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'e'
        UNION ALL SELECT p.proname, pg_get_userbyid(p.proowner) FROM pg_proc p
        WHERE p.oid = 'note_total'::regproc""", database="owned_app")
    owners = {r["name"]: r["owner"] for r in rows}
    for name in ["notes", "notes_id_seq", "standalone_seq", "sad_notes", "note_count", "mood", "note_total"]:
        assert owners.get(name) == "bookreader", (name, owners)


def test_extension_objects_were_left_alone(pg):
    owner = pg.value("SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'uuid_generate_v4'",
                     database="owned_app")
    assert owner == "postgres"


def test_owner_can_migrate(pg):
    res = as_role(pg, "bookreader", "ALTER TABLE notes ADD COLUMN IF NOT EXISTS tag text; "
                                    "REFRESH MATERIALIZED VIEW note_count", database="owned_app")
    assert res.rc == 0, res.stderr
