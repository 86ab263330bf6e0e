"""The views, indexes and schedule the matview_refresh role left, and the schedule run exactly as cron runs it."""

import datetime
import re
import shlex
import subprocess
import time

import pytest

ALICE = "00000000-0000-0000-0000-000000000001"
BOB = "00000000-0000-0000-0000-000000000002"
CAROL = "00000000-0000-0000-0000-000000000003"
VIEWS = ("public.reading_sessions_daily_stats", "public.user_reading_patterns")
# What Debian's cron gives a job: nothing of the caller's environment.
CRON_ENV = "env -i HOME=/root LOGNAME=root SHELL=/bin/sh PATH=/usr/bin:/bin"
LINE_RE = re.compile(r"^(?P<ts>\S+) \[(?P<pid>\d+)\] (?P<msg>.*)$")


@pytest.fixture(scope="module")
def cron_entry(host, inventory_vars):
    """The schedule's line in the cron file: five time fields, the user, the command."""
    content = host.file(inventory_vars["matview_refresh_cron_file"]).content_string
    entries = [line for line in content.splitlines() if line.strip() and not line.startswith("#")]
    assert len(entries) == 1, "expected one cron entry, got %r" % content
    fields = entries[0].split(None, 6)
    return dict(schedule=fields[:5], user=fields[5], command=fields[6], content=content)


@pytest.fixture(scope="module")
def log_file(inventory_vars):
    return inventory_vars["matview_refresh_log_file"]


def run_as_cron(host, cron_entry):
    """Run the entry's command the way cron does: /bin/sh -c, minimal environment, from HOME."""
    return host.run("cd / && %s /bin/sh -c %s" % (CRON_ENV, shlex.quote(cron_entry["command"])))


def log_lines(host, log_file, since=0):
    """Parsed log lines after line number *since*: (timestamp, pid, message)."""
    lines = host.file(log_file).content_string.splitlines()[since:]
    out = []
    for line in lines:
        m = LINE_RE.match(line)
        assert m, "unparsable log line %r" % line
        ts = datetime.datetime.strptime(m.group("ts"), "%Y-%m-%dT%H:%M:%S.%f%z")
        out.append((ts, int(m.group("pid")), m.group("msg")))
    return out


def line_count(host, log_file):
    f = host.file(log_file)
    return len(f.content_string.splitlines()) if f.exists else 0


def runs(lines):
    """Per pid: first and last timestamp between 'run start' and 'run end', and its messages."""
    out = {}
    for ts, pid, msg in lines:
        run = out.setdefault(pid, dict(start=None, end=None, msgs=[]))
        run["msgs"].append(msg)
        if msg.startswith("run start"):
            run["start"] = ts
        elif msg.startswith("run end"):
            run["end"] = ts
    return out


def background(host, command):
    """Start *command* in the background on the docker host; return its pid."""
    res = host.run("%s > /dev/null 2>&1 & echo $!" % command)
    assert res.rc == 0, res.stderr
    return int(res.stdout.strip())


def hold_lock(host, lock, seconds):
    """Hold the schedule's flock for *seconds* in one background process; return its pid."""
    return background(host, "/bin/sh -c 'exec 9>>\"$1\"; flock 9; exec sleep %d' sh %s" % (seconds, shlex.quote(lock)))


