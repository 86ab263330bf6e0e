"""No run's -vvv output (stdout and stderr) holds the password; each run ended as expected."""

import os

import pytest

from canary_search import RUNS_DIR, leaks, read, runs

RUNS = runs()
NAMES = [r["name"] for r in RUNS]


def test_every_playbook_that_acts_on_a_database_ran():
    played = {r["playbook"] for r in RUNS}
    assert played >= {"verify.yml", "restore.yml", "backup.yml", "backup_check.yml", "refresh_matviews.yml",
                      "fix_extensions.yml", "grant_privileges.yml", "stamp_alembic.yml",
                      "schedule_matview_refresh.yml"}
    assert any(r["playbook"] == "restore.yml" and "--check" in r.get("args", []) for r in RUNS)


@pytest.mark.parametrize("name", NAMES)
def test_run_ended_as_expected(name):
    run = next(r for r in RUNS if r["name"] == name)
    rc = int(read(os.path.join(RUNS_DIR, name + ".rc")).strip())
    assert (rc == 0) == run.get("succeeds", True), "%s exited %d" % (name, rc)


@pytest.mark.parametrize("name", NAMES)
def test_run_was_verbose(name):
    # -vvv prints each command run on the host: the search had everything to look at.
    run = next(r for r in RUNS if r["name"] == name)
    out = read(os.path.join(RUNS_DIR, name + ".log"))
    assert "<localhost> EXEC" in out
    # and its container check ran, with its result printed (where the old one printed the environment).
    if run.get("inspects", True):
        assert "TASK [fancai.db_runbooks.preflight : Inspect the container]" in out


@pytest.mark.parametrize("name", [r["name"] for r in RUNS if r.get("expect")])
def test_failure_says_what_to_do(name):
    run = next(r for r in RUNS if r["name"] == name)
    out = read(os.path.join(RUNS_DIR, name + ".log"))
    for text in run["expect"]:
        assert text in out, "%s: %r not in its output" % (name, text)


@pytest.mark.parametrize("name", NAMES)
def test_output_has_no_password(name, canary):
    assert leaks(canary, [os.path.join(RUNS_DIR, name + ".log")]) == []
