"""playbooks/verify.yml against drift, a pg_dump-made database and a pg_dump file as source.

The playbook is run the way an operator runs it (the venv's ansible-playbook,
the repository's ansible.cfg), with the scenario's container; each run is made
once per module and its exit code, output and JSON report are asserted on.
"""

import hashlib
import json
import os
import stat
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
MATVIEWS = ["reading_sessions_daily_stats", "user_reading_patterns"]


def _playbook(container, *extra, cwd=ROOT):
    """Run playbooks/verify.yml as an operator would; returns the CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_CONFIG=os.path.join(cwd, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    book = "verify.yml" if cwd.endswith("playbooks") else "playbooks/verify.yml"
    argv = [ANSIBLE_PLAYBOOK, book, "-e", "db_runbooks_container=%s" % container]
    for item in extra:
        argv += ["-e", item]
    return subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300)


def _docker_psql(container, database, sql):
    return subprocess.run(
        ["docker", "exec", "-i", container, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
         "-U", "postgres", "-d", database],
        input=sql, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=True)


@pytest.fixture(scope="module")
def runs(host, inventory_vars, tmp_path_factory):
    """Set up the databases, run verify.yml against each, keep the results."""
    c = inventory_vars["db_runbooks_container"]
    tmp = tmp_path_factory.mktemp("verify")
    dump = tmp / "schema_dump.sql"

    # A schema-only dump of the clean database, made with the container's pg_dump,
    # and a database restored from it, stamped like a restore would.
    with open(str(dump), "w") as f:
        subprocess.run(["docker", "exec", c, "pg_dump", "-U", "postgres", "-d", "bookreader_dev",
                        "--schema-only"], stdout=f, check=True)
    _docker_psql(c, "postgres", "DROP DATABASE IF EXISTS from_dump; CREATE DATABASE from_dump;")
    with open(str(dump)) as f:
        _docker_psql(c, "from_dump", f.read())
    _docker_psql(c, "from_dump", "INSERT INTO alembic_version VALUES ('enum_checks_2025');")
    # Drift on top of the pg_dump-made copy: one run shows the dropped index is
    # named, the unpopulated views fail a strict run, and the re-deparsed CHECKs
    # still raise nothing.
    _docker_psql(c, "postgres", "DROP DATABASE IF EXISTS drifted; CREATE DATABASE drifted TEMPLATE from_dump;")
    _docker_psql(c, "drifted", "DROP INDEX ix_books_title;")

    out = {"dump": str(dump)}
    out["custom_source"] = _playbook(
        c, "db_runbooks_schema_file=%s" % dump, "verify_report_file=%s" % (tmp / "custom.json"),
        cwd=os.path.join(ROOT, "playbooks"))
    out["custom_source_report"] = tmp / "custom.json"
    out["drift"] = _playbook(c, "db_runbooks_database=drifted")
    out["from_dump"] = _playbook(c, "db_runbooks_database=from_dump",
                                 "verify_require_populated_matviews=false",
                                 "verify_report_file=%s" % (tmp / "from_dump.json"))
    out["from_dump_report"] = tmp / "from_dump.json"
    return out


def _flat(res):
    """The playbook's output with line wrapping undone (the yaml callback folds long lines)."""
    return " ".join(res.stdout.split())


def _report(path):
    with open(str(path)) as f:
        return json.load(f)


# --- a pg_dump file as the schema source, run from playbooks/ ----------------

def test_pg_dump_file_as_source_verifies_the_clean_database(runs):
    res = runs["custom_source"]
    assert res.returncode == 0, res.stdout[-3000:]
    assert " matches %s:" % runs["dump"] in _flat(res)


def test_report_file_is_written_private_with_the_result(runs):
    path = runs["custom_source_report"]
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    report = _report(path)
    assert report["ok"] is True
    assert report["schema_source"] == "file"
    assert report["schema_label"] == runs["dump"]
    with open(runs["dump"], "rb") as f:
        assert report["schema_sha256"] == hashlib.sha256(f.read()).hexdigest()
    assert "check constraints 4/4 \u2713" in report["summary"]
    assert sorted(report["catalog"]["matviews"]) == MATVIEWS


