"""The backend's DATABASE_URL password (a canary) in no output at -vvv and no process argument."""

import glob
import os
import shlex

import pytest

from app_state import EPHEMERAL

RUNS = ["01-restore-refused", "02-restore-confirmed", "03-restore-again", "04-verify", "05-restore-absent"]
SAMPLES = os.path.join(EPHEMERAL, "ps-samples.txt")


@pytest.fixture(scope="module")
def canary():
    with open(os.path.join(EPHEMERAL, "canary"), encoding="utf-8") as f:
        middle = f.read().strip()
    assert len(middle) == 20, "the canary's random part is missing or short: %r" % middle
    return "CanaryPw-%s-secret" % middle


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def test_the_backend_holds_the_canary_in_its_database_url(host, inventory_vars, canary):
    # The search below can find it: it is where it belongs.
    res = host.run("docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' %s"
                   % shlex.quote(inventory_vars["db_runbooks_backend_container"]))
    assert res.rc == 0, res.stderr
    assert ("DATABASE_URL=postgresql+asyncpg://postgres:%s@postgres:5432/bookreader_dev" % canary) in res.stdout


@pytest.mark.parametrize("run", RUNS)
def test_no_run_prints_it(run, canary):
    path = os.path.join(EPHEMERAL, "runs", run + ".log")
    assert os.path.exists(path), "converge did not get to %s" % run
    text = _read(path)
    assert " -vvv" in text.splitlines()[0]
    assert canary not in text


def test_the_sampler_saw_the_runs_reach_into_the_backend(inventory_vars):
    text = _read(SAMPLES)
    assert text.count("@@ sample ") > 50
    assert "@@ end " in text  # it stopped when told, not at its time limit
    assert "ansible-playbook playbooks/restore.yml" in text
    # The collection's own docker exec into the backend, caught while it ran
    # (not the harness's `alembic upgrade` at the end).
    backend = inventory_vars["db_runbooks_backend_container"]
    harness = "docker exec %s alembic upgrade reading_goals_2026" % backend
    assert [line for line in text.splitlines()
            if line.startswith("docker exec") and (" %s " % backend) in line and line != harness]


def test_no_process_argument_holds_it(canary):
    assert canary not in _read(SAMPLES)


def test_no_file_written_holds_it(canary):
    # The runs' logs, snapshots, safety dumps and manifests, Molecule's own files.
    written = [p for p in glob.glob(os.path.join(EPHEMERAL, "**", "*"), recursive=True) if os.path.isfile(p)]
    assert written
    found = []
    for path in written:
        with open(path, "rb") as f:
            if canary.encode() in f.read():
                found.append(path)
    assert found == []
