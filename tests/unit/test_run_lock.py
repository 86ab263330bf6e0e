"""The run lock: its pure helpers, and its shell run for real with /bin/sh and flock.

The shell tests use a directory of their own under pytest's tmp_path, never
/run/lock/db_runbooks, and end every holder they start.
"""

import os
import shutil
import signal
import subprocess
import time

import pytest

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _run_lock as L

HAVE_TOOLS = all(shutil.which(t) for t in ("flock", "setsid", "sed", "grep", "tr", "date", "sleep"))
needs_tools = pytest.mark.skipif(not HAVE_TOOLS, reason="flock/setsid (util-linux) not installed")


# --- pure helpers -------------------------------------------------------------

@pytest.mark.parametrize("container, database, expected", [
    ("fancai-vibe-hackathon-postgres-1", "bookreader_dev", "fancai-vibe-hackathon-postgres-1@bookreader_dev"),
    ("pg.1", "db", "pg.1@db"),
    ("a-", "b", "a-@b"),
])
def test_lock_key_plain(container, database, expected):
    assert L.lock_key(container, database) == expected


def test_lock_keys_never_collide_across_the_separator():
    assert L.lock_key("a-", "b") != L.lock_key("a", "-b")
    assert L.lock_key("a", "b_c") != L.lock_key("a_b", "c")


def test_long_key_is_shortened_with_a_digest():
    long_container = "c" * 250
    key = L.lock_key(long_container, "d" * 63)
    assert len(key) <= 160
    assert key.startswith("c" * 100)
    assert key != L.lock_key(long_container, "e" * 63)


def test_unsafe_characters_are_replaced_and_digested():
    key = L.lock_key("a/b", "db")
    assert "/" not in key and key.startswith("a_b@db-")


def test_run_tag_is_stable_and_short():
    tag = L.run_tag(L.run_id("ctl", 4242, "99"))
    assert tag == L.run_tag("ctl:4242:99")
    assert len(tag) == 16 and int(tag, 16) >= 0
    assert tag != L.run_tag(L.run_id("ctl", 4242, "100")), "a reused pid with another start time is another run"


@pytest.mark.parametrize("line, expected", [
    ("4242 (ansible-playbook) S 1 4242 4242 0 -1 4194560 1 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10", "987654"),
    ("17 (a b) c)) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 555 x", "555"),
    ("", ""),
    ("1 (short) S 1", ""),
])
def test_process_start_ticks(line, expected):
    assert L.process_start_ticks(line) == expected


@pytest.mark.parametrize("held, wanted, covers", [
    ("exclusive", "exclusive", True),
    ("exclusive", "shared", True),
    ("shared", "shared", True),
    ("shared", "exclusive", False),
])
def test_mode_covers(held, wanted, covers):
    assert L.mode_covers(held, wanted) is covers


@pytest.mark.parametrize("held, wanted", [("none", "shared"), ("shared", "write"), (None, "shared")])
def test_mode_covers_refuses_unknown_modes(held, wanted):
    with pytest.raises(ValueError):
        L.mode_covers(held, wanted)


def test_info_round_trip_keeps_one_line_per_field():
    text = L.info_text(dict(playbook="/srv/a b=c.yml\nmode=shared", mode="exclusive", ansible_pid=12))
    assert text.splitlines() == ["ansible_pid=12", "mode=exclusive", "playbook=/srv/a b=c.yml mode=shared"]
    assert L.parse_info(text) == dict(ansible_pid="12", mode="exclusive", playbook="/srv/a b=c.yml mode=shared")


def test_info_field_names_are_checked():
    with pytest.raises(ValueError):
        L.info_text({"Bad-Name": "x"})


def test_parse_info_first_value_wins_and_ignores_noise():
    assert L.parse_info("a=1\n\nnoise\na=2\nb==\n") == dict(a="1", b="=")


def test_parse_output():
    out = L.parse_output("DIR /run/lock/db_runbooks\nSTATUS busy 3\nINFO 1 /x/k.0123456789abcdef.info\n"
                         "mode=exclusive\nholder_pid=9\n\nEND\nINFO 0 /x/k.fedcba9876543210.info\nmode=shared\nEND\n")
    assert out["status"] == "busy" and out["detail"] == "3" and out["dir"] == "/run/lock/db_runbooks"
    assert [i["alive"] for i in out["infos"]] == [True, False]
    assert out["infos"][0]["fields"] == dict(mode="exclusive", holder_pid="9")
    assert out["infos"][1]["path"] == "/x/k.fedcba9876543210.info"


def test_parse_output_empty():
    assert L.parse_output("") == dict(status=None, detail="", dir=None, infos=[])


HOLDER = dict(playbook="/srv/playbooks/restore.yml", ansible_pid="4242", user="root", controller="ops1",
              since="2026-11-25T03:00:00Z", mode="exclusive", holder_pid="777", watch_pid="4242")


