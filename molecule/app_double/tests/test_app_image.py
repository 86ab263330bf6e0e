"""The application's PostgreSQL image has no bash (postgres:15.7-alpine has none); the
offline variant has nothing but /bin/sh and PostgreSQL, so no GNU tool either."""

import shlex

import pytest

OFFLINE_IMAGE = "fancai-db-runbooks/postgres-sh:15"
# Tools a runbook could be tempted to run inside the container.
TOOLS = ["bash", "timeout", "flock", "sha256sum", "md5sum", "tee", "awk", "sed", "grep", "gzip",
         "gunzip", "zcat", "tar", "cat", "ls", "rm", "mv", "cp", "mkdir", "chmod", "chown", "date",
         "sleep", "mktemp", "stat", "head", "tail", "wc", "sort", "find", "xargs", "env", "id",
         "ps", "kill", "setpriv", "su", "gosu"]


def _exec(host, container, *argv):
    return host.run("docker exec %s %s" % (shlex.quote(container), " ".join(shlex.quote(a) for a in argv)))


@pytest.fixture(scope="module")
def pg_container(inventory_vars):
    return inventory_vars["db_runbooks_container"]


def test_container_runs_the_app_image(host, inventory_vars, pg_container):
    image = host.check_output("docker inspect --format '{{.Config.Image}}' %s", pg_container)
    assert image == inventory_vars["db_runbooks_test_app_image"]


def test_bash_cannot_be_executed(host, pg_container):
    res = _exec(host, pg_container, "bash", "-c", "true")
    assert res.rc in (126, 127)
    assert "executable file not found" in res.stdout + res.stderr


def test_sh_finds_no_bash(host, pg_container):
    res = _exec(host, pg_container, "/bin/sh", "-c", "command -v bash")
    assert res.rc != 0 and res.stdout == ""


def test_no_tool_beyond_sh_in_the_offline_image(host, inventory_vars, pg_container):
    if inventory_vars["db_runbooks_test_app_image"] != OFFLINE_IMAGE:
        pytest.skip("busybox provides these in %s" % inventory_vars["db_runbooks_test_app_image"])
    # command -v prints a path for a file, the bare name for a shell builtin (kill, test, ...).
    script = 'for t in %s; do case "$(command -v "$t")" in /*) echo "FOUND $t";; esac; done' % " ".join(TOOLS)
    res = _exec(host, pg_container, "/bin/sh", "-c", script)
    assert res.rc == 0, res.stderr
    assert "FOUND" not in res.stdout, res.stdout


def test_postgresql_binaries_are_on_path(host, pg_container):
    for binary in ("psql", "pg_dump", "pg_restore", "pg_isready", "pg_dumpall"):
        res = _exec(host, pg_container, binary, "--version")
        assert res.rc == 0 and "15." in res.stdout, (binary, res.stderr)


def test_server_is_postgresql_15(pg):
    assert str(pg.value("SELECT current_setting('server_version_num')")).startswith("15")


def test_server_runs_as_postgres(host, pg_container):
    # uid 999 in the offline image (as in Debian's packages), 70 in postgres:*-alpine.
    rows = host.check_output("docker top %s -o pid,uid", pg_container).splitlines()[1:]
    uids = [row.split()[1] for row in rows]
    assert uids and len(set(uids)) == 1 and uids[0] in {"999", "70"}, uids
