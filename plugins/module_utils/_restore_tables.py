# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A partial restore: some tables' rows from a backup, into the live database, in one transaction.

The restore role writes one psql script on the docker host and runs it with
the psql action (tasks/tables.yml):

  head     BEGIN; lock the tables (SHARE ROW EXCLUSIVE: readers go on, writers
           wait); a map of the temporary tables
  data     ``pg_restore --data-only --table …`` of the dump, each COPY turned by
           REWRITE_AWK into a COPY into a temporary table of the same columns
  tail     one DO block: rows not in the dump are deleted (children first), rows
           that differ are updated and rows missing are inserted (parents
           first), every foreign key checked as usual (no trigger or
           replication-role trick); a cascading foreign key from a table not
           restored that would change it stops the run; sequences are moved
           past the restored values; then one line of JSON per table (before,
           dumped, deleted, updated, inserted, after), and COMMIT or ROLLBACK.

Run first with ROLLBACK (check mode and the refusal say exactly what would
change, and a violation is refused with nothing changed), then, confirmed,
with COMMIT. Rows that are already as in the dump are not touched, so a second
run changes nothing. Unit-tested in tests/unit/test_restore_tables.py.

This is a private module (leading underscore): its API may change between
releases of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?\Z")
REPORT_MARK = "__db_runbooks_tables__ "
MAP_TABLE = "__dbrb_restore_map"
REPORT_TABLE = "__dbrb_restore_report"

# COPY <table> (<columns>) FROM stdin; becomes a temporary table of those very
# columns (types from the live table) and a COPY into it; data lines (up to the
# line "\.") pass through untouched, so a row can never be taken for a command.
REWRITE_AWK = r"""
BEGIN { n = 0; data = 0 }
data { print; if ($0 == "\\.") data = 0; next }
/^COPY [^ ]+ \(.*\) FROM stdin;$/ {
    target = $2
    cols = $0
    sub(/^COPY [^ ]+ \(/, "", cols)
    sub(/\) FROM stdin;$/, "", cols)
    n++
    tmp = "__dbrb_rt_" n
    print "CREATE TEMP TABLE " tmp " AS SELECT " cols " FROM " target " WITH NO DATA;"
    print "INSERT INTO pg_temp.__dbrb_restore_map VALUES ('" target "', '" tmp "');"
    print "COPY pg_temp." tmp " (" cols ") FROM stdin;"
    data = 1
    next
}
{ print }
"""


def normalize(tables):
    """['chapters', 'public.books'] -> ['public.chapters', 'public.books'] (order kept, no repeats).

    A comma-separated string (as -e gives it) is split. ValueError names a bad name.
    """
    if isinstance(tables, str):
        tables = [t for t in tables.split(",")]
    out = []
    for t in tables or []:
        t = str(t).strip()
        if not NAME_RE.match(t):
            raise ValueError(
                "db_runbooks_restore_tables: %s is not a plain table name (chapters or public.chapters)" % json.dumps(t))
        t = t if "." in t else "public." + t
        if t not in out:
            out.append(t)
    return out


def order(tables, foreign_keys):
    """*tables* with every referenced table before the tables that reference it.

    foreign_keys: [{'table': 'public.descriptions', 'references': 'public.chapters'}, …]; only
    those between two of *tables* count (a self-reference does not). A cycle keeps the given order
    for the tables in it (the foreign keys are still checked: a row the cycle needs first fails).
    """
    tables = list(tables)
    deps = dict((t, set()) for t in tables)
    for fk in foreign_keys or []:
        a, b = fk.get("table"), fk.get("references")
        if a in deps and b in deps and a != b:
            deps[a].add(b)
    out = []
    while len(out) < len(tables):
        ready = [t for t in tables if t not in out and deps[t] <= set(out)]
        if not ready:
            ready = [t for t in tables if t not in out][:1]
        out.append(ready[0])
    return out


def _ident(name):
    schema, table = name.split(".", 1)
    return '"%s"."%s"' % (schema, table)


def head_sql(tables):
    """BEGIN, the map of temporary tables, the locks."""
    lines = [
        "BEGIN;",
        "CREATE TEMP TABLE %s (target text PRIMARY KEY, tmp text NOT NULL) ON COMMIT DROP;" % MAP_TABLE,
        "LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE;" % ", ".join(_ident(t) for t in tables),
    ]
    return "\n".join(lines) + "\n"


