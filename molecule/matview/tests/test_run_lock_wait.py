"""A run that holds the run lock exclusive and ends within matview_refresh_run_lock_wait: the cron line waits for it, then refreshes."""

import fcntl
import subprocess
import time

import pytest

from run_lock_helpers import lock_free, wait_for


@pytest.fixture
def run_lock_file(hold):
    """run_lock's own lock file of the scenario's container and database (as a verify takes it)."""
    verify = hold("shared")
    path = verify.info["lock_file"]
    verify.release()
    return path


def test_the_cron_run_waits_for_a_holder_that_ends(run_lock_file, cron_line, cron_log, inventory_vars):
    wait = int(inventory_vars["matview_refresh_run_lock_wait"])
    # A bare exclusive flock on that file, held by this test (a holder that has not written who it is),
    # and given back 1.5 s after the cron run has said it waits: however slow the host, the run finds it held.
    holder = open(run_lock_file, "a")
    cron = None
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        assert not lock_free(run_lock_file)
        cron = subprocess.Popen(["/bin/sh", "-c", cron_line], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True)
        wait_for(lambda: any("waiting" in m for _, m in cron_log.messages()), "the cron run to wait", 60)
        time.sleep(1.5)
        assert cron.poll() is None, "it waited while the lock was held"
        released = time.time()
        holder.close()
        _, err = cron.communicate(timeout=120)
        assert cron.returncode == 0, err
        assert time.time() - released < 60
    finally:
        holder.close()
        if cron is not None and cron.poll() is None:
            cron.kill()
            cron.wait()
    msgs = cron_log.one_run()
    assert msgs[0] == "the run lock %s is held by a run not named yet: waiting up to %ds" % (run_lock_file, wait)
    assert msgs[1].startswith("run lock acquired after ") and msgs[1].endswith("s")
    assert 1 <= int(msgs[1][len("run lock acquired after "):-1]) <= wait
    assert msgs[2].startswith("run start database=bookreader_dev")
    assert msgs[-1].startswith("run end status=ok refreshed=2 failed=0")
