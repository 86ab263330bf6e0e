"""After the paused and the blocked backups: nothing partial, nothing paused, no session of a backup left."""

import json
import os
import re
import shlex

import pytest

PAUSED = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "paused", "bookreader_dev")


@pytest.fixture(scope="module")
def good(host):
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "good_backup.json")
    return json.loads(host.file(path).content_string)


def test_the_container_is_not_paused(host, pg):
    state = host.run("docker inspect -f '{{.State.Status}}' %s" % pg.container)
    assert state.stdout.strip() == "running"


def test_the_paused_directory_holds_the_earlier_and_the_later_backup_only(host, good):
    names = sorted(host.run("ls -A %s" % shlex.quote(PAUSED)).stdout.split())
    later = [n for n in names if re.match(r"^bookreader_dev-\d{8}T\d{6}Z\.dump$", n) and n != good["file"]]
    assert len(later) == 1, names
    assert names == sorted([".lock", good["file"], good["file"] + ".json", good["file"] + ".sha256",
                            later[0], later[0] + ".json", later[0] + ".sha256"])


@pytest.mark.parametrize("which", ["earlier", "later"])
def test_both_backups_match_their_checksums(host, good, which):
    names = host.run("ls %s" % shlex.quote(PAUSED)).stdout.split()
    dumps = sorted(n for n in names if n.endswith(".dump"))
    name = good["file"] if which == "earlier" else [n for n in dumps if n != good["file"]][0]
    res = host.run("cd %s && sha256sum --check --strict %s.sha256" % (shlex.quote(PAUSED), shlex.quote(name)))
    assert res.rc == 0, res.stdout + res.stderr


def test_the_stale_session_note_was_cleared(host):
    stale = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "stale", "bookreader_dev")
    names = host.run("ls -A %s" % shlex.quote(stale)).stdout.split()
    assert ".stale_sessions" not in names
    assert len([n for n in names if n.endswith(".dump")]) == 1, names


def test_no_session_of_a_backup_is_left(pg):
    rows = pg.rows("SELECT application_name, state FROM pg_stat_activity "
                   "WHERE application_name LIKE 'db\\_runbooks\\_backup\\_%' "
                   "OR application_name IN ('dbrb_test_lock_holder', 'dbrb_test_bystander')",
                   "postgres")
    assert rows == []
