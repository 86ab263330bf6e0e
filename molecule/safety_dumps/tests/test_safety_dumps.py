"""A restore's safety dump survives the next nightly backup and its retention; the check warns; pruning is explicit."""

import json
import os
import re
import shlex

import pytest

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
ASIDE = "bookreader_dev__old_20261202_040000"


def _load(name):
    with open(os.path.join(EPHEMERAL, name), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def series(inventory_vars):
    return inventory_vars["db_runbooks_backup_dir"] + "/bookreader_dev"


@pytest.fixture(scope="module")
def safety():
    return _load("safety_dump.json")


@pytest.fixture(scope="module")
def nightly():
    return _load("nightly_dump.json")


@pytest.fixture(scope="module")
def manifest(host, safety):
    return json.loads(host.file(safety["manifest"]).content_string)


def test_the_safety_dump_is_in_its_own_folder_under_the_live_name(series, safety):
    assert re.match(r"^%s/safety/bookreader_dev-safety-\d{8}T\d{6}Z\.dump$" % re.escape(series), safety["path"])
    assert safety["class"] == "safety" and safety["series"] == "bookreader_dev"
    assert safety["database"] == ASIDE


def test_the_safety_dump_survived_the_nightly_retention(host, series, safety):
    # Same day, newer nightly dump of a near-empty database, retention on: the safety dump is untouched.
    assert host.file(safety["path"]).size == safety["size"]
    res = host.run("cd %s && sha256sum --check --strict %s.sha256" % (
        shlex.quote(series + "/safety"), shlex.quote(safety["file"])))
    assert res.rc == 0, res.stdout + res.stderr
    assert host.run("sha256sum %s" % shlex.quote(safety["path"])).stdout.split()[0] == safety["sha256"]


def test_the_nightly_backup_ran_with_retention_the_same_day(host, series, nightly, safety):
    assert nightly["class"] == "nightly"
    assert os.path.dirname(nightly["path"]) == series
    assert nightly["started"][:10] == safety["started"][:10]
    assert nightly["rows"] < 10 < safety["rows"]
    assert host.file(nightly["path"]).exists


def test_the_manifest_records_class_rows_and_context(manifest, safety):
    assert manifest["class"] == "safety"
    assert manifest["series"] == "bookreader_dev"
    assert manifest["database"] == ASIDE
    assert manifest["rows"] == sum(manifest["row_counts"].values()) == safety["rows"]
    assert manifest["rows"] > 1000
    assert manifest["context"] == {
        "made_by": "restore", "plan": "rebuild", "findings": ["index idx_books_title is missing"],
        "playbook": "playbooks/restore.yml", "started": "2026-12-02T04:00:00Z"}


def test_the_safety_dump_restores_the_old_rows(host, pg, manifest, safety):
    # The old database is gone: the safety dump is the only place its rows are.
    assert ASIDE not in pg.databases()
    pg.execute("DROP DATABASE IF EXISTS safety_test WITH (FORCE); CREATE DATABASE safety_test", "postgres")
    try:
        res = host.run("docker exec -i %s pg_restore -U postgres -d safety_test --exit-on-error "
                       "--single-transaction < %s" % (pg.container, shlex.quote(safety["path"])))
        assert res.rc == 0, res.stderr
        for table, rows in manifest["row_counts"].items():
            assert pg.value("SELECT count(*) FROM %s" % table, "safety_test") == rows, table
    finally:
        pg.execute("DROP DATABASE IF EXISTS safety_test WITH (FORCE)", "postgres")


def test_check_warns_naming_both_files_and_where_the_rows_are(safety, nightly):
    run = _load("check-warn.json")
    assert run["rc"] == 0, run["stdout"][-2000:]
    out = " ".join(run["stdout"].split())
    assert "WARNING, backup check of bookreader_dev" in out
    assert "%s (nightly, %d rows)" % (nightly["file"], nightly["rows"]) in out
    assert "%s (safety, %d rows)" % (safety["file"], safety["rows"]) in out
    assert "they are still in %s" % safety["path"] in out
    assert "OK, with the warning above," in out


def test_check_fails_on_the_drop_when_told_to(safety):
    run = _load("check-fail.json")
    assert run["rc"] != 0
    out = " ".join(run["stdout"].split())
    assert "BACKUP CHECK FAILED for bookreader_dev" in out
    assert "(safety, %d rows)" % safety["rows"] in out
    assert "backup_check_fail_on_row_drop=true" in out


def test_check_is_quiet_under_a_limit_the_drop_stays_within():
    run = _load("check-tolerant.json")
    assert run["rc"] == 0
    assert "WARNING" not in run["stdout"]
    assert "Backup check OK for bookreader_dev" in " ".join(run["stdout"].split())


def test_prune_removed_the_old_safety_dumps_with_their_sidecars(host, series, safety):
    names = sorted(host.run("ls -A %s" % shlex.quote(series + "/safety")).stdout.split())
    f = safety["file"]
    assert names == sorted([f, f + ".sha256", f + ".json", "notes.txt", "otherdb-safety-20240101T030000Z.dump"])


def test_no_partial_file_and_no_scratch_database_left(host, inventory_vars, pg):
    res = host.run("find %s -name '*.partial'" % shlex.quote(inventory_vars["db_runbooks_backup_dir"]))
    assert res.rc == 0 and res.stdout.strip() == ""
    assert [d for d in pg.databases() if "__" in d] == []
