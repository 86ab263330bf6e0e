"""Runs that only read share the run lock with the cron line; while it refreshes, a restore is refused, naming it."""

import os
import signal
import subprocess
import sys

from run_lock_helpers import ROOT, alive, infos, lock_free, run_timed, wait_for

sys.path.insert(0, os.path.join(ROOT, ".collections"))
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _run_lock as L  # noqa: E402


def test_a_verify_holding_the_lock_shared_does_not_block_the_cron_run(cron_line, cron_log, hold):
    verify = hold("shared")

    rc, _, err, _ = run_timed(cron_line)

    assert rc == 0, err
    msgs = cron_log.one_run()
    # It did not wait for a shared holder: no wait logged, its first line is its start.
    assert not [m for m in msgs if "waiting" in m], msgs
    assert msgs[0].startswith("run start database=bookreader_dev"), msgs
    assert msgs[0].endswith(" run_lock=%s" % verify.info["lock_file"])
    assert msgs[-1].startswith("run end status=ok refreshed=2 failed=0")
    assert verify.proc.poll() is None and alive(verify.info["holder_pid"]), "the verify kept its lock"


def test_a_restore_starting_during_a_cron_refresh_is_refused_naming_it(pg, cron_line, inventory_vars):
    container = inventory_vars["db_runbooks_container"]
    script = inventory_vars["matview_refresh_script_path"]
    # A session holding both views keeps each of the cron run's refreshes waiting for
    # matview_refresh_lock_timeout (2 s): time enough to find the cron run holding the lock and stop it
    # there (SIGSTOP), so the restore below asks while it still holds it, however slow the host.
    session = subprocess.Popen(
        ["docker", "exec", container, "psql", "-X", "-q", "-U", "postgres", "-d", "bookreader_dev", "-c", "BEGIN",
         "-c", "REFRESH MATERIALIZED VIEW CONCURRENTLY reading_sessions_daily_stats",
         "-c", "REFRESH MATERIALIZED VIEW CONCURRENTLY user_reading_patterns",
         "-c", "SELECT pg_sleep(60), 'matview run lock session'"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    session_sql = ("SELECT pid FROM pg_stat_activity WHERE query LIKE '%matview run lock session%' "
                   "AND pid <> pg_backend_pid()")
    restore_run = subprocess.Popen(["sleep", "60"])
    cron = stopped = None
    try:
        wait_for(lambda: pg.rows(session_sql), "the session holding the view")
        cron = subprocess.Popen(["/bin/sh", "-c", cron_line], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True)
        mine = []

        def cron_holds():
            mine[:] = [(p, i) for p, i in infos(container)
                       if i.get("playbook") == script + " (the scheduled matview refresh)" and i.get("holder_pid")]
            return bool(mine)

        wait_for(cron_holds, "the cron run's info file", 60)
        path, info = mine[0]
        stopped = int(info["ansible_pid"])
        os.kill(stopped, signal.SIGSTOP)
        assert info["mode"] == "shared" and alive(info["holder_pid"])
        assert info["container"] == container and info["database"] == "bookreader_dev"
        # A restore asks for the lock exclusive, as run_lock asks for it (its own script, from this host).
        key = L.lock_key(container, "bookreader_dev")
        out = subprocess.run(
            L.acquire_argv(key, "exclusive", 0, "f" * 16, restore_run.pid, 60,
                           L.info_text(dict(mode="exclusive", playbook="restore.yml")), ""),
            stdout=subprocess.PIPE, universal_newlines=True, timeout=30)
        answer = L.parse_output(out.stdout)
        assert answer["status"] == "busy", out.stdout
        msg = L.busy_message(container, "bookreader_dev", "exclusive", 0, "0", answer["infos"])
        assert msg.startswith("another run is in progress on %s/bookreader_dev: %s (the scheduled matview refresh) "
                              "(pid %s, root, host " % (container, script, info["ansible_pid"])), msg
        assert ", mode shared; this run asked for an exclusive lock." in msg
        os.kill(stopped, signal.SIGCONT)
        stopped = None
        _, err = cron.communicate(timeout=120)
        assert cron.returncode == 1, err
        assert "REFRESH of public.user_reading_patterns failed" in err
        assert not os.path.exists(path), "the cron run removed its info file"
        assert lock_free(info["lock_file"]), "the cron run gave the lock back"
    finally:
        if stopped is not None:
            os.kill(stopped, signal.SIGCONT)
        if cron is not None and cron.poll() is None:
            cron.kill()
            cron.wait()
        pg.rows("SELECT pg_terminate_backend(pid) AS ended FROM (%s) AS s" % session_sql)
        session.wait(timeout=30)
        restore_run.kill()
        restore_run.wait()
