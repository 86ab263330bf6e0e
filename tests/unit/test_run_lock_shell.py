"""Filters run_lock_key and run_lock_shell: the run lock taken from a job that runs without Ansible.

The shell is run for real with /bin/sh (and checked with bash -n, since the
matview cron script is bash), next to holders taken with run_lock's own
acquire script, in a directory under pytest's tmp_path. Every holder started
here is ended.
"""

import os
import shutil
import signal
import subprocess
import time

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.filter import run_lock as F
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _run_lock as L

HAVE_TOOLS = all(shutil.which(t) for t in ("flock", "setsid", "sed", "grep", "tr", "date", "sleep"))
needs_tools = pytest.mark.skipif(not HAVE_TOOLS, reason="flock/setsid (util-linux) not installed")

RUN_NAME = "/usr/local/sbin/db_runbooks_matview_refresh_pg_db (the scheduled matview refresh)"
HOLDER = dict(playbook="/srv/playbooks/restore.yml", ansible_pid="4242", user="root", controller="ops1",
              since="2026-11-25T03:00:00Z", mode="exclusive", holder_pid="777", watch_pid="4242")


def _sh(block, commands, timeout=60):
    """Run *block* then *commands* with /bin/sh; returns (rc, stdout, stderr)."""
    res = subprocess.run(["/bin/sh", "-c", block + "\n" + commands], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout)
    return res.returncode, res.stdout, res.stderr


def _vars(out):
    """NAME=value lines printed by _TAKE."""
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


# Take the lock, print what the script reads afterwards.
_TAKE = """run_lock_take %s
echo "rc=$?"
echo "RUN_LOCK_RC=$RUN_LOCK_RC"
echo "RUN_LOCK_STATUS=$RUN_LOCK_STATUS"
echo "RUN_LOCK_FILE=$RUN_LOCK_FILE"
echo "RUN_LOCK_WAITED=$RUN_LOCK_WAITED"
echo "RUN_LOCK_HOLDERS=$RUN_LOCK_HOLDERS"
echo "RUN_LOCK_MESSAGE=$RUN_LOCK_MESSAGE"
"""


# --- pure parts ---------------------------------------------------------------

@pytest.mark.parametrize("container, database", [
    ("fancai-vibe-hackathon-postgres-1", "bookreader_dev"),
    ("c" * 200, "d" * 63),
])
def test_key_is_run_locks_own(container, database):
    assert F.run_lock_key(container, database) == L.lock_key(container, database)


@pytest.mark.parametrize("container, database, word", [
    ("bad name", "db", "container"),
    ("pg", "Bad-DB", "database"),
    ("pg", None, "database"),
])
def test_key_refuses_bad_names(container, database, word):
    with pytest.raises(AnsibleFilterError, match=word):
        F.run_lock_key(container, database)


@pytest.mark.parametrize("kwargs, word", [
    (dict(mode="write"), "mode='write'"),
    (dict(lock_dir="relative/dir"), "lock_dir='relative/dir'"),
    (dict(lock_dir="/a\nb"), "lock_dir="),
    (dict(run_name=" "), "run_name=' '"),
])
def test_shell_refuses_bad_arguments(kwargs, word):
    args = dict(run_name=RUN_NAME)
    args.update(kwargs)
    with pytest.raises(AnsibleFilterError, match=word):
        F.run_lock_shell("pg", "db", **args)


def test_holder_format_is_describe_holders_own_wording():
    fmt, fields = F.holder_format()
    assert fmt == "%s (pid %s, %s, host %s) since %s, mode %s"
    assert [f for f, _ in fields] == ["playbook", "ansible_pid", "user", "controller", "since", "mode"]
    assert dict(fields)["playbook"] == "an unnamed run" and dict(fields)["user"] == "?"


@pytest.mark.parametrize("shell", ["/bin/sh", "bash"])
def test_shell_parses(shell):
    if not shutil.which(shell):
        pytest.skip("%s not installed" % shell)
    block = F.run_lock_shell("pg", "db", RUN_NAME, lock_dir="/tmp/x y", advice="Raise it.")
    res = subprocess.run([shell, "-n"], input=block, universal_newlines=True, stderr=subprocess.PIPE)
    assert res.returncode == 0, res.stderr
    # Pasted into a Jinja template's output, nothing in it reads as Jinja.
    assert not any(d in block for d in ("{{", "{%", "{#"))


