"""The backend's DATABASE_URL password (a canary) in no output, at -vvv too, and in no file written."""

import glob
import os
import shlex

import pytest

from migrate_state import EPHEMERAL, RUNS, canary, run_log


@pytest.fixture(scope="module")
def secret():
    return canary()


def test_the_backend_holds_the_canary(host, inventory_vars, secret):
    # The searches below can find it: it is where it belongs.
    res = host.run("docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' %s"
                   % shlex.quote(inventory_vars["db_runbooks_backend_container"]))
    assert res.rc == 0, res.stderr
    assert ("DATABASE_URL=postgresql+asyncpg://postgres:%s@postgres:5432/bookreader_dev" % secret) in res.stdout


def test_the_verbose_run_printed_the_runners_results():
    text = run_log("03-migrate-head")
    assert " -vvv" in text.splitlines()[0]
    assert "postgresql+asyncpg://***@postgres:5432/bookreader_dev" in text


@pytest.mark.parametrize("run", RUNS)
def test_no_run_prints_it(run, secret):
    assert secret not in run_log(run)


def test_no_file_written_holds_it(secret):
    written = [p for p in glob.glob(os.path.join(EPHEMERAL, "**", "*"), recursive=True) if os.path.isfile(p)]
    assert written
    found = []
    for path in written:
        if os.path.basename(path) in ("canary",):
            continue
        with open(path, "rb") as f:
            if secret.encode() in f.read():
                found.append(path)
    assert found == []