_DO_BLOCK = r"""
DO $dbrb$
DECLARE
  named text[] := ARRAY[%(named)s]::text[];
  t text; tmp text; rel regclass; n bigint; total bigint;
  pk text[]; cols text[]; nonpk text[]; keyjoin text; fk record; seq record;
BEGIN
  CREATE TEMP TABLE %(report)s (ord int, tbl text, before bigint, dumped bigint, deleted bigint DEFAULT 0,
                                updated bigint DEFAULT 0, inserted bigint DEFAULT 0, after bigint) ON COMMIT DROP;
  FOR i IN 1 .. pg_catalog.cardinality(named) LOOP
    t := named[i];
    SELECT m.tmp INTO tmp FROM pg_temp.%(map)s m WHERE m.target = t;
    IF tmp IS NULL THEN
      RAISE EXCEPTION 'db_runbooks: the dump holds no rows of table %%', t;
    END IF;
    rel := t::regclass;
    EXECUTE pg_catalog.format('SELECT count(*) FROM %%s', rel) INTO n;
    EXECUTE pg_catalog.format('SELECT count(*) FROM pg_temp.%%I', tmp) INTO total;
    INSERT INTO pg_temp.%(report)s (ord, tbl, before, dumped) VALUES (i, t, n, total);
  END LOOP;

  -- Rows the dump does not hold go, children first.
  FOR i IN REVERSE pg_catalog.cardinality(named) .. 1 LOOP
    t := named[i]; rel := t::regclass;
    SELECT m.tmp INTO tmp FROM pg_temp.%(map)s m WHERE m.target = t;
    pk := ARRAY(SELECT pg_catalog.quote_ident(a.attname::text)
                FROM pg_catalog.pg_constraint c
                CROSS JOIN LATERAL pg_catalog.unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                WHERE c.conrelid = rel AND c.contype = 'p' ORDER BY k.ord);
    IF pg_catalog.cardinality(pk) = 0 THEN
      RAISE EXCEPTION 'db_runbooks: table %% has no primary key: its rows cannot be matched with the dump''s', t;
    END IF;
    keyjoin := (SELECT pg_catalog.string_agg(pg_catalog.format('s.%%1$s = t.%%1$s', k), ' AND ')
                FROM pg_catalog.unnest(pk) AS k);
    FOR fk IN
      SELECT c.conname, c.conrelid::regclass AS src, c.confdeltype,
             (SELECT pg_catalog.string_agg(pg_catalog.format('o.%%I = t.%%I', sa.attname, da.attname), ' AND ')
              FROM ROWS FROM (pg_catalog.unnest(c.conkey), pg_catalog.unnest(c.confkey)) AS u(sk, dk)
              JOIN pg_catalog.pg_attribute sa ON sa.attrelid = c.conrelid AND sa.attnum = u.sk
              JOIN pg_catalog.pg_attribute da ON da.attrelid = c.confrelid AND da.attnum = u.dk) AS joined
      FROM pg_catalog.pg_constraint c
      WHERE c.contype = 'f' AND c.confrelid = rel AND c.confdeltype IN ('c', 'n', 'd')
        AND NOT (c.conrelid::regclass::text = ANY (named))
    LOOP
      EXECUTE pg_catalog.format(
        'SELECT count(*) FROM %%s o JOIN %%s t ON %%s WHERE NOT EXISTS (SELECT 1 FROM pg_temp.%%I s WHERE %%s)',
        fk.src, rel, fk.joined, tmp, keyjoin) INTO n;
      IF n > 0 THEN
        RAISE EXCEPTION 'db_runbooks: %% rows of %% reference rows of %% that the dump does not hold, through foreign key %% (ON DELETE %%): deleting those rows would change %%, which is not being restored; add it to db_runbooks_restore_tables to restore it too',
          n, fk.src, t, fk.conname,
          CASE fk.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END, fk.src;
      END IF;
    END LOOP;
    EXECUTE pg_catalog.format('DELETE FROM %%s t WHERE NOT EXISTS (SELECT 1 FROM pg_temp.%%I s WHERE %%s)',
                              rel, tmp, keyjoin);
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE pg_temp.%(report)s SET deleted = n WHERE ord = i;
  END LOOP;

  -- Rows that differ are updated, rows missing inserted, parents first.
  FOR i IN 1 .. pg_catalog.cardinality(named) LOOP
    t := named[i]; rel := t::regclass;
    SELECT m.tmp INTO tmp FROM pg_temp.%(map)s m WHERE m.target = t;
    pk := ARRAY(SELECT pg_catalog.quote_ident(a.attname::text)
                FROM pg_catalog.pg_constraint c
                CROSS JOIN LATERAL pg_catalog.unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                WHERE c.conrelid = rel AND c.contype = 'p' ORDER BY k.ord);
    keyjoin := (SELECT pg_catalog.string_agg(pg_catalog.format('s.%%1$s = t.%%1$s', k), ' AND ')
                FROM pg_catalog.unnest(pk) AS k);
    cols := ARRAY(SELECT pg_catalog.quote_ident(a.attname::text) FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = pg_catalog.format('pg_temp.%%I', tmp)::regclass AND a.attnum > 0
                    AND NOT a.attisdropped ORDER BY a.attnum);
    nonpk := ARRAY(SELECT c FROM pg_catalog.unnest(cols) AS c WHERE c <> ALL (pk));
    IF pg_catalog.cardinality(nonpk) > 0 THEN
      EXECUTE pg_catalog.format(
        'UPDATE %%s t SET (%%s) = ROW(%%s) FROM pg_temp.%%I s WHERE %%s AND ROW(%%s) IS DISTINCT FROM ROW(%%s)',
        rel, pg_catalog.array_to_string(nonpk, ', '),
        (SELECT pg_catalog.string_agg('s.' || c, ', ') FROM pg_catalog.unnest(nonpk) AS c), tmp, keyjoin,
        (SELECT pg_catalog.string_agg('t.' || c || '::text', ', ') FROM pg_catalog.unnest(nonpk) AS c),
        (SELECT pg_catalog.string_agg('s.' || c || '::text', ', ') FROM pg_catalog.unnest(nonpk) AS c));
      GET DIAGNOSTICS n = ROW_COUNT;
      UPDATE pg_temp.%(report)s SET updated = n WHERE ord = i;
    END IF;
    EXECUTE pg_catalog.format(
      'INSERT INTO %%s (%%s) OVERRIDING SYSTEM VALUE SELECT %%s FROM pg_temp.%%I s WHERE NOT EXISTS (SELECT 1 FROM %%s t WHERE %%s)',
      rel, pg_catalog.array_to_string(cols, ', '),
      (SELECT pg_catalog.string_agg('s.' || c, ', ') FROM pg_catalog.unnest(cols) AS c), tmp, rel, keyjoin);
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE pg_temp.%(report)s SET inserted = n WHERE ord = i;
    -- A sequence a column owns moves past the largest value restored.
    FOR seq IN
      SELECT a.attname, pg_catalog.pg_get_serial_sequence(rel::text, a.attname::text) AS s
      FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        AND pg_catalog.pg_get_serial_sequence(rel::text, a.attname::text) IS NOT NULL
    LOOP
      EXECUTE pg_catalog.format(
        'SELECT pg_catalog.setval(%%L, x.m) FROM (SELECT max(%%I) AS m FROM %%s) x WHERE x.m > (SELECT last_value FROM %%s)',
        seq.s, seq.attname, rel, seq.s);
    END LOOP;
    EXECUTE pg_catalog.format('SELECT count(*) FROM %%s', rel) INTO n;
    UPDATE pg_temp.%(report)s SET after = n WHERE ord = i;
  END LOOP;
END
$dbrb$;
SELECT '%(mark)s' || pg_catalog.json_agg(pg_catalog.row_to_json(r) ORDER BY r.ord)::text FROM pg_temp.%(report)s r;
%(end)s
"""