def test_shell_carries_run_locks_scripts_and_key():
    block = F.run_lock_shell("pg", "db", RUN_NAME)
    for script in (L.ACQUIRE_SCRIPT, L.HOLDER_SCRIPT, L.RELEASE_SCRIPT):
        assert script.strip().splitlines()[-1] in block
    assert "RUN_LOCK_KEY=pg@db\n" in block
    assert "RUN_LOCK_DIR=''\n" in block, "no directory given: run_lock's own rule applies"


# --- the shell's words are run_lock's -----------------------------------------

def _parse_only(block, acquire_output):
    """Feed the parser an acquire script's answer; print the holders and the unwatched advice."""
    return _sh(block, "run_lock_parse %s\nprintf '%%s\\n' \"$RUN_LOCK_HOLDERS\" \"$run_lock_limits\" \"$run_lock_kills\""
               % _quote(acquire_output))


def _quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def _answer(*holders):
    out = ["DIR /d", "STATUS busy 0"]
    for alive, fields in holders:
        out.append("INFO %d /d/pg@db.%s.info" % (1 if alive else 0, "a" * 16))
        out.extend("%s=%s" % kv for kv in fields.items())
        out += ["", "END"]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("fields", [
    HOLDER,
    dict(HOLDER, playbook="/srv/a 100% b\\n.yml", user="o'brien"),
    dict(mode="shared"),
    {},
])
def test_a_holder_is_described_as_describe_holder_does(fields):
    block = F.run_lock_shell("pg", "db", RUN_NAME)
    rc, out, err = _parse_only(block, _answer((True, fields)))
    assert rc == 0, err
    assert out.splitlines()[0] == L.describe_holder(fields)


def test_only_live_holders_are_named_and_each_once():
    block = F.run_lock_shell("pg", "db", RUN_NAME)
    second = dict(HOLDER, playbook="/srv/verify.yml", mode="shared")
    rc, out, _ = _parse_only(block, _answer((True, HOLDER), (False, dict(HOLDER, playbook="gone.yml")),
                                            (True, second)))
    assert out.splitlines()[0] == "%s; %s" % (L.describe_holder(HOLDER), L.describe_holder(second))


def test_first_value_of_a_field_wins_as_in_parse_info():
    block = F.run_lock_shell("pg", "db", RUN_NAME)
    answer = _answer((True, HOLDER)).replace("mode=exclusive\n", "mode=exclusive\nmode=shared\n")
    assert L.parse_output(answer)["infos"][0]["fields"]["mode"] == "exclusive"
    _, out, _ = _parse_only(block, answer)
    assert out.splitlines()[0] == L.describe_holder(HOLDER)


def test_message_opens_and_ends_as_busy_messages_do():
    remote = dict(HOLDER, watch_pid="", max_seconds="21600")
    block = F.run_lock_shell("pg", "bookreader_dev", RUN_NAME, advice="Raise matview_refresh_run_lock_wait.")
    expected = L.busy_message("pg", "bookreader_dev", "shared", 30, "30", [dict(alive=True, fields=remote)])
    script = ("run_lock_parse %s\nRUN_LOCK_STATUS=busy\n" % _quote(_answer((True, remote))))
    # The message as run_lock_take words it, from the parsed answer (no real lock needed).
    rc, out, err = _sh(block, script + 'printf "$RUN_LOCK_BUSY_FORMAT" "$RUN_LOCK_HOLDERS" '
                       '"$(printf "$RUN_LOCK_WAITED_FORMAT" 30)"; '
                       'printf "$RUN_LOCK_UNWATCHED_FORMAT" "$run_lock_limits" "$run_lock_kills"')
    assert rc == 0, err
    opening = expected.split("; this run asked for")[0]
    assert out.startswith(opening + "; this scheduled run asked for a shared lock after waiting 30 s. "
                          "It runs again at its next scheduled time. Raise matview_refresh_run_lock_wait. "
                          "Nothing was touched.")
    assert out.endswith(expected.split("Nothing was touched.", 1)[1]), "the remote holder's advice is run_lock's"
    assert "kill 777" in out and "at most 21600 s (2026-11-25T03:00:00Z)" in out


def test_printf_sensitive_names_are_escaped():
    block = F.run_lock_shell("pg", "db", RUN_NAME, advice="100% sure \\n.")
    rc, out, _ = _sh(block, 'printf "$RUN_LOCK_BUSY_FORMAT" who ""')
    assert rc == 0
    assert out.endswith("It runs again at its next scheduled time. 100% sure \\n. Nothing was touched.")


# --- for real, next to run_lock's own holders ------------------------------------

