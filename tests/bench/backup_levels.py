#!/usr/bin/env python
"""The backup script at several -Z levels against the guide's pg_dump -F c, interleaved, in one run.

On its own labelled container (tests/bench/bench.py's, seeded the same way:
prose drawn from real word frequencies), each round runs the guide's
`pg_dump -F c` streamed out, then roles/backup/files/db_runbooks_backup.sh at
each level (`--levels 1 2 3`), and, with `--before REV`, the script as it was
at that git revision (at the first level), and with `--zstd 1 3` the script
compressing on the docker host (`--host-zstd`) at those levels, so a change to it is measured
beside what it replaces. Prints medians and ratios; not part of make test.

    .venv/bin/python tests/bench/backup_levels.py --scale 500 --rounds 3 --levels 1 2 --before HEAD
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (this directory)

SCRIPT = os.path.join(bench.ROOT, "roles", "backup", "files", "db_runbooks_backup.sh")
MARKER = "__db_runbooks_backup__"


def run_script(b, path, level, zstd=None):
    """One backup by the script at *path*: (seconds, its JSON result)."""
    top = os.path.join(b.work, "backups")
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(os.path.join(top, "bookreader_dev"))
    started = time.monotonic()
    res = subprocess.run(["bash", path, "--container", b.container, "--database", "bookreader_dev",
                          "--dir", os.path.join(top, "bookreader_dev"), "--compress", str(level),
                          "--space-factor", "0"] + (["--host-zstd", str(zstd)] if zstd else []),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    seconds = time.monotonic() - started
    lines = [line for line in res.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise SystemExit("backup_levels: %s gave no result: %s" % (path, res.stderr[-2000:]))
    result = json.loads(lines[0].split(" ", 1)[1])
    if result.get("failed"):
        raise SystemExit("backup_levels: %s failed: %s" % (path, result.get("msg")))
    return seconds, result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=int, default=500, help="seed.sql readers (default about 300 MB)")
    p.add_argument("--words", type=int, default=2500, help="words of prose a chapter")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--levels", nargs="+", default=["1", "2"], help="-Z values of the current script")
    p.add_argument("--zstd", nargs="*", default=[], help="zstd levels on the docker host (--host-zstd)")
    p.add_argument("--before", help="a git revision: its db_runbooks_backup.sh runs too, at the first level")
    p.add_argument("--container", default="dbrb-bench-levels-" + os.environ.get("DB_RUNBOOKS_TEST_ID", "0"))
    p.add_argument("--image", default=os.environ.get("DB_RUNBOOKS_TEST_IMAGE") or "postgres:15")
    args = p.parse_args()
    b = bench.Bench(argparse.Namespace(container=args.container, image=args.image))
    cases = [("-Z%s" % z, SCRIPT, z, None) for z in args.levels]
    cases += [("-Z0 | zstd -%s on the host" % z, SCRIPT, "0", z) for z in args.zstd]
    if args.before:
        old = os.path.join(b.work, "before.sh")
        with open(old, "w") as f:
            f.write(subprocess.run(["git", "show", "%s:roles/backup/files/db_runbooks_backup.sh" % args.before],
                                   cwd=bench.ROOT, check=True, stdout=subprocess.PIPE,
                                   universal_newlines=True).stdout)
        cases.insert(0, ("%s -Z%s" % (args.before, args.levels[0]), old, args.levels[0], None))
    results = {"guide pg_dump -F c": []}
    try:
        b.start()
        size = b.seed("bookreader_dev", args.scale, args.words)
        guide = os.path.join(b.work, "guide.dump")
        for i in range(args.rounds):
            bench.log("round %d of %d" % (i + 1, args.rounds))
            started = time.monotonic()
            nbytes = b.guide_dump("bookreader_dev", guide)
            results["guide pg_dump -F c"].append((time.monotonic() - started, nbytes, None, None))
            for name, path, level, zstd in cases:
                seconds, r = run_script(b, path, level, zstd)
                results.setdefault(name, []).append((seconds, r["size"], r["dump_seconds"], r["verify_seconds"]))
    finally:
        b.stop()
    print("database %.0f MiB (pg_database_size), %d CPUs, load %s, median of %d"
          % (size / 2 ** 20, os.cpu_count(), open("/proc/loadavg").read().split()[0], args.rounds))
    g_time = statistics.median(r[0] for r in results["guide pg_dump -F c"])
    g_size = statistics.median(r[1] for r in results["guide pg_dump -F c"])
    print("| case | whole run | dump | full read + sha256 | file | faster than the guide | size against the guide |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        t = statistics.median(r[0] for r in rows)
        s = statistics.median(r[1] for r in rows)
        dump = "-" if rows[0][2] is None else "%.2f s" % statistics.median(r[2] for r in rows)
        read = "-" if rows[0][3] is None else "%.2f s" % statistics.median(r[3] for r in rows)
        print("| %s | %.2f s | %s | %s | %.0f MiB | %.2f× | %.2f× |" % (name, t, dump, read, s / 2 ** 20,
                                                                        g_time / t, s / g_size))


if __name__ == "__main__":
    main()
