"""Each public table's rows as one md5, as molecule/restore_data/tasks/checksums.yml computes them."""

import json
import os

SUMS_SQL = (
    "SELECT c.relname AS name, (xpath('/row/m/text()', query_to_xml(format("
    "'SELECT md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) AS m FROM %I.%I t', "
    "'|', '', n.nspname, c.relname), false, true, '')))[1]::text AS md5 "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1")


def live(pg):
    return dict((r["name"], r["md5"]) for r in pg.rows(SUMS_SQL))


def saved(name):
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], name), encoding="utf-8") as f:
        return json.load(f)
