"""Helpers of the run-lock tests: the cron line run as cron runs it, its log, and other runbooks holding the lock.

Another runbook is hold_lock.yml, started for real with the venv's
ansible-playbook: it takes the run lock with fancai.db_runbooks.run_lock (as a
restore, exclusive, or a verify, shared) and keeps it until told to stop.
"""

import datetime
import glob
import os
import re
import shlex
import subprocess
import sys
import time

SCENARIO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ROOT = os.path.abspath(os.path.join(SCENARIO, "..", ".."))
HOLD = os.path.join(SCENARIO, "hold_lock.yml")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
# What Debian's cron gives a job: nothing of the caller's environment.
CRON_ENV = "env -i HOME=/root LOGNAME=root SHELL=/bin/sh PATH=/usr/bin:/bin"
LINE_RE = re.compile(r"^(?P<ts>\S+) \[(?P<pid>\d+)\] (?P<msg>.*)$")
SINCE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
# Where run_lock puts its files on this docker host (its default, or its fallback).
LOCK_DIRS = ("/run/lock/db_runbooks", "/tmp/db_runbooks-locks-%d" % os.getuid())


def cron_command(host, inventory_vars):
    """The command of the schedule's one cron line."""
    content = host.file(inventory_vars["matview_refresh_cron_file"]).content_string
    entries = [line for line in content.splitlines() if line.strip() and not line.startswith("#")]
    assert len(entries) == 1, "expected one cron entry, got %r" % content
    return entries[0].split(None, 6)[6]


def as_cron(command):
    """The shell line that runs *command* the way cron does: /bin/sh -c, minimal environment, from /."""
    return "cd / && %s /bin/sh -c %s" % (CRON_ENV, shlex.quote(command))


def run_timed(command):
    """Run a shell line on this docker host; returns (rc, stdout, stderr, seconds)."""
    started = time.time()
    res = subprocess.run(["/bin/sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, timeout=120)
    return res.returncode, res.stdout, res.stderr, time.time() - started


class Log:
    """The schedule's log: lines after a mark, by run (pid)."""

    def __init__(self, path):
        self.path = path
        self.start = self._count()

    def _lines(self):
        if not os.path.exists(self.path):
            return []
        with open(self.path) as f:
            return f.read().splitlines()

    def _count(self):
        return len(self._lines())

    def mark(self):
        self.start = self._count()

    def messages(self):
        """[(pid, message)] logged since the mark."""
        out = []
        for line in self._lines()[self.start:]:
            m = LINE_RE.match(line)
            assert m, "unparsable log line %r" % line
            datetime.datetime.strptime(m.group("ts"), "%Y-%m-%dT%H:%M:%S.%f%z")
            out.append((int(m.group("pid")), m.group("msg")))
        return out

    def one_run(self):
        """The messages of the one run logged since the mark."""
        msgs = self.messages()
        pids = sorted(set(p for p, _ in msgs))
        assert len(pids) == 1, "expected one run since the mark, got %r" % msgs
        return [m for _, m in msgs]


def infos(container, database="bookreader_dev"):
    """The run lock's info files for the container and database: [(path, fields)]."""
    out = []
    for d in LOCK_DIRS:
        for path in sorted(glob.glob(os.path.join(d, "%s@%s.*.info" % (container, database)))):
            try:
                with open(path) as f:
                    out.append((path, dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)))
            except IOError:
                pass
    return out


def alive(pid):
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def lock_free(path):
    """True when an exclusive flock on *path* succeeds at once (nobody holds the lock)."""
    return subprocess.run(["flock", "--exclusive", "--nonblock", path, "true"]).returncode == 0


def wait_for(predicate, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


class Holder:
    """hold_lock.yml in the background: the run lock on bookreader_dev, in *mode*, until released."""

    def __init__(self, container, mode, tmp):
        self.container = container
        self.mode = mode
        self.release_file = os.path.join(str(tmp), "release-%s" % mode)
        self.log = os.path.join(str(tmp), "hold-%s.log" % mode)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
        env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
                   ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [ANSIBLE_PLAYBOOK, HOLD, "-e", "db_runbooks_container=%s" % container,
                 "-e", "matview_hold_mode=%s" % mode, "-e", "matview_hold_release=%s" % self.release_file],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, universal_newlines=True)
        deadline = time.time() + 90
        while time.time() < deadline:
            mine = [(p, i) for p, i in infos(container)
                    if i.get("ansible_pid") == str(self.proc.pid) and i.get("holder_pid")]
            if mine:
                self.info_path, self.info = mine[0]
                return
            assert self.proc.poll() is None, "hold_lock.yml ended early: %s" % self.output()
            time.sleep(0.2)
        raise AssertionError("hold_lock.yml did not take the lock: %s" % self.output())

    def output(self):
        with open(self.log) as f:
            return f.read()

    def release(self):
        """Let the playbook end, and wait until its holder has given the lock back."""
        open(self.release_file, "w").close()
        self.proc.wait(timeout=60)
        assert self.proc.returncode == 0, self.output()
        wait_for(lambda: not alive(self.info["holder_pid"]), "the holder of hold_lock.yml to end", 30)

    def end(self):
        """Let the playbook end (killed if it does not), and wait until its holder has given the lock back.

        The holder outlives the playbook by up to its poll interval: the next test must not find it.
        """
        open(self.release_file, "w").close()
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "info", None):
            wait_for(lambda: not alive(self.info["holder_pid"]), "the holder of hold_lock.yml to end", 30)