class Locks:
    """Holders taken with run_lock's acquire script, as the action plugin takes them."""

    def __init__(self, lock_dir):
        self.dir = lock_dir
        self.pids = []

    def hold(self, tag, mode, watch, playbook="/srv/playbooks/restore.yml"):
        info = L.info_text(dict(mode=mode, playbook=playbook, ansible_pid=watch, user="u", controller="ctl",
                                since="2026-11-25T03:00:00Z", watch_pid=watch, max_seconds=""))
        res = subprocess.run(L.acquire_argv("pg@db", mode, 0, tag * 16, watch, 60, info, self.dir),
                             stdout=subprocess.PIPE, universal_newlines=True, timeout=30)
        out = L.parse_output(res.stdout)
        out["rc"] = res.returncode
        if out["status"] == "acquired":
            self.pids.append(int(out["infos"][0]["fields"]["holder_pid"]))
        return out

    def free(self):
        return subprocess.run(["flock", "-x", "-n", os.path.join(self.dir, "pg@db.lock"), "true"]).returncode == 0

    def infos(self):
        return sorted(f for f in os.listdir(self.dir) if f.endswith(".info"))


@pytest.fixture
def locks(tmp_path):
    lk = Locks(str(tmp_path / "locks"))
    yield lk
    for pid in lk.pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture
def run_process():
    procs = []

    def start():
        p = subprocess.Popen(["sleep", "60"])
        procs.append(p)
        return p

    yield start
    for p in procs:
        p.kill()
        p.wait()


