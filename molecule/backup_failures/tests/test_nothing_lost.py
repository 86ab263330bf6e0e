"""After every failed backup, the good backup is intact, nothing partial is left, nothing was added."""

import json
import os
import shlex

import pytest


@pytest.fixture(scope="module")
def good(host):
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "good_backup.json")
    return json.loads(host.file(path).content_string)


@pytest.fixture(scope="module")
def series(inventory_vars):
    return inventory_vars["db_runbooks_backup_dir"] + "/bookreader_dev"


def test_the_good_backup_is_still_the_only_one(host, series, good):
    names = sorted(host.run("ls -A %s" % shlex.quote(series)).stdout.split())
    file = good["file"]
    assert names == sorted([".lock", file, file + ".json", file + ".sha256"])


def test_the_good_backup_still_matches_its_checksum(host, series, good):
    res = host.run("cd %s && sha256sum --check --strict %s.sha256" % (shlex.quote(series), shlex.quote(good["file"])))
    assert res.rc == 0, res.stdout + res.stderr
    assert host.file(good["path"]).size == good["size"]


def test_no_partial_file_anywhere(host, inventory_vars):
    res = host.run("find %s -name '*.partial'" % shlex.quote(inventory_vars["db_runbooks_backup_dir"]))
    assert res.rc == 0 and res.stdout.strip() == ""


def test_no_data_was_lost(pg, good):
    # The counts the good backup recorded are still the database's.
    for table, rows in good["row_counts"].items():
        assert pg.value("SELECT count(*) FROM %s" % table) == rows, table


def test_the_container_runs_again(host, pg):
    state = host.run("docker inspect -f '{{.State.Running}}' %s" % pg.container)
    assert state.stdout.strip() == "true"


def test_the_tiny_disk_is_unmounted(host):
    assert "dbrb-backup-tiny" not in host.file("/proc/mounts").content_string


def test_the_lock_holder_is_gone(host):
    pid = host.file(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "lock-holder.pid")).content_string.strip()
    assert not host.file("/proc/%s" % pid).exists or "sleep" not in host.file("/proc/%s/cmdline" % pid).content_string


def test_no_scratch_database_is_left(pg):
    assert [d for d in pg.databases() if "__" in d] == []
