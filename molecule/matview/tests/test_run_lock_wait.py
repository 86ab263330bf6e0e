"""A run that holds the run lock exclusive and ends within matview_refresh_run_lock_wait: the cron line waits for it, then refreshes."""

import subprocess

import pytest

from run_lock_helpers import lock_free, run_timed, wait_for


@pytest.fixture
def run_lock_file(hold):
    """run_lock's own lock file of the scenario's container and database (as a verify takes it)."""
    verify = hold("shared")
    path = verify.info["lock_file"]
    verify.release()
    return path


def test_the_cron_run_waits_for_a_holder_that_ends(run_lock_file, cron_line, cron_log, inventory_vars):
    wait = int(inventory_vars["matview_refresh_run_lock_wait"])
    # A bare exclusive flock on that file for 1.5 s: a holder that has not written who it is.
    holder = subprocess.Popen(["flock", "--exclusive", run_lock_file, "sleep", "1.5"])
    try:
        wait_for(lambda: not lock_free(run_lock_file), "the holder")
        rc, _, err, seconds = run_timed(cron_line)
        assert rc == 0, err
        assert 1 <= seconds < wait + 5, "it waited for the holder"
        assert holder.poll() is not None, "it refreshed only once the holder had ended"
    finally:
        holder.kill()
        holder.wait()
    msgs = cron_log.one_run()
    assert msgs[0] == "the run lock %s is held by a run not named yet: waiting up to %ds" % (run_lock_file, wait)
    assert msgs[1].startswith("run lock acquired after ") and msgs[1].endswith("s")
    assert 1 <= int(msgs[1][len("run lock acquired after "):-1]) <= wait
    assert msgs[2].startswith("run start database=bookreader_dev")
    assert msgs[-1].startswith("run end status=ok refreshed=2 failed=0")