# --- drift --------------------------------------------------------------------

def test_dropped_index_fails_the_playbook(runs):
    assert runs["drift"].returncode != 0


def test_dropped_index_is_named(runs):
    out = _flat(runs["drift"])
    assert "missing index ix_books_title" in out, out[-3000:]
    assert "indexes 36/37 \u2717 (1 missing)" in out


def test_drift_run_raises_no_false_check_drift(runs):
    out = _flat(runs["drift"])
    assert "check constraints 4/4 \u2713" in out
    assert "check constraint" not in out.split("does not match", 1)[-1]


# --- a database restored from a pg_dump-made schema file ----------------------

def test_pg_dump_restore_has_no_false_drift(runs):
    res = runs["from_dump"]
    assert res.returncode == 0, res.stdout[-3000:]
    report = _report(runs["from_dump_report"])
    assert report["ok"] is True
    assert report["missing"] == [] and report["extra"] == [] and report["different"] == []
    assert "check constraints 4/4 \u2713" in report["summary"]


def test_pg_dump_restore_really_has_the_re_deparsed_checks(pg):
    # The premise of the test above: the stored text differs between the two.
    sql = ("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
           "WHERE conname = 'check_book_format'")
    assert pg.value(sql, "bookreader_dev") != pg.value(sql, "from_dump")


def test_pg_dump_restore_reports_matviews_unpopulated(runs):
    report = _report(runs["from_dump_report"])
    assert report["matviews_unpopulated"] == MATVIEWS
    assert "matviews 2/2 \u2713 (populated 0/2)" in report["summary"]


def test_unpopulated_matviews_fail_when_required(runs):
    # verify_require_populated_matviews defaults to true: the drift run (on a
    # copy of the pg_dump-made database) names both views.
    res = runs["drift"]
    assert res.returncode != 0
    for name in MATVIEWS:
        assert "different matview %s: not populated" % name in _flat(res), res.stdout[-3000:]


# --- what verification leaves behind --------------------------------------------

def test_no_scratch_database_of_these_runs_is_left(runs, pg):
    left = sorted(d for d in pg.databases() if d.startswith("db_runbooks_verify_"))
    # Only prepare's: unmarked (not the role's), marked but young (a run in
    # progress, perhaps), marked and old but in use. The old, unused one is gone.
    assert left == ["db_runbooks_verify_00000new", "db_runbooks_verify_0000beef", "db_runbooks_verify_000inuse"]


def test_old_unused_leftover_was_dropped(pg):
    assert "db_runbooks_verify_0000dead" not in pg.databases()


def test_unmarked_database_with_the_prefix_kept_its_rows(pg):
    assert pg.value("SELECT count(*) FROM keep_me", "db_runbooks_verify_0000beef") == 2


def test_database_named_like_the_old_scratch_copy_was_left_alone(pg):
    assert "squatted__expected" in pg.databases()
    assert pg.value("SELECT count(*) FROM keep_me", "squatted__expected") == 3


def test_verified_database_is_untouched(pg):
    assert pg.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_books_title'") == 1
    assert pg.value("SELECT version_num FROM alembic_version") == "enum_checks_2025"


# --- the guide's own checklist query -----------------------------------------------

def test_guide_constraint_query_counts_domain_checks(pg):
    # The guide expects 4 rows; on PostgreSQL 15 it returns 6: information_schema's
    # domains cardinal_number and yes_or_no carry CHECK constraints too (conrelid 0).
    rows = pg.rows("SELECT conname, contype, conrelid::regclass AS table_name FROM pg_constraint "
                   "WHERE contype = 'c' ORDER BY conrelid::regclass::text")
    assert len(rows) == 6
    assert {r["conname"] for r in rows if r["table_name"] == "-"} == \
        {"cardinal_number_domain_check", "yes_or_no_check"}
    assert pg.value("SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid <> 0") == 4

