"""After the side effects: repaired, rebuilt from a pg_dump file, the old data kept and dumped."""

import glob
import json
import os
import re

import pytest

TABLES = ["alembic_version", "books", "chapters", "descriptions", "generated_images",
          "reading_progress", "reading_sessions", "subscriptions", "users"]
KEPT_RE = re.compile(r"^bookreader_dev__old_\d{8}_\d{6}$")


def _kept(pg):
    return [n for n in pg.databases() if n.startswith("bookreader_dev__")]


def test_only_the_database_and_one_kept_copy_remain(pg):
    names = pg.databases()
    assert "bookreader_dev" in names
    kept = _kept(pg)
    # Two rebuilds kept two; drop_kept_database.yml dropped the newer one.
    assert len(kept) == 1 and KEPT_RE.match(kept[0]), names


def test_kept_copy_holds_the_rows_of_the_repaired_database(pg):
    kept = _kept(pg)[0]
    pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS true' % kept, "postgres")
    try:
        # The 250 rows of the repair, and the one written while it was left open.
        assert pg.value("SELECT count(*) FROM users", kept) == 251
    finally:
        pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS false' % kept, "postgres")


def test_kept_copy_is_closed_and_names_its_dump(pg):
    kept = _kept(pg)[0]
    row = pg.rows("SELECT datallowconn, shobj_description(oid, 'pg_database') AS comment "
                  "FROM pg_database WHERE datname = '%s'" % kept, "postgres")[0]
    assert row["datallowconn"] is False
    assert row["comment"].startswith("fancai.db_runbooks restore: kept aside from bookreader_dev, safety dump /")
    assert os.path.exists(row["comment"].rsplit(" ", 1)[1])


def test_tables(pg):
    rows = pg.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    assert [r["tablename"] for r in rows] == TABLES


def test_dropped_index_is_back(pg):
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_books_title'") == 1


def test_alembic_revision(pg):
    assert pg.rows("SELECT version_num FROM alembic_version") == [{"version_num": "enum_checks_2025"}]


def test_matviews_populated_after_pg_dump_source(pg):
    assert pg.rows("SELECT matviewname, ispopulated FROM pg_matviews ORDER BY 1") == [
        {"matviewname": "reading_sessions_daily_stats", "ispopulated": True},
        {"matviewname": "user_reading_patterns", "ispopulated": True}]
    assert pg.value("SELECT count(*) FROM reading_sessions_daily_stats") == 0


def test_database_accepts_connections(pg):
    assert pg.value("SELECT datallowconn FROM pg_database WHERE datname = 'bookreader_dev'", "postgres") is True


def test_rebuilt_database_keeps_its_owner(pg):
    assert pg.value("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'bookreader_dev'",
                    "postgres") == "bookreader"


def test_application_role_can_work_after_the_rebuild(host, inventory_vars):
    res = host.run(
        "printf '%%s' \"INSERT INTO users (email, password_hash) VALUES ('app@example.org', 'x'); "
        "SELECT count(*) FROM users; DELETE FROM users WHERE email = 'app@example.org'\" "
        "| docker exec -i %s psql -X -q -A -t -v ON_ERROR_STOP=1 -U bookreader -d bookreader_dev"
        % inventory_vars["db_runbooks_container"])
    assert res.rc == 0, res.stderr


def _safety_dir():
    return os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "backups", "bookreader_dev", "safety")


def _dumps():
    return sorted(glob.glob(os.path.join(_safety_dir(), "bookreader_dev-safety-*.dump")))


def test_safety_dumps_exist_with_checksums_and_manifests():
    dumps = _dumps()
    # One per rebuild, and a fresh one of the kept database found open; the dump
    # of the dropped kept database stays.
    assert len(dumps) == 3, dumps
    for path in dumps:
        assert os.path.exists(path + ".sha256")
        with open(path + ".json", encoding="utf-8") as f:
            manifest = json.load(f)
        assert manifest["class"] == "safety"
        assert KEPT_RE.match(manifest["database"]), manifest["database"]


def test_nightly_series_has_no_safety_dump():
    series = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "backups", "bookreader_dev")
    assert not glob.glob(os.path.join(series, "*.dump"))


def test_the_newest_dump_of_the_reopened_kept_database_holds_the_late_row(host, pg, inventory_vars):
    kept = _kept(pg)[0]
    newest = None
    for path in _dumps():
        with open(path + ".json", encoding="utf-8") as f:
            if json.load(f)["database"] == kept:
                newest = path
    assert newest, "no dump of %s" % kept
    with open(newest + ".json", encoding="utf-8") as f:
        assert json.load(f)["row_counts"]["public.users"] == 251


def test_safety_dump_holds_the_rows_added_before_the_repair(host, pg, inventory_vars):
    container = inventory_vars["db_runbooks_container"]
    pg.execute("DROP DATABASE IF EXISTS dump_check; CREATE DATABASE dump_check", "postgres")
    try:
        res = host.run("docker exec -i %s pg_restore -U postgres -d dump_check --exit-on-error < %s"
                       % (container, _dumps()[0]))
        assert res.rc == 0, res.stderr
        assert pg.value("SELECT count(*) FROM users", "dump_check") == 250
    finally:
        pg.execute("DROP DATABASE IF EXISTS dump_check WITH (FORCE)", "postgres")


@pytest.mark.parametrize("suffix", ["__restore", "__old", "__expected"])
def test_no_temporary_database_left(pg, suffix):
    assert not [n for n in pg.databases() if n.endswith(suffix)]


def test_no_verify_scratch_database_left(pg):
    assert not [n for n in pg.databases() if n.startswith("db_runbooks_verify_")]
