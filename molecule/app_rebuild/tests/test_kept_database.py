"""The broken database, with its rows, kept aside by the rebuild and dumped."""

import glob
import json
import os
import re

from app_state import EPHEMERAL, databases_now, recorded

KEPT_RE = re.compile(r"^bookreader_dev__old_\d{8}_\d{6}$")


def _kept(pg):
    kept = [d for d in databases_now(pg) if d["name"].startswith("bookreader_dev__")]
    assert len(kept) == 1 and KEPT_RE.match(kept[0]["name"]), kept
    return kept[0]


def _in_kept(pg, sql):
    name = _kept(pg)["name"]
    pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS true' % name, "postgres")
    try:
        return pg.rows(sql, name)
    finally:
        pg.execute('ALTER DATABASE "%s" WITH ALLOW_CONNECTIONS false' % name, "postgres")


def test_the_kept_database_is_the_broken_one_renamed(pg):
    # Renamed, not copied: the oid bookreader_dev had before the rebuild.
    broken = {d["name"]: d["oid"] for d in recorded("broken")["databases"]}
    assert _kept(pg)["oid"] == broken["bookreader_dev"]


def test_the_kept_database_is_closed(pg):
    assert _kept(pg)["allow_connections"] is False


def test_the_kept_database_holds_every_row(pg):
    counts = _in_kept(pg, "SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM books) AS books, "
                          "(SELECT count(*) FROM descriptions) AS descriptions, "
                          "(SELECT count(*) FROM reading_sessions) AS reading_sessions")
    assert counts == [{"users": 30, "books": 12, "descriptions": 36, "reading_sessions": 12}]


def test_the_kept_database_still_has_its_drift(pg):
    rows = _in_kept(pg, "SELECT (SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_descriptions_chapter_priority') AS idx, "
                        "(SELECT count(*) FROM information_schema.columns WHERE table_name = 'books' "
                        "AND column_name = 'parsing_error') AS col")
    assert rows == [{"idx": 0, "col": 0}]


def test_its_safety_dump_names_it_and_its_rows(pg):
    dumps = sorted(glob.glob(os.path.join(EPHEMERAL, "backups", "bookreader_dev", "safety", "*.dump")))
    assert len(dumps) == 1, dumps
    assert os.path.exists(dumps[0] + ".sha256")
    with open(dumps[0] + ".json", encoding="utf-8") as f:
        manifest = json.load(f)
    assert manifest["database"] == _kept(pg)["name"]
    assert manifest["row_counts"]["public.users"] == 30
