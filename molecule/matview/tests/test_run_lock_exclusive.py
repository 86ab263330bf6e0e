"""A restore (hold_lock.yml, exclusive) in the way: the cron line waits, gives up naming it and refreshes nothing.

Once the restore has ended, the same cron line refreshes the session it had left out.
"""

import re

import pytest

from run_lock_helpers import HOLD, SINCE, alive, infos, run_timed

CAROL = "00000000-0000-0000-0000-000000000003"
DAY = "2025-03-06"


def _views(pg):
    return (pg.rows("SELECT user_id::text, reading_date::text, sessions_count, total_duration_seconds "
                    "FROM reading_sessions_daily_stats ORDER BY 1, 2"),
            pg.rows("SELECT * FROM user_reading_patterns ORDER BY user_id"))


def _carol_on_day(pg):
    return pg.rows("SELECT sessions_count FROM reading_sessions_daily_stats "
                   "WHERE user_id = '%s' AND reading_date = '%s'" % (CAROL, DAY))


def _describe(info):
    """How run_lock names a holder."""
    return "%s (pid %s, %s, host %s) since %s, mode %s" % (
        info["playbook"], info["ansible_pid"], info["user"], info["controller"], info["since"], info["mode"])


@pytest.fixture(scope="module")
def new_session(pg):
    """A reading session written after the last refresh: only a refresh puts it in the views."""
    res = pg.execute("INSERT INTO reading_sessions (user_id, book_id, start_time, duration_seconds, start_chapter, "
                     "start_position, pages_read) VALUES ('%s', '00000000-0000-0000-0000-0000000000b4', "
                     "'%s 10:00+00', 500, 1, 0, 5)" % (CAROL, DAY))
    assert res.rc == 0, res.stderr
    return DAY


def test_beside_a_restore_the_cron_run_waits_then_refuses_naming_it(pg, new_session, cron_line, cron_log, hold,
                                                                    inventory_vars):
    container = inventory_vars["db_runbooks_container"]
    wait = int(inventory_vars["matview_refresh_run_lock_wait"])
    before = _views(pg)
    assert _carol_on_day(pg) == [], "the new session is not in the views before a refresh"
    restore = hold("exclusive")
    info = restore.info
    assert info["playbook"] == HOLD and info["mode"] == "exclusive" and re.match(SINCE, info["since"])

    rc, _, err, seconds = run_timed(cron_line)

    assert rc == 75, err
    assert wait <= seconds < wait + 10, "it waited matview_refresh_run_lock_wait=%d s, then gave up" % wait
    assert err.strip() == (
        "matview_refresh bookreader_dev: ERROR: another run is in progress on %s/bookreader_dev: %s; this "
        "scheduled run asked for a shared lock after waiting %d s. It runs again at its next scheduled time. To "
        "let it wait longer, raise matview_refresh_run_lock_wait (now %d s) and install the schedule again "
        "(playbooks/schedule_matview_refresh.yml). Nothing was touched." % (container, _describe(info), wait, wait))
    # Nothing was refreshed: both views hold exactly what they held, without the new session.
    assert _views(pg) == before
    assert _carol_on_day(pg) == []
    msgs = cron_log.one_run()
    assert msgs[0] == "the run lock %s is held by %s: waiting up to %ds" % (info["lock_file"], _describe(info), wait)
    assert not [m for m in msgs if m.startswith(("run start", "start view="))], msgs
    assert msgs[-1].startswith("ERROR: another run is in progress on %s/bookreader_dev: " % container)
    # The restore was not disturbed, and the refused run left no info file behind.
    assert restore.proc.poll() is None and alive(info["holder_pid"])
    assert [path for path, _ in infos(container)] == [restore.info_path]


def test_once_the_restore_has_ended_the_cron_run_refreshes(pg, new_session, cron_line, cron_log, hold,
                                                           inventory_vars):
    restore = hold("exclusive")
    lock_file = restore.info["lock_file"]
    restore.release()

    rc, _, err, _ = run_timed(cron_line)

    assert rc == 0, err
    assert err == ""
    assert _carol_on_day(pg) == [{"sessions_count": 1}]
    msgs = cron_log.one_run()
    # Nothing in the way: the run's first line is its start, not a wait.
    assert msgs[0].startswith("run start database=bookreader_dev"), msgs
    assert msgs[0].endswith(" run_lock=%s" % lock_file), "the script locks run_lock's own file"
    assert msgs[-1].startswith("run end status=ok refreshed=2 failed=0")
    assert infos(inventory_vars["db_runbooks_container"]) == [], "the script gave the lock back"
