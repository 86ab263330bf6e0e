"""Runs that overlap, started for real: the playbooks as an operator runs them, side by side.

Each playbook runs with the venv's ansible-playbook and the repository's
ansible.cfg against the scenario's container. hold.yml stands for a restore in
the middle of its work: it takes the exclusive lock through the preflight role
and waits for a file. The tests run in file order.
"""

import getpass
import glob
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
HOLD = os.path.join(ROOT, "molecule", "locking", "hold.yml")
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/tmp")
BACKUPS = os.path.join(EPHEMERAL, "backups")
SINCE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
NAME_42 = "bookreader_" + "x" * 31
NAME_43 = "bookreader_" + "x" * 32


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return env


def _argv(book, container, extra):
    argv = [ANSIBLE_PLAYBOOK, book, "-e", "db_runbooks_container=%s" % container,
            "-e", "db_runbooks_backup_dir=%s" % BACKUPS]
    for item in extra:
        argv += ["-e", item]
    return argv


def run(book, container, *extra):
    """Run a playbook to its end; returns (rc, output with the callback's line folding undone)."""
    res = subprocess.run(_argv(book, container, extra), cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
    return res.returncode, " ".join(res.stdout.split())


def start(book, container, log, *extra):
    """Start a playbook in the background, its output into *log*."""
    with open(log, "w") as out:
        return subprocess.Popen(_argv(book, container, extra), cwd=ROOT, env=_env(), stdout=out,
                                stderr=subprocess.STDOUT, universal_newlines=True)


def finish(proc, log, timeout=300):
    proc.wait(timeout=timeout)
    with open(log) as f:
        return proc.returncode, " ".join(f.read().split())


def infos(container, database="bookreader_dev"):
    """The lock's info files on this docker host, as dicts."""
    out = []
    for d in ("/run/lock/db_runbooks", "/tmp/db_runbooks-locks-%d" % os.getuid()):
        for path in glob.glob(os.path.join(d, "%s@%s.*.info" % (container, database))):
            try:
                with open(path) as f:
                    out.append(dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line))
            except IOError:
                pass
    return out


def lock_file(container, database="bookreader_dev"):
    for d in ("/run/lock/db_runbooks", "/tmp/db_runbooks-locks-%d" % os.getuid()):
        path = os.path.join(d, "%s@%s.lock" % (container, database))
        if os.path.exists(path):
            return path
    raise AssertionError("no lock file for %s/%s" % (container, database))


def lock_free(container, database="bookreader_dev"):
    return subprocess.run(["flock", "--exclusive", "--nonblock", lock_file(container, database), "true"]).returncode == 0


class Holder:
    """hold.yml in the background: the exclusive lock on bookreader_dev until released or killed."""

    def __init__(self, container, tmp):
        self.container = container
        self.release_file = os.path.join(str(tmp), "release")
        self.log = os.path.join(str(tmp), "hold.log")
        self.proc = start(HOLD, container, self.log, "lock_test_release=%s" % self.release_file)
        end = time.time() + 90
        while time.time() < end:
            mine = [i for i in infos(container) if i.get("ansible_pid") == str(self.proc.pid) and i.get("holder_pid")]
            if mine:
                self.info = mine[0]
                return
            assert self.proc.poll() is None, "hold.yml ended early: %s" % open(self.log).read()
            time.sleep(0.2)
        raise AssertionError("hold.yml did not take the lock: %s" % open(self.log).read())

    def release(self):
        open(self.release_file, "w").close()
        return finish(self.proc, self.log, timeout=60)

    def kill(self):
        """SIGKILL ansible-playbook (reaped at once, as a shell would), then let its orphaned worker end."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        killed = time.time()
        return killed

    def end(self):
        open(self.release_file, "w").close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def holder(inventory_vars, tmp_path):
    h = Holder(inventory_vars["db_runbooks_container"], tmp_path)
    yield h
    h.end()


def _in_the_way(container, pid):
    """The refusal's wording, naming hold.yml and this host."""
    return re.compile(
        r"another run is in progress on %s/bookreader_dev: %s \(pid %d, %s, host %s\) since %s, mode exclusive;"
        % (re.escape(container), re.escape(HOLD), pid, re.escape(getpass.getuser()),
           re.escape(socket.gethostname()), SINCE))


def _dumps(database="bookreader_dev"):
    return sorted(glob.glob(os.path.join(BACKUPS, database, "**", "*.dump"), recursive=True))


