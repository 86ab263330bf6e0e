#!/usr/bin/env python
"""make bench: the collection's playbooks side by side with the guide's own commands, in one run.

On one PostgreSQL container this script starts (labelled, removed at the end;
a container of that name it did not start is left alone), interleaved A B A B:

* restore: the guide's Method 1 (drop, create, extensions, schema, stamp) and
  its checklist's four checks, against restore.yml on an absent database, a
  clean one (verify only, changed=0) and a broken one (an index dropped,
  repaired in place); medians and ratios;
* backup: the guide's `pg_dump -F c` streamed out of the container against
  backup.yml (drill and retention off) on a generated bookreader database,
  by default and with backup_compressor=zstd, time and file size; the peak RSS of the whole ansible-playbook process tree
  on a small and on the large database;
* restore from a backup: the naive stdin `pg_restore` against `docker cp` and
  `pg_restore -j 1` and `-j <CPUs>` (what restore.yml -e
  db_runbooks_restore_from does);
* where restore.yml spends its time on the absent path (profile_tasks).

It writes a Markdown report and a PNG chart (matplotlib) of the time per step.
`--smoke` runs everything once on a tiny database into a temporary directory:
make test runs it so the harness cannot rot.
"""

import argparse
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VENV_BIN = os.path.dirname(sys.executable)
SCHEMA = os.path.join(ROOT, "roles", "schema_load", "files", "enum_checks_2025.sql")
SEED = os.path.join(ROOT, "molecule", "backup", "files", "seed.sql")
LABEL = "io.fancai.db_runbooks.bench"
CORPUS_DIR = "/usr/share/common-licenses"
CHECKS = [
    ["-c", "\\dt"],
    ["-c", "\\di"],
    ["-c", "SELECT conname, contype, conrelid::regclass AS table_name FROM pg_constraint "
           "WHERE contype = 'c' ORDER BY conrelid::regclass::text;"],
    ["-c", "SELECT * FROM alembic_version;"],
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(argv, stdin=None, stdout=subprocess.DEVNULL, env=None, cwd=None):
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as inp:
        res = subprocess.run(argv, stdin=inp, stdout=stdout, stderr=subprocess.PIPE, env=env, cwd=cwd)
    if res.returncode != 0:
        raise SystemExit("bench: %s failed (rc %d): %s" % (" ".join(argv[:6]), res.returncode,
                                                           res.stderr.decode(errors="replace")[-2000:]))
    return res


class TreeRss:
    """Peak of the summed RSS of a process and all its descendants, sampled every 50 ms from /proc."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _tree(self):
        pids, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            pids.append(p)
            try:
                for task in os.listdir("/proc/%d/task" % p):
                    with open("/proc/%d/task/%s/children" % (p, task)) as f:
                        todo.extend(int(c) for c in f.read().split())
            except OSError:
                pass
        return pids

    def _sample(self):
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.is_set():
            total = 0
            for p in self._tree():
                try:
                    with open("/proc/%d/statm" % p) as f:
                        total += int(f.read().split()[1]) * page
                except (OSError, IndexError, ValueError):
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.05)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak


class Bench:
    def __init__(self, args):
        self.args = args
        self.container = args.container
        self.work = tempfile.mkdtemp(prefix="dbrb-bench.", dir="/var/tmp")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
        self.env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
                        ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                        PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
        self.times = {}
        self.steps = {}
        self.facts = {}

    # --- the container -------------------------------------------------------

    def _label(self):
        res = subprocess.run(["docker", "inspect", "-f", '{{ index .Config.Labels "%s" }}' % LABEL, self.container],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
        return res.stdout.strip() if res.returncode == 0 else None

    def start(self):
        label = self._label()
        if label is not None and label != "bench":
            raise SystemExit("bench: a container named %s exists and is not this benchmark's: left alone; "
                             "choose another with --container" % self.container)
        if label is not None:
            run(["docker", "rm", "-f", "-v", self.container])
        log("starting %s from %s" % (self.container, self.args.image))
        run(["docker", "run", "-d", "--name", self.container, "--label", "%s=bench" % LABEL,
             "-e", "POSTGRES_HOST_AUTH_METHOD=trust", self.args.image])
        deadline = time.time() + 120
        while subprocess.run(["docker", "exec", self.container, "pg_isready", "-h", "127.0.0.1", "-U", "postgres"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
            if time.time() > deadline:
                raise SystemExit("bench: %s did not accept connections within 120 s" % self.container)
            time.sleep(0.5)

    def stop(self):
        if self._label() == "bench":
            run(["docker", "rm", "-f", "-v", self.container])
        shutil.rmtree(self.work, ignore_errors=True)

    def psql(self, *argv, database="postgres", stdin=None, stdout=subprocess.DEVNULL):
        return run(["docker", "exec", "-i", self.container, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                    "-U", "postgres", "-d", database] + list(argv), stdin=stdin, stdout=stdout)

    def value(self, sql, database="postgres"):
        return self.psql("-A", "-t", "-c", sql, database=database, stdout=subprocess.PIPE).stdout.decode().strip()

    # --- the guide's commands, line for line ---------------------------------

    def guide_psql(self, *argv, stdin=None):
        """One of the guide's lines: docker exec [-i] … psql -U postgres (no ON_ERROR_STOP, as written)."""
        return run(["docker", "exec"] + (["-i"] if stdin else []) + [self.container, "psql", "-U", "postgres"]
                   + list(argv), stdin=stdin)

    def guide_method1(self):
        steps = [("drop", lambda: self.guide_psql("-c", "DROP DATABASE IF EXISTS bookreader_dev;")),
                 ("create", lambda: self.guide_psql("-c", "CREATE DATABASE bookreader_dev;")),
                 ("extensions", lambda: (
                     self.guide_psql("-d", "bookreader_dev", "-c", 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";'),
                     self.guide_psql("-d", "bookreader_dev", "-c", "CREATE EXTENSION IF NOT EXISTS pg_trgm;"))),
                 ("schema", lambda: self.guide_psql("-d", "bookreader_dev", stdin=SCHEMA)),
                 ("stamp", lambda: self.guide_psql("-d", "bookreader_dev", "-c",
                                                   "INSERT INTO alembic_version (version_num) "
                                                   "VALUES ('enum_checks_2025');"))]
        for name, step in steps:
            started = time.monotonic()
            step()
            self.steps.setdefault(("guide", name), []).append(time.monotonic() - started)

    def guide_checks(self):
        for argv in CHECKS:
            self.guide_psql("-d", "bookreader_dev", *argv)

    # --- the playbooks ---------------------------------------------------------

    def playbook(self, name, *extra, profile=False):
        env = dict(self.env)
        if profile:
            env.update(ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_TASK_OUTPUT_LIMIT="all",
                       PROFILE_TASKS_SORT_ORDER="none")
        argv = [os.path.join(VENV_BIN, "ansible-playbook"), name, "-e", "db_runbooks_container=%s" % self.container,
                "-e", "db_runbooks_backup_dir=%s" % os.path.join(self.work, "backups")] + list(extra)
        out_path = os.path.join(self.work, "last.log")
        with open(out_path, "w") as out:
            proc = subprocess.Popen(argv, cwd=os.path.join(ROOT, "playbooks"), env=env, stdout=out,
                                    stderr=subprocess.STDOUT)
            rss = TreeRss(proc.pid)
            rc = proc.wait()
            peak = rss.stop()
        with open(out_path) as f:
            text = f.read()
        if rc != 0:
            raise SystemExit("bench: %s failed (rc %d):\n%s" % (name, rc, text[-4000:]))
        recap = re.search(r"changed=(\d+)", text)
        return dict(log=text, changed=int(recap.group(1)) if recap else None, rss=peak)

    # --- restore ------------------------------------------------------------------

    def drop(self):
        self.psql("-c", "DROP DATABASE IF EXISTS bookreader_dev WITH (FORCE)")

    def timed(self, case, func):
        started = time.monotonic()
        result = func()
        self.times.setdefault(case, []).append(time.monotonic() - started)
        return result

    def restore_cases(self):
        for i in range(self.args.runs):
            log("restore, round %d of %d" % (i + 1, self.args.runs))
            self.drop()
            self.timed("guide method 1", self.guide_method1)
            self.timed("guide checklist", self.guide_checks)
            self.drop()
            self.timed("restore.yml absent", lambda: self.playbook("restore.yml"))
            res = self.timed("restore.yml clean", lambda: self.playbook("restore.yml"))
            if res["changed"] != 0:
                raise SystemExit("bench: restore.yml on a clean database changed something:\n" + res["log"][-3000:])
            self.psql("-c", "DROP INDEX ix_books_title", database="bookreader_dev")
            self.timed("restore.yml broken (repaired in place)", lambda: self.playbook("restore.yml"))
        log("restore.yml absent, profiled")
        self.drop()
        self.profile = profile_table(self.playbook("restore.yml", profile=True)["log"])

    # --- the generated database and the backup ------------------------------------

    def seed(self, database, scale, words):
        """A bookreader database from seed.sql, its prose drawn from real text's word frequencies."""
        self.psql("-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % database)
        self.psql("-c", "CREATE DATABASE %s" % database)
        self.psql("-c", 'CREATE EXTENSION "uuid-ossp"', "-c", "CREATE EXTENSION pg_trgm", database=database)
        self.psql("--single-transaction", database=database, stdin=SCHEMA)
        seed = os.path.join(self.work, "seed.sql")
        with open(SEED) as f:
            text = f.read()
        # Words drawn at random from a real text's stream of words (the licences every Debian host has)
        # follow real word frequencies: it compresses no better than prose, unlike a small vocabulary.
        # 4096 of them in 64 strings of 64: two short lookups a word (PostgreSQL walks an array of text
        # element by element, so one long array would cost thousands of steps a word).
        corpus = corpus_words()
        rng = random.Random(2025)
        sample = [rng.choice(corpus) for _ in range(4096)]
        buckets = [" ".join(sample[i:i + 64]) for i in range(0, 4096, 64)]
        body = re.compile(r"CREATE FUNCTION pg_temp\.prose\(n int\).*?\$\$;\n", re.S)
        assert body.search(text), "seed.sql's prose function moved: update tests/bench/bench.py"
        array = "ARRAY[%s]" % ", ".join("'%s'" % w.replace("'", "''") for w in buckets)
        text = body.sub(lambda _: (
            "CREATE FUNCTION pg_temp.prose(n int) RETURNS text\nLANGUAGE sql VOLATILE AS $$\n"
            "  SELECT string_agg(split_part((%s)[1 + floor(random() * 64)::int], ' ', 1 + floor(random() * 64)::int),"
            " ' ') FROM generate_series(1, n)\n$$;\n" % array), text, count=1)
        with open(seed, "w") as f:
            f.write(text)
        started = time.monotonic()
        self.psql("--single-transaction", "-v", "scale=%d" % scale, "-v", "words=%d" % words,
                  database=database, stdin=seed)
        self.psql("-c", "VACUUM ANALYZE", database=database)
        log("seeded %s (scale %d, %d words a chapter) in %.0f s" % (database, scale, words,
                                                                      time.monotonic() - started))
        return int(self.value("SELECT pg_database_size('%s')" % database))

    def guide_dump(self, database, path):
        with open(path, "wb") as out:
            res = subprocess.run(["docker", "exec", self.container, "pg_dump", "-U", "postgres", "-d", database,
                                  "-F", "c"], stdout=out, stderr=subprocess.PIPE)
        if res.returncode != 0:
            raise SystemExit("bench: the guide's pg_dump failed: %s" % res.stderr.decode(errors="replace"))
        return os.path.getsize(path)

    def backup_cases(self):
        size = self.seed("bookreader_dev", self.args.scale, self.args.words)
        self.facts["database_bytes"] = size
        self.facts["rows"] = int(self.value("SELECT sum(n_live_tup) FROM pg_stat_user_tables", "bookreader_dev"))
        guide_path = os.path.join(self.work, "guide.dump")
        sizes = {"guide": [], "backup": [], "backup zstd": []}
        rss = {}
        for i in range(self.args.backup_runs):
            log("backup, round %d of %d" % (i + 1, self.args.backup_runs))
            sizes["guide"].append(self.timed("guide pg_dump -F c", lambda: self.guide_dump("bookreader_dev",
                                                                                          guide_path)))
            # The default (pg_dump -Z2 in the container, a .dump), then zstd on the docker host (a .dump.zst).
            for case, extra, suffix in (("backup.yml", [], ".dump"),
                                        ("backup.yml zstd", ["-e", "backup_compressor=zstd"], ".dump.zst")):
                shutil.rmtree(os.path.join(self.work, "backups"), ignore_errors=True)
                res = self.timed(case, lambda: self.playbook(
                    "backup.yml", "-e", "backup_drill=false", "-e", "backup_retention=false",
                    "-e", "backup_space_factor=0", *extra))
                key = "large zstd" if "zstd" in case else "large"
                rss[key] = max(rss.get(key, 0), res["rss"])
                dumps = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(self.work, "backups"))
                         for f in fs if f.endswith(suffix)]
                assert len(dumps) == 1, dumps
                sizes[case.replace(".yml", "")].append(os.path.getsize(dumps[0]))
        self.guide_dump_path = guide_path
        self.sizes = {k: statistics.median(v) for k, v in sizes.items()}
        log("backup of a one-table database, for the memory at a small size")
        self.psql("-c", "DROP DATABASE IF EXISTS tiny WITH (FORCE)", "-c", "CREATE DATABASE tiny")
        self.psql("-c", "CREATE TABLE t AS SELECT 1 AS x", database="tiny")
        rss["small"] = self.playbook("backup.yml", "-e", "db_runbooks_database=tiny", "-e", "backup_drill=false",
                                     "-e", "backup_retention=false", "-e", "backup_space_factor=0")["rss"]
        # The same with zstd: its compressor's threads and buffers are a fixed cost, counted in the tree.
        rss["small zstd"] = self.playbook("backup.yml", "-e", "db_runbooks_database=tiny", "-e", "backup_drill=false",
                                          "-e", "backup_retention=false", "-e", "backup_space_factor=0",
                                          "-e", "backup_compressor=zstd")["rss"]
        self.rss = rss

    # --- restore from a backup --------------------------------------------------------

    def data_restore_cases(self):
        jobs = int(run(["docker", "exec", self.container, "nproc"], stdout=subprocess.PIPE).stdout.decode().strip()
                   or 1)
        self.facts["container_cpus"] = jobs
        inside = "/tmp/bench.dump"

        def fresh():
            self.psql("-c", "DROP DATABASE IF EXISTS restore_bench WITH (FORCE)", "-c", "CREATE DATABASE restore_bench")

        def naive():
            run(["docker", "exec", "-i", self.container, "pg_restore", "-U", "postgres", "-d", "restore_bench",
                 "--exit-on-error", "--single-transaction"], stdin=self.guide_dump_path)

        def parallel(n):
            run(["docker", "cp", self.guide_dump_path, "%s:%s" % (self.container, inside)])
            run(["docker", "exec", self.container, "pg_restore", "-U", "postgres", "-d", "restore_bench",
                 "--exit-on-error", "-j", str(n), inside])
            run(["docker", "exec", self.container, "rm", "-f", inside])

        for i in range(self.args.backup_runs):
            log("restore from a backup, round %d of %d" % (i + 1, self.args.backup_runs))
            for case, func in (("naive stdin pg_restore", naive), ("docker cp + pg_restore -j 1", lambda: parallel(1)),
                               ("docker cp + pg_restore -j %d" % jobs, lambda: parallel(jobs))):
                fresh()
                self.timed(case, func)
        self.psql("-c", "DROP DATABASE IF EXISTS restore_bench WITH (FORCE)")
        self.parallel_case = "docker cp + pg_restore -j %d" % jobs


def corpus_words():
    words = []
    for name in sorted(os.listdir(CORPUS_DIR)):
        path = os.path.join(CORPUS_DIR, name)
        if os.path.isfile(path) and not os.path.islink(path):
            with open(path, errors="replace") as f:
                words.extend(re.findall(r"[A-Za-z][A-Za-z-]*[.,;:]?", f.read()))
    if len(words) < 10000:
        raise SystemExit("bench: %s holds %d words; the generated prose needs a real text of 10 000 or more"
                         % (CORPUS_DIR, len(words)))
    return words


def profile_table(text, top=12):
    """profile_tasks' lines (task name --- seconds), grouped by role (or playbook task), largest first."""
    totals, counts = {}, {}
    for m in re.finditer(r"^(.+?) -+ (\d+\.\d+)s$", text, re.M):
        name = m.group(1).strip()
        role = name.split(" : ", 1)[0] if " : " in name else "(playbook)"
        totals[role] = totals.get(role, 0.0) + float(m.group(2))
        counts[role] = counts.get(role, 0) + 1
    return sorted(((r, totals[r], counts[r]) for r in totals), key=lambda x: -x[1])[:top]


def median(values):
    return statistics.median(values)


def report(b, args):
    t = {k: median(v) for k, v in b.times.items()}
    lines = ["Written by `make bench` (`tests/bench/bench.py`), side by side in one run on one container. "
             "Absolute times vary with the machine; the ratios are what it is for.", "",
             "Machine: %d CPUs, %.0f GiB of memory, load %s at the start; %s; PostgreSQL %s; ansible-core %s; "
             "Python %s." % (os.cpu_count(), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30,
                             b.facts["load"], b.facts["docker"], b.facts["postgres"], b.facts["ansible"],
                             platform.python_version()), "",
             "![time per step](benchmarks.png)", "",
             "## Schema restore: restore.yml against the guide's Method 1 (median of %d, interleaved)" % args.runs, "",
             "| case | median | ratio |", "| --- | --- | --- |"]
    g, c = t["guide method 1"], t["guide checklist"]
    lines.append("| the guide's Method 1 (5 commands, no checks) | %.2f s | 1.00× |" % g)
    lines.append("| the guide's checklist (4 checks) | %.2f s | |" % c)
    for case in ("restore.yml absent", "restore.yml broken (repaired in place)"):
        lines.append("| %s | %.2f s | %.1f× Method 1 |" % (case, t[case], t[case] / g))
    lines.append("| restore.yml clean (verify only, changed=0) | %.2f s | %.1f× the checklist |"
                 % (t["restore.yml clean"], t["restore.yml clean"] / c))
    lines += ["", "Targets: absent ≤ 2.5× Method 1 (now %.1f×); clean ≤ 2× the checklist (now %.1f×)."
              % (t["restore.yml absent"] / g, t["restore.yml clean"] / c), "",
              "Where restore.yml spends its time on the absent path (profile_tasks, summed by role):", "",
              "| role | tasks | seconds |", "| --- | --- | --- |"]
    lines += ["| %s | %d | %.2f |" % (r, n, s) for r, s, n in b.profile]
    lines += ["", "## Backup: backup.yml against the guide's `pg_dump -F c` (median of %d)" % args.backup_runs, "",
              "Database: %.0f MiB (pg_database_size), %d rows; seed.sql at scale %d, %d words a chapter, the words "
              "drawn from real text's frequencies." % (b.facts["database_bytes"] / 2 ** 20, b.facts["rows"],
                                                       args.scale, args.words), "",
              "| case | median | file | speed-up | size |", "| --- | --- | --- | --- | --- |"]
    gd = t["guide pg_dump -F c"]
    lines.append("| the guide's `pg_dump -F c`, streamed out | %.2f s | %.0f MiB | 1.00× | 1.00× |"
                 % (gd, b.sizes["guide"] / 2 ** 20))
    lines.append("| backup.yml (dump, full read, sha256, manifest; drill off) | %.2f s | %.0f MiB | %.2f× | %.2f× |"
                 % (t["backup.yml"], b.sizes["backup"] / 2 ** 20, gd / t["backup.yml"],
                    b.sizes["backup"] / b.sizes["guide"]))
    lines.append("| backup.yml, `backup_compressor=zstd` (zstd -1 on the docker host, one pass) | %.2f s | %.0f MiB "
                 "| %.2f× | %.2f× |" % (t["backup.yml zstd"], b.sizes["backup zstd"] / 2 ** 20,
                                        gd / t["backup.yml zstd"], b.sizes["backup zstd"] / b.sizes["guide"]))
    lines += ["", "Targets: ≥ 3× faster (now %.2f× by default, %.2f× with zstd) at ≤ 1.2× the size (now %.2f×, "
              "%.2f×)." % (gd / t["backup.yml"], gd / t["backup.yml zstd"], b.sizes["backup"] / b.sizes["guide"],
                           b.sizes["backup zstd"] / b.sizes["guide"]), "",
              "Peak RSS of the ansible-playbook process tree (every process summed, sampled every 50 ms): "
              "%.0f MiB backing up the one-table database, %.0f MiB backing up the large one (%+.0f %%); with "
              "zstd %.0f MiB and %.0f MiB (%+.0f %%)."
              % (b.rss["small"] / 2 ** 20, b.rss["large"] / 2 ** 20,
                 100.0 * (b.rss["large"] - b.rss["small"]) / b.rss["small"],
                 b.rss["small zstd"] / 2 ** 20, b.rss["large zstd"] / 2 ** 20,
                 100.0 * (b.rss["large zstd"] - b.rss["small zstd"]) / b.rss["small zstd"]), "",
              "## Restore from a backup (the guide's dump, median of %d)" % args.backup_runs, "",
              "| restore | median | speed-up over the naive one |", "| --- | --- | --- |"]
    n = t["naive stdin pg_restore"]
    for case in ("naive stdin pg_restore", "docker cp + pg_restore -j 1", b.parallel_case):
        lines.append("| %s | %.2f s | %.2f× |" % (case, t[case], n / t[case]))
    lines += ["", "Target: the parallel path ≥ 1.15× the naive one (now %.2f×)." % (n / t[b.parallel_case]), ""]
    return "\n".join(lines)


START, END = "<!-- make bench: start -->", "<!-- make bench: end -->"


def write_report(path, text):
    """Put *text* between the markers of *path*, keeping what is written around them (or start the file)."""
    try:
        with open(path) as f:
            old = f.read()
    except IOError:
        old = ""
    block = "%s\n%s\n%s" % (START, text.rstrip("\n"), END)
    if START in old and END in old:
        new = old[:old.index(START)] + block + old[old.index(END) + len(END):]
    else:
        new = "# Benchmarks\n\n" + block + "\n" + (old.split("\n", 1)[1] if old.startswith("# Benchmarks") else old)
    with open(path, "w") as f:
        f.write(new)


def chart(b, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = {k: median(v) for k, v in b.times.items()}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    names = ["drop", "create", "extensions", "schema", "stamp"]
    left = 0.0
    for name in names:
        v = median(b.steps[("guide", name)])
        ax1.barh(["guide Method 1"], [v], left=left, label=name)
        left += v
    left = 0.0
    for role, seconds, _ in sorted(b.profile, key=lambda x: -x[1])[:8]:
        ax1.barh(["restore.yml absent"], [seconds], left=left, label=role)
        left += seconds
    ax1.set_xlabel("seconds (restore.yml: profile_tasks by role)")
    ax1.set_title("Schema restore, time per step")
    ax1.legend(fontsize=6, loc="lower right")
    cases = ["guide pg_dump -F c", "backup.yml", "backup.yml zstd", "naive stdin pg_restore",
             "docker cp + pg_restore -j 1", b.parallel_case]
    ax2.barh(cases, [t[c] for c in cases], color=["grey", "tab:blue", "tab:blue", "grey", "tab:blue", "tab:blue"])
    ax2.set_xlabel("seconds (median)")
    ax2.set_title("Backup and restore from a backup")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=5, help="rounds of the schema restore cases (median)")
    p.add_argument("--backup-runs", type=int, default=3, help="rounds of the backup and data restore cases")
    p.add_argument("--scale", type=int, default=500, help="seed.sql readers (default about 300 MB)")
    p.add_argument("--words", type=int, default=2500, help="words of prose a chapter")
    p.add_argument("--container", default="dbrb-bench-" + os.environ.get("DB_RUNBOOKS_TEST_ID", "0"),
                   help="the container it starts (and removes); one of that name it did not start is left alone")
    p.add_argument("--image", default=os.environ.get("DB_RUNBOOKS_TEST_IMAGE") or "postgres:15")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    p.add_argument("--smoke", action="store_true",
                   help="once, on a tiny database, into a temporary directory (make test)")
    args = p.parse_args()
    smoke_dir = None
    if args.smoke:
        args.runs, args.backup_runs, args.scale, args.words = 1, 1, 2, 50
        smoke_dir = tempfile.mkdtemp(prefix="dbrb-bench-smoke.")
        args.out = os.path.join(smoke_dir, "BENCHMARKS.md")
        args.container += "-smoke"
    b = Bench(args)
    try:
        b.start()
        b.facts.update(
            load=" ".join(open("/proc/loadavg").read().split()[:3]),
            docker="Docker " + run(["docker", "version", "-f", "{{.Server.Version}}"],
                                   stdout=subprocess.PIPE).stdout.decode().strip(),
            postgres=b.value("SHOW server_version"),
            ansible=run([os.path.join(VENV_BIN, "ansible"), "--version"],
                        stdout=subprocess.PIPE).stdout.decode().split("\n")[0].split("core ")[-1].rstrip("]"))
        b.restore_cases()
        b.backup_cases()
        b.data_restore_cases()
    finally:
        b.stop()
    text = report(b, args)
    write_report(args.out, text)
    chart(b, os.path.join(os.path.dirname(args.out), "benchmarks.png"))
    print(text)
    if smoke_dir:
        assert os.path.getsize(os.path.join(smoke_dir, "benchmarks.png")) > 1000
        shutil.rmtree(smoke_dir)
        log("bench smoke: every case ran, the report and the chart were written")


if __name__ == "__main__":
    main()
