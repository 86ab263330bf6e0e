"""Every acknowledged insert survived the restore; the safety dump survived the nightly backup."""

import glob
import json
import os
import re

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
SAFETY = os.path.join(EPHEMERAL, "backups", "bookreader_dev", "safety")


def _kept(pg):
    kept = [n for n in pg.databases() if n.startswith("bookreader_dev__old_")]
    assert len(kept) == 1, kept
    return kept[0]


def _writer_ids(pg, database):
    pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS true' % database, "postgres")
    try:
        rows = pg.rows("SELECT substring(email FROM '^writer([0-9]+)@')::int AS i FROM users "
                       "WHERE email LIKE 'writer%%'", database)
    finally:
        if database != "bookreader_dev":
            pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS false' % database, "postgres")
    return set(r["i"] for r in rows)


def _acked():
    with open(os.path.join(EPHEMERAL, "acked"), encoding="utf-8") as f:
        return set(int(line) for line in f if line.strip())


def test_the_writer_wrote_before_and_after_the_swap(pg):
    assert _writer_ids(pg, _kept(pg)), "no acknowledged insert landed in the old database"
    assert _writer_ids(pg, "bookreader_dev"), "no acknowledged insert landed in the new database"


def test_every_acknowledged_insert_is_in_a_database(pg):
    acked = _acked()
    found = _writer_ids(pg, _kept(pg)) | _writer_ids(pg, "bookreader_dev")
    assert len(acked) > 20
    assert acked - found == set(), "acknowledged but lost: %s" % sorted(acked - found)[:20]


def test_the_safety_dump_holds_every_row_of_the_kept_database(pg):
    kept = _kept(pg)
    pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS true' % kept, "postgres")
    try:
        in_kept = pg.value("SELECT count(*) FROM users", kept)
    finally:
        pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS false' % kept, "postgres")
    manifests = glob.glob(os.path.join(SAFETY, "bookreader_dev-safety-*.dump.json"))
    assert len(manifests) == 1, manifests
    with open(manifests[0], encoding="utf-8") as f:
        manifest = json.load(f)
    assert manifest["database"] == kept
    assert manifest["row_counts"]["public.users"] == in_kept >= 2000


def test_the_summary_prints_the_downtime():
    with open(os.path.join(EPHEMERAL, "restore.out"), encoding="utf-8") as f:
        out = re.sub(r"\s+", " ", f.read())
    m = re.search(r"were refused for ([0-9.]+) s", out)
    assert m, out[-2000:]
    assert float(m.group(1)) < 5


def test_the_safety_dump_survived_the_nightly_backup_and_its_retention(host):
    dumps = glob.glob(os.path.join(SAFETY, "bookreader_dev-safety-*.dump"))
    assert len(dumps) == 1
    res = host.run("cd %s && sha256sum --check --strict %s.sha256" % (SAFETY, os.path.basename(dumps[0])))
    assert res.rc == 0, res.stdout + res.stderr
    nightly = glob.glob(os.path.join(EPHEMERAL, "backups", "bookreader_dev", "bookreader_dev-*.dump"))
    assert len(nightly) == 1, nightly


def test_backup_check_warns_about_the_row_count_drop():
    with open(os.path.join(EPHEMERAL, "backup_check.out"), encoding="utf-8") as f:
        out = re.sub(r"\s+", " ", f.read())
    assert "bookreader_dev-safety-" in out, out[-3000:]
    assert re.search(r"(?i)row count", out), out[-3000:]
