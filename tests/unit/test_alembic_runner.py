"""The script fancai.db_runbooks.alembic pipes to python3 in the backend, run here with a fake alembic.

The fake prints the URL it was given (the way a careless env.py or a driver
error could), so a test that finds no canary in the result proves the
redaction, and one that finds the rewritten database proves the rewrite.
"""

import json
import os
import stat
import subprocess
import sys

import pytest

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _alembic as al

PASSWORD = "CanaryPw-r/u:n@ner-secret"
QUOTED = "CanaryPw-r%2Fu%3An%40ner-secret"
URL = "postgresql+asyncpg://postgres:%s@postgres:5432/bookreader_dev?ssl=disable" % QUOTED

FAKE_ALEMBIC = """#!/bin/sh
echo "fake alembic $* with $DATABASE_URL in $(pwd)" >&2
[ -n "$FAKE_SLEEP" ] && sleep "$FAKE_SLEEP"
case "$1" in
  current) echo "${FAKE_CURRENT:-enum_checks_2025}" ;;
  heads) echo "progress_index_2026 (head)" ;;
  history) printf '%s\\n' "enum_checks_2025 -> progress_index_2026 (head), index" "<base> -> enum_checks_2025, base" ;;
  upgrade)
    echo "INFO  [alembic.runtime.migration] Running upgrade enum_checks_2025 -> progress_index_2026, index" >&2
    echo "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.DuplicateTable) relation \\"i\\" already exists" >&2
    echo "connect failed for $DATABASE_URL (password $FAKE_PASSWORD)" >&2
    exit 1 ;;
esac
"""


@pytest.fixture()
def backend(tmp_path):
    """A read-only working directory and a PATH with the fake alembic, like the backend's /app."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "alembic"
    fake.write_text(FAKE_ALEMBIC)
    fake.chmod(0o755)
    workdir = tmp_path / "app"
    workdir.mkdir()
    workdir.chmod(stat.S_IRUSR | stat.S_IXUSR)
    yield dict(bindir=str(bindir), workdir=str(workdir))
    workdir.chmod(0o755)


def _run(backend, args, env=None, path=True, **kwargs):
    argv, stdin = al.runner_command("be", args, **kwargs)
    assert argv[-2:] == ["python3", "-"]
    base = {"PATH": (backend["bindir"] + ":" if path else "") + "/usr/bin:/bin",
            "DATABASE_URL": URL, "FAKE_PASSWORD": QUOTED}
    base.update(env or {})
    base = dict((k, v) for k, v in base.items() if v is not None)
    proc = subprocess.run([sys.executable, "-"], input=stdin, capture_output=True, env=base,
                          cwd=backend["workdir"], timeout=60)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    return proc.returncode, out, err, al.parse_runner(proc.returncode, out, err)


def _no_secret(*texts):
    for text in texts:
        for secret in (PASSWORD, QUOTED, "postgres:" + QUOTED):
            assert secret not in text


def test_state_reads_current_heads_history(backend):
    rc, out, err, res = _run(backend, ["state"])
    assert rc == 0 and res["ok"], res
    assert res["current"] == ["enum_checks_2025"] and res["heads"] == ["progress_index_2026"]
    assert [e["revision"] for e in res["history"]] == ["enum_checks_2025", "progress_index_2026"]
    assert res["url"] == "postgresql+asyncpg://***@postgres:5432/bookreader_dev?ssl=disable"
    assert "in %s" % backend["workdir"] in res["output"]
    _no_secret(out, err, json.dumps(res))


def test_database_rewrite_keeps_driver_host_and_query(backend):
    rc, out, err, res = _run(backend, ["state"], database="bookreader_dev__restore")
    assert res["database"] == "bookreader_dev__restore"
    assert res["url"] == "postgresql+asyncpg://***@postgres:5432/bookreader_dev__restore?ssl=disable"
    assert "with postgresql+asyncpg://" not in res["output"]  # the whole URL is replaced...
    assert "with *** in" in res["output"]
    _no_secret(out, err, json.dumps(res))


def test_failed_upgrade_is_named_and_redacted(backend):
    rc, out, err, res = _run(backend, ["upgrade", "head"])
    assert rc == 1 and res["problem"] == "alembic"
    assert res["failed_revision"] == "progress_index_2026"
    assert res["error"] == 'psycopg2.errors.DuplicateTable: relation "i" already exists'
    assert res["previous"] == ["enum_checks_2025"] and res["current"] == ["enum_checks_2025"]
    assert "(password ***)" in res["output"]
    _no_secret(out, err, json.dumps(res))


@pytest.mark.parametrize("url, shown", [
    ("postgresql://app:%s@db/x" % PASSWORD, "postgresql://***@db/x"),
    ("postgresql://app@db:5433/x", "postgresql://***@db:5433/x"),
    ("postgresql://db/x", "postgresql://db/x"),
])
def test_urls_of_other_shapes(backend, url, shown):
    rc, out, err, res = _run(backend, ["state"], env={"DATABASE_URL": url, "FAKE_PASSWORD": PASSWORD})
    assert res["ok"], res
    assert res["url"] == shown
    _no_secret(out, err, json.dumps(res))


def test_unset_url_variable(backend):
    rc, out, err, res = _run(backend, ["state"], url_variable="APP_DB_URL")
    assert res["problem"] == "no_url" and "APP_DB_URL" in res["error"]
    assert "no APP_DB_URL" in al.describe_problem(res, "be", url_variable="APP_DB_URL")


def test_url_that_is_not_one(backend):
    rc, out, err, res = _run(backend, ["state"], env={"DATABASE_URL": PASSWORD})
    assert res["problem"] == "bad_url"
    _no_secret(out, err, json.dumps(res))


def test_no_alembic_on_the_path(backend):
    rc, out, err, res = _run(backend, ["state"], path=False)
    assert res["problem"] == "no_alembic" and "PATH=/usr/bin:/bin" in res["error"]


def test_timeout_ends_alembic(backend):
    rc, out, err, res = _run(backend, ["upgrade", "head"], env={"FAKE_SLEEP": "30"}, timeout=1)
    assert rc == 124 and res["problem"] == "timeout" and res["timed_out"]


def test_writes_nothing(backend, tmp_path):
    before = sorted(os.listdir(backend["workdir"]))
    _run(backend, ["upgrade", "head"])
    assert sorted(os.listdir(backend["workdir"])) == before == []