def wait_for(predicate, what, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


# --- The guide's database: plain REFRESH, nothing created by the refused runs ---

def test_guide_views_were_refreshed_in_server_time(pg):
    rows = pg.rows("SELECT user_id::text, reading_date::text, sessions_count "
                   "FROM reading_sessions_daily_stats ORDER BY 1, 2", "bookreader_guide")
    assert rows == [
        {"user_id": ALICE, "reading_date": "2025-03-01", "sessions_count": 3},
        {"user_id": ALICE, "reading_date": "2025-03-04", "sessions_count": 1},
        {"user_id": BOB, "reading_date": "2025-03-02", "sessions_count": 1},
    ]
    assert pg.rows("SELECT user_id::text, unique_books_read, max_session_duration "
                   "FROM user_reading_patterns ORDER BY 1", "bookreader_guide") == [
        {"user_id": ALICE, "unique_books_read": 2, "max_session_duration": 1200},
        {"user_id": BOB, "unique_books_read": 1, "max_session_duration": 900},
    ]


def test_refused_runs_created_no_index(pg):
    # The refused duplicate key and missing column left the guide's two plain indexes alone.
    assert pg.rows("SELECT indexrelid::regclass::text AS name, indisunique AS is_unique FROM pg_index "
                   "WHERE indrelid IN ('reading_sessions_daily_stats'::regclass, 'user_reading_patterns'::regclass) "
                   "ORDER BY 1", "bookreader_guide") == [
        {"name": "idx_daily_stats_user_date", "is_unique": False},
        {"name": "idx_patterns_user", "is_unique": False},
    ]


# --- bookreader_dev: unique indexes, CONCURRENTLY, fixed TimeZone ---

@pytest.mark.parametrize("view, index, columns", [
    ("reading_sessions_daily_stats", "uq_reading_sessions_daily_stats_natural_key", ["user_id", "reading_date"]),
    ("user_reading_patterns", "uq_user_reading_patterns_natural_key", ["user_id"]),
])
def test_unique_index_on_natural_key(pg, view, index, columns):
    row = pg.rows("SELECT i.indisunique AS is_unique, i.indisvalid AS is_valid, i.indpred IS NULL AS no_where, "
                  "array_agg(a.attname::text ORDER BY k.ord) AS columns FROM pg_index i "
                  "CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
                  "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                  "WHERE i.indexrelid = '%s'::regclass AND i.indrelid = '%s'::regclass "
                  "GROUP BY 1, 2, 3" % (index, view))
    assert row == [{"is_unique": True, "is_valid": True, "no_where": True, "columns": columns}]


def test_dev_views_use_the_configured_timezone(pg):
    # 22:30 UTC on 1 March is 2 March in Europe/Moscow (matview_refresh_timezone).
    rows = pg.rows("SELECT reading_date::text, sessions_count FROM reading_sessions_daily_stats "
                   "WHERE user_id = '%s' ORDER BY 1" % ALICE)
    assert rows == [{"reading_date": "2025-03-01", "sessions_count": 2},
                    {"reading_date": "2025-03-02", "sessions_count": 1},
                    {"reading_date": "2025-03-04", "sessions_count": 1}]


# --- The schedule ---

def test_cron_entry_is_daily_at_midnight_as_root(cron_entry, inventory_vars):
    assert cron_entry["schedule"] == ["0", "0", "*", "*", "*"]
    assert cron_entry["user"] == "root"
    assert cron_entry["command"] == inventory_vars["matview_refresh_script_path"]
    # Named after the container and the database: each stack on a host has its own entry.
    marker = "#Ansible: db_runbooks matview refresh %s_bookreader_dev" % inventory_vars["db_runbooks_container"]
    assert marker in cron_entry["content"]
    # The refused concurrent run on bookreader_guide installed nothing.
    assert "bookreader_guide" not in cron_entry["content"]


def test_script_and_crontab_hold_no_password(host, cron_entry, inventory_vars):
    script = host.file(inventory_vars["matview_refresh_script_path"])
    assert script.mode == 0o755
    text = script.content_string + cron_entry["content"]
    assert not re.search(r"PGPASSWORD|password=|POSTGRES_PASSWORD", text, re.IGNORECASE)
    assert "psql -X -q -A -t -F \"$SEP\" -v ON_ERROR_STOP=1" in script.content_string


def test_cron_run_refreshes_newly_inserted_sessions(host, pg, cron_entry, log_file):
    pg.execute("INSERT INTO reading_sessions (user_id, book_id, start_time, duration_seconds, start_chapter, "
               "start_position, pages_read) VALUES ('%s', '00000000-0000-0000-0000-0000000000b4', "
               "'2025-03-05 10:00+00', 700, 1, 0, 7)" % CAROL)
    assert pg.value("SELECT count(*) FROM user_reading_patterns WHERE user_id = '%s'" % CAROL) == 0
    before = line_count(host, log_file)
    res = run_as_cron(host, cron_entry)
    assert res.rc == 0, res.stderr
    assert res.stderr == ""
    assert pg.rows("SELECT reading_date::text, sessions_count FROM reading_sessions_daily_stats "
                   "WHERE user_id = '%s'" % CAROL) == [{"reading_date": "2025-03-05", "sessions_count": 1}]
    assert pg.value("SELECT total_pages_read FROM user_reading_patterns WHERE user_id = '%s'" % CAROL) == 7
    (run,) = runs(log_lines(host, log_file, before)).values()
    assert run["msgs"][0].startswith("run start database=bookreader_dev")
    assert run["msgs"][-1].startswith("run end status=ok refreshed=2 failed=0")
    for view in VIEWS:
        assert "start view=%s method=concurrently" % view in run["msgs"]
        assert any(re.match(r"end view=%s method=concurrently status=ok duration=\d+\.\d{3}s$" % view, m)
                   for m in run["msgs"]), run["msgs"]


def test_two_overlapping_runs_are_serialized(host, cron_entry, log_file):
    before = line_count(host, log_file)
    cmd = "cd / && %s /bin/sh -c %s" % (CRON_ENV, shlex.quote(cron_entry["command"]))
    res = host.run("(%s) & p1=$!; (%s) & p2=$!; wait $p1; a=$?; wait $p2; b=$?; echo $a $b" % (cmd, cmd))
    assert res.stdout.split()[-2:] == ["0", "0"], res.stdout + res.stderr
    both = sorted(runs(log_lines(host, log_file, before)).values(), key=lambda r: r["start"])
    assert len(both) == 2
    assert all(r["msgs"][-1].startswith("run end status=ok") for r in both)
    # The second run started only after the first one ended.
    assert both[0]["end"] <= both[1]["start"], both


def test_a_run_waits_for_the_lock_holder(host, cron_entry, log_file, inventory_vars):
    lock = inventory_vars["matview_refresh_lock_file"]
    holder = hold_lock(host, lock, 30)
    wait_for(lambda: host.run("flock -n %s true" % shlex.quote(lock)).rc != 0, "the lock holder")
    before = line_count(host, log_file)
    line = "cd / && %s /bin/sh -c %s" % (CRON_ENV, shlex.quote(cron_entry["command"]))
    cron = subprocess.Popen(["/bin/sh", "-c", line], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)
    try:
        # The holder ends once the run has said it waits: however slow the host, the run found it held.
        wait_for(lambda: [m for _, _, m in log_lines(host, log_file, before) if m.startswith("another run holds")],
                 "the run to wait", 60)
        assert cron.poll() is None, "it waits while the lock is held"
        host.run("kill %d" % holder)
        _, err = cron.communicate(timeout=120)
    finally:
        host.run("kill %d" % holder)
        if cron.poll() is None:
            cron.kill()
            cron.wait()
    assert cron.returncode == 0, err
    (run,) = runs(log_lines(host, log_file, before)).values()
    assert run["msgs"][0].startswith("another run holds %s: waiting up to 5s" % lock)
    assert run["msgs"][1] == "lock acquired"
    assert run["msgs"][-1].startswith("run end status=ok refreshed=2 failed=0")


def test_a_run_gives_up_after_the_lock_wait(host, cron_entry, log_file, inventory_vars):
    lock = inventory_vars["matview_refresh_lock_file"]
    holder = hold_lock(host, lock, 30)
    wait_for(lambda: host.run("flock -n %s true" % shlex.quote(lock)).rc != 0, "the lock holder")
    try:
        before = line_count(host, log_file)
        started = time.time()
        res = run_as_cron(host, cron_entry)
        assert res.rc == 75
        assert 4.5 <= time.time() - started < 15
        assert "still holds %s after 5s: this run did nothing" % lock in res.stderr
        msgs = [m for _, _, m in log_lines(host, log_file, before)]
        assert not any(m.startswith("run start") for m in msgs)
    finally:
        host.run("kill %d" % holder)


def test_a_failing_view_fails_the_run_but_not_the_others(host, pg, cron_entry, log_file, inventory_vars):
    # Another session (an AWX run, say) is inside its own REFRESH … CONCURRENTLY of
    # user_reading_patterns and keeps its EXCLUSIVE lock: the scheduled refresh of
    # that view hits lock_timeout (2s) and fails; the other view is still refreshed.
    container = inventory_vars["db_runbooks_container"]
    background(host, "docker exec %s psql -X -q -U postgres -d bookreader_dev -c BEGIN "
               "-c 'REFRESH MATERIALIZED VIEW CONCURRENTLY user_reading_patterns' "
               "-c \"SELECT pg_sleep(20), 'matview lock holder'\"" % shlex.quote(container))
    holder_sql = ("SELECT pid FROM pg_stat_activity WHERE query LIKE '%matview lock holder%' "
                  "AND pid <> pg_backend_pid()")
    wait_for(lambda: pg.rows(holder_sql), "the lock holder session")
    try:
        before = line_count(host, log_file)
        res = run_as_cron(host, cron_entry)
        assert res.rc == 1
        assert "REFRESH of public.user_reading_patterns failed" in res.stderr
        assert "canceling statement due to lock timeout" in res.stderr
        (run,) = runs(log_lines(host, log_file, before)).values()
        assert any(m.startswith("end view=public.reading_sessions_daily_stats method=concurrently status=ok")
                   for m in run["msgs"]), run["msgs"]
        assert any(m.startswith("end view=public.user_reading_patterns method=concurrently status=FAILED")
                   for m in run["msgs"]), run["msgs"]
        assert run["msgs"][-1].startswith("run end status=FAILED refreshed=1 failed=1")
    finally:
        pg.rows("SELECT pg_terminate_backend(pid) AS ended FROM (%s) AS h" % holder_sql)
