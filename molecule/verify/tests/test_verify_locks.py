"""verify.yml behind a session that holds ACCESS EXCLUSIVE on a table: it gives up within its lock timeout, names the holder."""

import subprocess
import time

from test_verify import _playbook


def test_a_held_table_ends_the_run_within_the_lock_timeout_naming_the_holder(inventory_vars):
    c = inventory_vars["db_runbooks_container"]
    holder = subprocess.Popen(
        ["docker", "exec", "-i", "-e", "PGAPPNAME=migration_in_progress", c, "psql", "-X", "-q", "-U", "postgres",
         "-d", "bookreader_dev"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    try:
        holder.stdin.write("BEGIN;\nLOCK TABLE books IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(120);\n")
        holder.stdin.flush()
        for _ in range(50):  # until the lock is granted
            held = subprocess.run(
                ["docker", "exec", c, "psql", "-X", "-A", "-t", "-U", "postgres", "-d", "bookreader_dev", "-c",
                 "SELECT count(*) FROM pg_locks l JOIN pg_class r ON r.oid = l.relation "
                 "WHERE r.relname = 'books' AND l.mode = 'AccessExclusiveLock' AND l.granted"],
                stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
            if held == "1":
                break
            time.sleep(0.2)
        assert held == "1", "the holder did not get its lock"
        start = time.monotonic()
        run = _playbook(c, "verify_lock_timeout=2s")
        took = time.monotonic() - start
    finally:
        holder.kill()
        subprocess.run(["docker", "exec", c, "psql", "-X", "-q", "-U", "postgres", "-c",
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'migration_in_progress'"], stdout=subprocess.PIPE)
    out = " ".join(run.stdout.split())
    assert run.returncode != 0, out[-3000:]
    # The holder sleeps 120 s: without the timeout the run would wait for it.
    assert took < 60, took
    assert "could not be read" in out and "lock_timeout=2s" in out, out[-3000:]
    assert "application migration_in_progress" in out and "AccessExclusiveLock on books" in out, out[-3000:]
    assert "verify_lock_timeout" in out, out[-3000:]