def tail_sql(tables, commit):
    """The DO block that makes the tables hold the dump's rows, the report, and COMMIT or ROLLBACK."""
    named = ", ".join("'%s'" % t for t in tables)
    return _DO_BLOCK % {"named": named, "report": REPORT_TABLE, "map": MAP_TABLE, "mark": REPORT_MARK,
                        "end": "COMMIT;" if commit else "ROLLBACK;"}


def parse_report(stdout):
    """The per-table lines of the script's report (a list of dicts), [] when there is none."""
    for line in (stdout or "").splitlines():
        if line.startswith(REPORT_MARK):
            data = json.loads(line[len(REPORT_MARK):])
            return data if isinstance(data, list) else []
    return []


def _n(value):
    return "{:,}".format(int(value or 0)).replace(",", " ")


def changes(report):
    """Rows the restore deletes, updates and inserts, all tables together."""
    return dict((k, sum(int(r.get(k) or 0) for r in report)) for k in ("deleted", "updated", "inserted"))


def report_lines(report):
    """'public.chapters: 36 rows now, 48 in the dump: 0 deleted, 0 updated, 12 inserted'."""
    return ["%s: %s rows now, %s in the dump: %s deleted, %s updated, %s inserted" % (
        r.get("tbl"), _n(r.get("before")), _n(r.get("dumped")), _n(r.get("deleted")), _n(r.get("updated")),
        _n(r.get("inserted"))) for r in report]


def refusal(database, container, tables, report, dump_text, confirm_option="db_runbooks_confirm_destroy"):
    """The words of a partial restore that needs its confirmation."""
    c = changes(report)
    return "\n".join([
        "Restoring the rows of %s in database %s (%s) from %s would replace what they hold now. Nothing was "
        "touched (the changes below were worked out in a transaction that was rolled back)."
        % (", ".join(tables), database, container, dump_text),
        "At stake: %s rows now in these tables; %s would be deleted (not in the dump), %s updated, %s inserted:"
        % (_n(sum(int(r.get("before") or 0) for r in report)), _n(c["deleted"]), _n(c["updated"]), _n(c["inserted"])),
        "; ".join(report_lines(report)) + ".",
        "Other tables are not touched. A safety dump of these tables is taken first. To go ahead: run again "
        "with -e %s=%s" % (confirm_option, database),
    ])
