"""After every fault: the database verifies clean, every index is valid, the rows are the ones prepare wrote."""

import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

COUNTS = ("SELECT table_name AS t, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', "
          "table_schema, table_name), false, true, '')))[1]::text::bigint AS n FROM information_schema.tables "
          "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")


def _state(name):
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "state", name + ".json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def test_verify_yml_is_clean(inventory_vars):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "playbooks/verify.yml"]
    for var in ("db_runbooks_container", "db_runbooks_backend_container", "db_runbooks_backup_dir"):
        argv += ["-e", "%s=%s" % (var, inventory_vars[var])]
    res = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True, timeout=600)
    out = " ".join(res.stdout.split())
    assert res.returncode == 0, out[-3000:]
    assert "matches" in out and "does NOT match" not in out, out[-3000:]


def test_every_index_is_valid_and_none_is_missing(pg):
    assert pg.rows("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                   "WHERE c.relnamespace = 'public'::regnamespace AND NOT i.indisvalid") == []
    names = set(r["indexname"] for r in pg.rows("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"))
    assert {"ix_books_title", "ix_users_email", "ix_books_genre", "idx_reading_sessions_user_started"} <= names
    assert len(names) == _state("seeded")["database"]["indexes"]


def test_every_constraint_is_validated(pg):
    assert pg.rows("SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
                   "AND NOT convalidated") == []
    assert pg.value("SELECT count(*) FROM pg_constraint WHERE conname = 'check_book_genre'") == 1


def test_rows_are_the_rows_prepare_wrote(pg):
    before = _state("seeded")["database"]["rows"]
    assert before and all(n > 0 for n in before.values()), before
    assert dict((r["t"], r["n"]) for r in pg.rows(COUNTS)) == before


def test_no_session_the_faults_started_is_left(pg):
    assert pg.rows("SELECT pid, application_name FROM pg_stat_activity WHERE application_name LIKE 'rf\\_%'",
                   "postgres") == []
    assert pg.value("SELECT count(*) FROM pg_stat_progress_create_index", "postgres") == 0