def _wait_until(check, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if check():
            return True
        time.sleep(0.05)
    return check()


@needs_tools
def test_an_exclusive_holder_keeps_it_out_after_the_wait_naming_the_holder(locks, run_process):
    p = run_process()
    held = locks.hold("a", "exclusive", p.pid)
    assert held["status"] == "acquired"
    block = F.run_lock_shell("pg", "db", RUN_NAME, lock_dir=locks.dir, advice="Raise x.")
    start = time.time()
    rc, out, err = _sh(block, _TAKE % 1)
    v = _vars(out)
    assert time.time() - start >= 1, "it waited"
    assert v["rc"] == "75" and v["RUN_LOCK_STATUS"] == "busy", out + err
    fields = held["infos"][0]["fields"]
    assert v["RUN_LOCK_HOLDERS"] == L.describe_holder(fields)
    assert v["RUN_LOCK_MESSAGE"] == (
        "another run is in progress on pg/db: %s; this scheduled run asked for a shared lock after waiting %s s. "
        "It runs again at its next scheduled time. Raise x. Nothing was touched."
        % (L.describe_holder(fields), v["RUN_LOCK_WAITED"]))
    assert v["RUN_LOCK_WAITED"] in ("1", "2")
    assert locks.infos() == ["pg@db.%s.info" % ("a" * 16)], "a refused run leaves no info file"


@needs_tools
def test_without_waiting_the_message_says_no_wait(locks, run_process):
    p = run_process()
    assert locks.hold("a", "exclusive", p.pid)["status"] == "acquired"
    _, out, _ = _sh(F.run_lock_shell("pg", "db", RUN_NAME, lock_dir=locks.dir), _TAKE % 0)
    v = _vars(out)
    assert v["rc"] == "75"
    assert "asked for a shared lock. It runs again" in v["RUN_LOCK_MESSAGE"]


@needs_tools
def test_shared_holders_let_it_in_and_an_exclusive_run_then_names_it(locks, run_process):
    p = run_process()
    assert locks.hold("a", "shared", p.pid, playbook="/srv/playbooks/verify.yml")["status"] == "acquired"
    block = F.run_lock_shell("pg", "db", RUN_NAME, lock_dir=locks.dir)
    # The script holds the lock until told to go on (a file), as the cron script holds it while it refreshes.
    go = os.path.join(os.path.dirname(locks.dir), "go")
    script = subprocess.Popen(["/bin/sh", "-c", block + "\n" + _TAKE % 0 + 'while [ ! -e "$1" ]; do sleep 0.05; done\n'
                               "run_lock_release\necho released", "sh", go],
                              stdout=subprocess.PIPE, universal_newlines=True)
    try:
        assert _wait_until(lambda: len(locks.infos()) == 2, 10), "the scheduled run took the lock beside verify"
        q = run_process()
        busy = locks.hold("b", "exclusive", q.pid)
        assert busy["status"] == "busy"
        live = [i["fields"] for i in busy["infos"] if i["alive"]]
        mine = [f for f in live if f["playbook"] == RUN_NAME]
        assert len(live) == 2 and len(mine) == 1, live
        assert mine[0]["mode"] == "shared" and mine[0]["ansible_pid"] == str(script.pid)
        assert mine[0]["watch_pid"] == str(script.pid) and mine[0]["holder_pid"]
        msg = L.busy_message("pg", "db", "exclusive", 0, "0", busy["infos"])
        assert RUN_NAME + " (pid %d, " % script.pid in msg
        open(go, "w").close()
        out, _ = script.communicate(timeout=30)
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
    v = _vars(out)
    assert v["rc"] == "0" and v["RUN_LOCK_STATUS"] == "acquired" and v["RUN_LOCK_WAITED"] == "0"
    assert v["RUN_LOCK_FILE"] == os.path.join(locks.dir, "pg@db.lock")
    assert out.rstrip().endswith("released")
    assert locks.infos() == ["pg@db.%s.info" % ("a" * 16)], "release removed only the script's own info file"


@needs_tools
def test_it_gets_the_lock_when_the_holder_ends_within_the_wait(locks, run_process):
    p = run_process()
    assert locks.hold("a", "exclusive", p.pid)["status"] == "acquired"
    subprocess.Popen(["/bin/sh", "-c", "sleep 1; kill %d" % p.pid])
    rc, out, _ = _sh(F.run_lock_shell("pg", "db", RUN_NAME, lock_dir=locks.dir), _TAKE % 10)
    v = _vars(out)
    assert v["rc"] == "0" and v["RUN_LOCK_MESSAGE"] == ""
    assert 1 <= int(v["RUN_LOCK_WAITED"]) <= 4


@needs_tools
def test_the_lock_ends_with_the_script_even_unreleased(locks):
    block = F.run_lock_shell("pg", "db", RUN_NAME, lock_dir=locks.dir)
    rc, out, _ = _sh(block, _TAKE % 0 + "exit 0")
    assert _vars(out)["rc"] == "0"
    assert _wait_until(locks.free, 3), "the holder outlived the script"
    assert _wait_until(lambda: not locks.infos(), 3), "the holder removes the info file"


@needs_tools
def test_a_holder_without_an_info_file_is_pointed_at(locks, run_process):
    os.makedirs(locks.dir, mode=0o700)
    lock = os.path.join(locks.dir, "pg@db.lock")
    raw = subprocess.Popen(["flock", "-x", lock, "sleep", "30"])
    try:
        assert _wait_until(lambda: not locks.free(), 5)
        _, out, _ = _sh(F.run_lock_shell("pg", "db", RUN_NAME, lock_dir=locks.dir), _TAKE % 0)
        v = _vars(out)
        assert v["rc"] == "75" and v["RUN_LOCK_HOLDERS"] == ""
        assert ("a holder that has not written who it is yet (lock file %s; `fuser -v %s` on the docker host "
                "names it)" % (lock, lock)) in v["RUN_LOCK_MESSAGE"]
    finally:
        raw.kill()
        raw.wait()


@needs_tools
def test_a_lock_directory_that_is_a_link_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "locks"
    link.symlink_to(target)
    _, out, _ = _sh(F.run_lock_shell("pg", "db", RUN_NAME, lock_dir=str(link)), _TAKE % 0)
    v = _vars(out)
    assert v["rc"] == str(L.RC_UNUSABLE) and v["RUN_LOCK_STATUS"] == "unusable"
    assert v["RUN_LOCK_MESSAGE"].startswith("the lock directory %s is not usable by this user (" % link)
    assert "db_runbooks_lock_dir" in v["RUN_LOCK_MESSAGE"]
    assert not os.listdir(str(target))


@needs_tools
def test_a_missing_tool_is_named(tmp_path):
    # A PATH with everything the acquire script needs but setsid.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("flock", "sed", "grep", "tr", "date", "sleep", "id", "uname", "mkdir", "chmod", "cat", "ls",
                 "head", "rm", "mv"):
        path = shutil.which(tool)
        if path:
            os.symlink(path, str(bin_dir / tool))
    block = F.run_lock_shell("pg", "db", RUN_NAME, lock_dir=str(tmp_path / "locks"))
    _, out, _ = _sh(block, "PATH=%s\n" % bin_dir + _TAKE % 0)
    v = _vars(out)
    assert v["RUN_LOCK_STATUS"] == "missing" and v["rc"] == str(L.RC_MISSING_TOOL)
    assert v["RUN_LOCK_MESSAGE"].startswith("setsid is not installed on this docker host")