def test_busy_message_names_the_run_in_the_way():
    msg = L.busy_message("pg", "bookreader_dev", "shared", 0, "0", [dict(alive=True, fields=HOLDER)])
    assert msg.startswith("another run is in progress on pg/bookreader_dev: /srv/playbooks/restore.yml "
                          "(pid 4242, root, host ops1) since 2026-11-25T03:00:00Z, mode exclusive;")
    assert "a shared lock." in msg
    assert "db_runbooks_lock_wait=SECONDS" in msg
    assert "Nothing was touched." in msg
    assert "kill" not in msg, "a watched holder ends with its run: no kill advice"


def test_busy_message_after_waiting_and_for_unwatched_holders():
    remote = dict(HOLDER, watch_pid="", max_seconds="21600", mode="shared")
    msg = L.busy_message("pg", "db", "exclusive", 30, "30", [dict(alive=True, fields=remote),
                                                             dict(alive=False, fields=dict(HOLDER, playbook="old.yml"))])
    assert "an exclusive lock after waiting 30 s" in msg
    assert "old.yml" not in msg, "a dead holder is not in the way"
    assert "at most 21600 s" in msg and "kill 777" in msg


def test_busy_message_without_a_readable_holder():
    msg = L.busy_message("pg", "db", "exclusive", 0, "0", [], "/run/lock/db_runbooks/pg@db.lock")
    assert "has not written who it is yet" in msg and "fuser -v /run/lock/db_runbooks/pg@db.lock" in msg


def test_misuse_message():
    msg = L.misuse_message("pg", "db", "shared", "exclusive", dict(since="T0"))
    assert "holds a shared lock on pg/db (taken T0) and now asks for an exclusive one" in msg
    assert "Take the exclusive lock first" in msg


def test_acquire_argv_refuses_unknown_mode():
    with pytest.raises(ValueError):
        L.acquire_argv("k", "write", 0, "0" * 16, "", 10, "")


def test_argv_carries_the_arguments_in_order():
    argv = L.acquire_argv("pg@db", "shared", 5, "a" * 16, 42, 60, "mode=shared", "/tmp/x")
    assert argv[:2] == ["/bin/sh", "-c"] and argv[2] == L.ACQUIRE_SCRIPT
    assert argv[3:] == ["db_runbooks-lock", "/tmp/x", "pg@db", "shared", "5", "a" * 16, "42", "60",
                        "mode=shared", L.HOLDER_SCRIPT]
    assert L.release_argv("pg@db", "b" * 16)[3:] == ["db_runbooks-unlock", "", "pg@db", "b" * 16]


# --- the shell, for real ------------------------------------------------------