def test_two_verifies_at_once_both_pass(inventory_vars, tmp_path):
    c = inventory_vars["db_runbooks_container"]
    logs = [str(tmp_path / ("verify%d.log" % i)) for i in (1, 2)]
    procs = [start("playbooks/verify.yml", c, log) for log in logs]
    results = [finish(p, log) for p, log in zip(procs, logs)]
    for rc, out in results:
        assert rc == 0, out[-3000:]
        assert "failed=0" in out


def test_nothing_runs_next_to_an_exclusive_holder(inventory_vars, pg, holder, tmp_path):
    c = inventory_vars["db_runbooks_container"]
    users = pg.value("SELECT count(*) FROM users")
    databases = pg.databases()
    dumps = _dumps()
    in_the_way = _in_the_way(c, holder.proc.pid)
    assert re.match(SINCE, holder.info["since"]) and holder.info["mode"] == "exclusive"

    rc, out = run("playbooks/backup.yml", c)
    assert rc != 0
    assert in_the_way.search(out), out[-3000:]
    assert "this run asked for a shared lock." in out
    assert "Nothing was touched." in out

    rc, out = run("playbooks/restore.yml", c, "db_runbooks_recreate=true", "db_runbooks_confirm_destroy=bookreader_dev")
    assert rc != 0
    assert in_the_way.search(out), out[-3000:]
    assert "this run asked for an exclusive lock." in out

    rc, out = run("playbooks/verify.yml", c)
    assert rc != 0
    assert in_the_way.search(out), out[-3000:]

    assert _dumps() == dumps, "a refused backup or restore wrote a dump"
    assert pg.databases() == databases, "a refused run created or dropped a database"
    assert pg.value("SELECT count(*) FROM users") == users

    # A backup told to wait starts once the holder ends.
    log = str(tmp_path / "backup.log")
    waiting = start("playbooks/backup.yml", c, log, "db_runbooks_lock_wait=60")
    time.sleep(4)
    assert waiting.poll() is None, "the backup did not wait: %s" % open(log).read()
    assert _dumps() == dumps
    rc, out = holder.release()
    assert rc == 0, out[-2000:]
    rc, out = finish(waiting, log)
    assert rc == 0, out[-3000:]
    assert len(_dumps()) == len(dumps) + 1


def test_a_killed_holder_frees_the_lock_within_two_seconds(inventory_vars, holder):
    c = inventory_vars["db_runbooks_container"]
    assert not lock_free(c)
    killed = holder.kill()
    while not lock_free(c) and time.time() - killed < 5:
        time.sleep(0.05)
    freed = time.time() - killed
    assert freed < 2.0, "the lock was held %.1f s after ansible-playbook was killed" % freed
    assert not [i for i in infos(c) if i.get("ansible_pid") == str(holder.proc.pid)], "stale info file left"
    rc, out = run("playbooks/verify.yml", c)
    assert rc == 0, out[-3000:]


@pytest.mark.parametrize("book, extra", [
    ("playbooks/restore.yml", ["db_runbooks_confirm_destroy=" + NAME_43]),
    ("playbooks/verify.yml", []),
    ("playbooks/backup.yml", []),
])
def test_a_43_character_name_is_refused_before_anything_is_touched(inventory_vars, pg, book, extra):
    c = inventory_vars["db_runbooks_container"]
    databases = pg.databases()
    rc, out = run(book, c, "db_runbooks_database=" + NAME_43, *extra)
    assert rc != 0
    assert ("database name '%s' is 43 characters; the collection appends '__old_YYYYMMDD_HHMMSS' (21) to it "
            "during a restore, so at most 42 fit PostgreSQL's 63" % NAME_43) in out, out[-3000:]
    assert "Nothing was touched." in out
    assert pg.databases() == databases, "databases were created or dropped"
    assert not os.path.exists(os.path.join(BACKUPS, NAME_43))
    assert not infos(c, NAME_43), "a lock was taken for a name that was refused"


def test_a_42_character_name_is_restored_and_rebuilt(inventory_vars, pg):
    c = inventory_vars["db_runbooks_container"]
    rc, out = run("playbooks/restore.yml", c, "db_runbooks_database=" + NAME_42)
    assert rc == 0, out[-3000:]
    assert NAME_42 in pg.databases()
    # The rebuild is where the longest suffix is appended (the old database kept aside).
    rc, out = run("playbooks/restore.yml", c, "db_runbooks_database=" + NAME_42, "db_runbooks_recreate=true",
                  "db_runbooks_confirm_destroy=" + NAME_42)
    assert rc == 0, out[-3000:]
    assert pg.value("SELECT count(*) FROM alembic_version", NAME_42) == 1