class Runs:
    """Take and release locks in a private directory, the way the action plugin does."""

    def __init__(self, lock_dir):
        self.dir = lock_dir
        self.holders = []

    def acquire(self, tag, mode="exclusive", watch="", wait=0, max_seconds=30, key="pg@db", playbook="p.yml"):
        info = L.info_text(dict(mode=mode, playbook=playbook, ansible_pid=watch or 1, user="u", controller="h",
                                since="T", watch_pid=watch, max_seconds="" if watch else max_seconds))
        res = subprocess.run(L.acquire_argv(key, mode, wait, tag * 16, watch, max_seconds, info, self.dir),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        out = L.parse_output(res.stdout)
        out["rc"] = res.returncode
        out["stderr"] = res.stderr
        if out["status"] == "acquired":
            self.holders.append(int(out["infos"][0]["fields"]["holder_pid"]))
        return out

    def release(self, tag, key="pg@db"):
        res = subprocess.run(L.release_argv(key, tag * 16, self.dir), stdout=subprocess.PIPE,
                             universal_newlines=True, timeout=30)
        out = L.parse_output(res.stdout)
        out["rc"] = res.returncode
        return out

    def free(self, key="pg@db"):
        """True when an exclusive flock on the key's file succeeds at once."""
        return subprocess.run(["flock", "-x", "-n", os.path.join(self.dir, key + ".lock"), "true"]).returncode == 0


@pytest.fixture
def runs(tmp_path):
    r = Runs(str(tmp_path / "locks"))
    yield r
    for pid in r.holders:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture
def run_process():
    """A process standing in for ansible-playbook, and a way to end it."""
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
def test_directory_is_created_private(runs, run_process):
    p = run_process()
    assert runs.acquire("a", watch=p.pid)["status"] == "acquired"
    assert (os.stat(runs.dir).st_mode & 0o777) == 0o700


@needs_tools
def test_shared_locks_coexist_and_keep_exclusive_out(runs, run_process):
    p = run_process()
    assert runs.acquire("a", "shared", watch=p.pid)["status"] == "acquired"
    assert runs.acquire("b", "shared", watch=p.pid)["status"] == "acquired"
    busy = runs.acquire("c", "exclusive", watch=p.pid)
    assert busy["status"] == "busy" and busy["rc"] == L.RC_BUSY
    assert sorted(i["fields"]["mode"] for i in busy["infos"] if i["alive"]) == ["shared", "shared"]


@needs_tools
def test_exclusive_keeps_everyone_out_and_names_itself(runs, run_process):
    p = run_process()
    assert runs.acquire("a", "exclusive", watch=p.pid, playbook="/srv/restore.yml")["status"] == "acquired"
    for tag, mode in (("b", "shared"), ("c", "exclusive")):
        busy = runs.acquire(tag, mode, watch=p.pid)
        assert busy["status"] == "busy"
        live = [i["fields"] for i in busy["infos"] if i["alive"]]
        assert [f["playbook"] for f in live] == ["/srv/restore.yml"]
        assert live[0]["holder_pid"] and live[0]["ansible_pid"] == str(p.pid)


@needs_tools
def test_other_keys_are_independent(runs, run_process):
    p = run_process()
    assert runs.acquire("a", watch=p.pid, key="pg@one")["status"] == "acquired"
    assert runs.acquire("b", watch=p.pid, key="pg@two")["status"] == "acquired"


@needs_tools
def test_same_run_is_reentrant(runs, run_process):
    p = run_process()
    first = runs.acquire("a", "exclusive", watch=p.pid)
    again = runs.acquire("a", "shared", watch=p.pid)
    assert again["status"] == "reentrant" and again["rc"] == 0
    assert again["infos"][0]["fields"]["mode"] == "exclusive"
    assert again["infos"][0]["fields"]["holder_pid"] == first["infos"][0]["fields"]["holder_pid"]


@needs_tools
def test_lock_ends_within_a_second_or_so_of_the_run(runs, run_process):
    p = run_process()
    assert runs.acquire("a", watch=p.pid)["status"] == "acquired"
    assert not runs.free()
    p.kill()
    p.wait()
    start = time.time()
    assert _wait_until(runs.free, 3), "the lock outlived its run"
    assert time.time() - start < 2.0
    assert not [f for f in os.listdir(runs.dir) if f.endswith(".info")], "the holder removes its info file"


@needs_tools
def test_waiting_run_gets_the_lock_when_the_holder_ends(runs, run_process):
    p = run_process()
    assert runs.acquire("a", watch=p.pid)["status"] == "acquired"
    subprocess.Popen(["/bin/sh", "-c", "sleep 1; kill %d" % p.pid])
    q = run_process()
    got = runs.acquire("b", "shared", watch=q.pid, wait=10)
    assert got["status"] == "acquired"
    assert 1 <= int(got["detail"]) <= 4


@needs_tools
def test_wait_times_out_as_busy(runs, run_process):
    p = run_process()
    assert runs.acquire("a", watch=p.pid)["status"] == "acquired"
    start = time.time()
    busy = runs.acquire("b", watch=p.pid, wait=1)
    assert busy["status"] == "busy" and time.time() - start >= 1


@needs_tools
def test_without_a_pid_to_watch_it_holds_for_max_seconds(runs):
    assert runs.acquire("a", max_seconds=2)["status"] == "acquired"
    assert not runs.free()
    assert _wait_until(runs.free, 5)


@needs_tools
def test_release_frees_at_once_and_twice_is_harmless(runs, run_process):
    p = run_process()
    assert runs.acquire("a", watch=p.pid)["status"] == "acquired"
    start = time.time()
    assert runs.release("a")["status"] == "released"
    assert time.time() - start < 1.0
    assert runs.free()
    assert runs.release("a")["status"] == "not_held"


@needs_tools
def test_holder_killed_leaves_a_stale_file_the_next_run_removes(runs, run_process):
    p = run_process()
    held = runs.acquire("a", "shared", watch=p.pid)
    os.kill(int(held["infos"][0]["fields"]["holder_pid"]), signal.SIGKILL)
    assert _wait_until(runs.free, 3)
    stale = held["infos"][0]["path"]
    assert os.path.exists(stale)
    assert runs.acquire("a", "shared", watch=p.pid)["status"] == "acquired", "a dead holder is not this run's lock"
    assert runs.acquire("b", "shared", watch=p.pid)["status"] == "acquired"
    assert sorted(f for f in os.listdir(runs.dir) if f.endswith(".info")) == [
        "pg@db.%s.info" % ("a" * 16), "pg@db.%s.info" % ("b" * 16)]


@needs_tools
def test_a_directory_that_is_a_link_is_refused(tmp_path, run_process):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "locks"
    link.symlink_to(target)
    out = Runs(str(link)).acquire("a", watch=run_process().pid)
    assert out["status"] == "unusable" and out["rc"] == L.RC_UNUSABLE
    assert not os.listdir(str(target))


# --- the module's documentation matches the action's arguments -----------------

def test_docs_match_action_argspec():
    import ast

    import yaml

    from ansible_collections.fancai.db_runbooks.plugins.action import run_lock

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    tree = ast.parse(open(os.path.join(root, "plugins", "modules", "run_lock.py"), encoding="utf-8").read())
    doc = next(yaml.safe_load(n.value.value) for n in tree.body
               if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "DOCUMENTATION")
    assert set(doc["options"]) == set(run_lock._ARGSPEC)
    for name, spec in run_lock._ARGSPEC.items():
        assert doc["options"][name]["type"] == spec["type"], name
        assert doc["options"][name].get("default") == spec.get("default"), name
        assert doc["options"][name].get("choices") == spec.get("choices"), name
