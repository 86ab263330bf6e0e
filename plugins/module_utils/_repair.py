# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning of a repair in place for fancai.db_runbooks.repair_schema.

From two keyed catalogs (``_catalog.keyed_catalog``: the expected one, built
from the schema source, and the live database's) this module writes the
statements that bring the live database to the expected schema without
touching its rows, in an order PostgreSQL accepts:

1. missing extensions (``CREATE EXTENSION IF NOT EXISTS``), one statement each;
2. missing enum labels (``ALTER TYPE … ADD VALUE IF NOT EXISTS … BEFORE/AFTER``),
   each alone (a new label cannot be used in the transaction that adds it);
3. ONE transaction: enum types, sequences, tables (with their primary keys,
   constraints and indexes: a new table is empty), columns, defaults, NOT NULL,
   CHECK and FOREIGN KEY constraints on existing tables added ``NOT VALID``,
   materialized views created (or replaced) ``WITH DATA`` with their indexes,
   unpopulated ones refreshed;
4. ``VALIDATE CONSTRAINT`` for each constraint added ``NOT VALID``, alone (it
   scans the table under a lock that lets reads and writes through);
5. indexes ``CONCURRENTLY``, one by one (an invalid one left by an interrupted
   build is dropped ``CONCURRENTLY`` first; a missing primary key is a unique
   index built concurrently, then ``ADD CONSTRAINT … PRIMARY KEY USING INDEX``);
6. foreign keys whose referenced key only exists after step 5.

Each step says whether it is additive (``destructive`` false: it drops or
replaces nothing) and online (it takes no lock that blocks the application for
longer than a catalog change, and rewrites no table); a step that could meet
rows violating it carries a read-only ``precheck`` that counts them first.
What cannot be repaired without rewriting or losing data is returned in
``unrepairable`` with why; what the database has and the schema does not is
returned in ``extra`` and left alone (the repair adds, it never drops what the
application might use).

Unit-tested in ``tests/unit/test_repair.py``.  Private: the API may change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fancai.db_runbooks.plugins.module_utils._catalog import (
    _same,
    normalize_check,
    normalize_expression,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    quote_ident,
    quote_literal,
)

# Words PostgreSQL reserves (as a column or table name they need quotes).
_RESERVED = frozenset("""
all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate
collation column concurrently constraint create cross current_catalog current_date current_role
current_schema current_time current_timestamp current_user default deferrable desc distinct do else end
except false fetch for foreign freeze from full grant group having ilike in initially inner intersect into
is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on
only or order outer overlaps placing primary references returning right select session_user similar some
symmetric system_user table tablesample then to trailing true union unique user using variadic verbose when
where window with
""".split())

_PLAIN_RE = re.compile(r"^[a-z_][a-z0-9_$]*$")
_NEXTVAL_RE = re.compile(r"nextval\('((?:[^']|'')+)'(?:::regclass)?\)")
_NOT_VALID_RE = re.compile(r"\s+NOT VALID\s*$", re.IGNORECASE)
_INDEX_HEAD_RE = re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
                            r"(\"(?:[^\"]|\"\")+\"|\S+)\s+ON\s+", re.IGNORECASE)
# Defaults PostgreSQL stores once for the whole table when a column is added
# (no rewrite): constants with casts, and the stable time functions.
_FAST_DEFAULT_RE = re.compile(
    r"^\s*(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false|null|now\(\)|current_timestamp|current_date|"
    r"localtimestamp|transaction_timestamp\(\))(?:\s*::\s*[a-z_][a-z0-9_ .\"]*(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?)*\s*$",
    re.IGNORECASE)
_KEY_SUFFIX_RE = re.compile(r"\s+(?:ASC|DESC|NULLS\s+FIRST|NULLS\s+LAST)\b.*$", re.IGNORECASE)

REBUILD_HINT = "rebuild (playbooks/restore.yml) or restore a backup"


def ident(name):
    """An identifier as SQL: bare when PostgreSQL would print it bare, quoted otherwise."""
    if _PLAIN_RE.match(name) and name not in _RESERVED:
        return name
    return quote_ident(name)


def _split_key(key):
    """'books.check_x' -> ('books', 'check_x'); keys of constraints and columns are table.name."""
    table, _, name = key.partition(".")
    return table, name


def strip_not_valid(definition):
    return _NOT_VALID_RE.sub("", definition or "")


def _check_expression(definition):
    """The expression of ``CHECK (expr)`` as pg_get_constraintdef prints it."""
    text = strip_not_valid(definition).strip()
    m = re.match(r"(?is)^check\s*(\(.*\))\s*(?:no inherit)?\s*$", text)
    return m.group(1) if m else None


def _matching_paren(text, start):
    """Index of the ')' closing the '(' at *start*, skipping quoted text; -1 if none."""
    depth = 0
    i = start
    quote = None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _split_top(text):
    """Split at commas outside parentheses and quotes."""
    parts, depth, quote, cur = [], 0, None, []
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def index_parts(definition):
    """(unique, name, relation text, key list text, tail) of a pg_get_indexdef line, or None."""
    m = _INDEX_HEAD_RE.match(definition or "")
    if not m:
        return None
    rest = definition[m.end():]
    using = re.search(r"\sUSING\s+\w+\s*\(", rest)
    if not using:
        return None
    open_at = using.end() - 1
    close_at = _matching_paren(rest, open_at)
    if close_at < 0:
        return None
    return {
        "unique": bool(m.group(1)),
        "name": m.group(2),
        "relation": rest[:using.start()].strip(),
        "keys": rest[open_at + 1:close_at],
        "tail": rest[close_at + 1:].strip(),
    }


def index_columns(definition):
    """The plain key columns of an index (no expression, no opclass), or None."""
    parts = index_parts(definition)
    if not parts:
        return None
    cols = []
    for key in _split_top(parts["keys"]):
        key = _KEY_SUFFIX_RE.sub("", key).strip()
        if re.match(r'^("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)$', key):
            cols.append(key.strip('"').replace('""', '"') if key.startswith('"') else key)
        else:
            return None
    return cols


def index_predicate(definition):
    """The WHERE clause of a partial index (text after WHERE), or ''."""
    parts = index_parts(definition) or {}
    m = re.search(r"(?is)\bWHERE\s+(.*)$", parts.get("tail", ""))
    return m.group(1).strip() if m else ""


def create_index_sql(definition, concurrently):
    """pg_get_indexdef's line as an idempotent CREATE INDEX [CONCURRENTLY] IF NOT EXISTS."""
    m = _INDEX_HEAD_RE.match(definition)
    if not m:
        raise ValueError("not an index definition: %r" % definition)
    return "CREATE %sINDEX %sIF NOT EXISTS %s ON %s" % (
        "UNIQUE " if m.group(1) else "", "CONCURRENTLY " if concurrently else "", m.group(2),
        definition[m.end():].strip())


def _is_fast_default(default):
    return default is None or bool(_FAST_DEFAULT_RE.match(default))


def _sequences_of(default):
    return [s.replace("''", "'") for s in _NEXTVAL_RE.findall(default or "")]


def _words(expression):
    return set(re.findall(r"[a-z_][a-z0-9_$]*", (expression or "").lower()))


def _column_sql(name, attrs, with_not_null=True):
    sql = "%s %s" % (ident(name), attrs["type"])
    if attrs.get("default") is not None:
        sql += " DEFAULT %s" % attrs["default"]
    if with_not_null and attrs.get("not_null"):
        sql += " NOT NULL"
    return sql


def _fk_sql(attrs):
    sql = "FOREIGN KEY (%s) REFERENCES %s(%s)" % (
        ", ".join(ident(c) for c in attrs["columns"]), _rel(attrs["references"]),
        ", ".join(ident(c) for c in attrs["referenced_columns"]))
    for what in ("on_update", "on_delete"):
        action = attrs.get(what)
        if action and action != "NO ACTION":
            sql += " %s %s" % (what.replace("_", " ").upper(), action)
    return sql


def _rel(name):
    return "public.%s" % ident(name)


def _sample_key(actual, table):
    """What identifies a row of *table* in a message: its primary key's columns, else ctid."""
    for attrs in (actual.get("primary_keys") or {}).values():
        if attrs.get("relation") == table:
            cols = index_columns(attrs.get("definition"))
            if cols:
                if len(cols) == 1:
                    return "x.%s::text" % ident(cols[0])
                return "ROW(%s)::text" % ", ".join("x.%s" % ident(c) for c in cols)
    return "x.ctid::text"


def _count_sql(table, condition, sample):
    """A read-only precheck: one row, rows (bigint) and sample (text[], at most 3)."""
    return ("SELECT (SELECT count(*) FROM %s x WHERE %s) AS rows, "
            "ARRAY(SELECT %s FROM %s x WHERE %s LIMIT 3) AS sample"
            % (_rel(table), condition, sample, _rel(table), condition))


def check_precheck(table, definition, actual):
    expr = _check_expression(definition)
    if not expr:
        return None
    return _count_sql(table, "NOT coalesce(%s, true)" % expr, _sample_key(actual, table))


def fk_precheck(table, attrs, actual):
    cols = attrs["columns"]
    cond = " AND ".join("x.%s IS NOT NULL" % ident(c) for c in cols)
    if attrs["references"] in (actual.get("tables") or {}):
        match = " AND ".join("r.%s = x.%s" % (ident(rc), ident(c))
                             for c, rc in zip(cols, attrs["referenced_columns"]))
        cond += " AND NOT EXISTS (SELECT 1 FROM %s r WHERE %s)" % (_rel(attrs["references"]), match)
    # A referenced table this repair creates is empty: every row with a key violates.
    return _count_sql(table, cond, _sample_key(actual, table))


def index_key_expressions(definition):
    """The keys of an index as SQL over the alias x: plain columns qualified, expressions as they are.

    None when a key carries an operator class (its equality may not be the
    type's) or cannot be read.
    """
    parts = index_parts(definition)
    if not parts:
        return None
    keys = []
    for key in _split_top(parts["keys"]):
        key = _KEY_SUFFIX_RE.sub("", key).strip()
        key = re.sub(r'(?i)\s+COLLATE\s+("(?:[^"]|"")+"|[a-z_][a-z0-9_$.]*)$', "", key).strip()
        if re.match(r'^("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)$', key):
            keys.append("x.%s" % (key if key.startswith('"') else ident(key)))
            continue
        # An expression: "(…)" whole, or a function call "f(…)" whole.
        m = re.match(r"^(?:[a-z_][a-z0-9_$.]*)?\(", key, re.IGNORECASE)
        if m and _matching_paren(key, m.end() - 1) == len(key) - 1:
            keys.append(key if key.startswith("(") else "(%s)" % key)
            continue
        return None
    return keys or None


def unique_precheck(table, definition, primary=False):
    """Rows in duplicate key groups (and, for a primary key, rows with a NULL key column).

    A key may be an expression (``lower((email)::text)``): the rows are grouped
    by it as the index would compare them; a NULL key is never a duplicate.
    """
    exprs = index_key_expressions(definition)
    if not exprs:
        return None
    keys = ", ".join(exprs)
    where = " AND ".join("%s IS NOT NULL" % e for e in exprs)
    pred = index_predicate(definition)
    if pred:
        where += " AND (%s)" % pred
    dup = ("SELECT %s, count(*) AS n FROM %s x WHERE %s GROUP BY %s HAVING count(*) > 1"
           % (keys, _rel(table), where, keys))
    rows = "(SELECT coalesce(sum(d.n), 0) FROM (%s) d)" % dup
    sample = "ARRAY(SELECT ROW(%s)::text FROM %s x WHERE %s GROUP BY %s HAVING count(*) > 1 LIMIT 3)" % (
        keys, _rel(table), where, keys)
    if primary:
        nulls = " OR ".join("%s IS NULL" % e for e in exprs)
        rows = "%s + (SELECT count(*) FROM %s x WHERE %s)" % (rows, _rel(table), nulls)
    return "SELECT %s::bigint AS rows, %s AS sample" % (rows, sample)


def _step(kind, name, sql, transactional=False, online=True, destructive=False, precheck=None,
          what=None, detail="", **extra):
    step = {
        "kind": kind, "name": name, "sql": list(sql), "transactional": transactional, "online": online,
        "destructive": destructive, "precheck": precheck, "what": what or "%s %s" % (kind.replace("_", " "), name),
        "detail": detail,
    }
    step.update(extra)
    return step


def _has_unique_on(catalog, table, cols):
    for kind in ("primary_keys", "indexes"):
        for attrs in (catalog.get(kind) or {}).values():
            if attrs.get("relation") != table or attrs.get("valid") is False:
                continue
            if kind == "indexes" and not attrs.get("unique"):
                continue
            if index_predicate(attrs.get("definition")):
                continue
            if index_columns(attrs.get("definition")) == list(cols):
                return True
    return False


def plan_repair(expected, actual, tables_with_rows=None):
    """The steps that bring *actual* to *expected* without touching a row.

    *tables_with_rows*: names of the live tables that hold at least one row
    (None: unknown, every table is taken to hold rows).  Returns a dict with
    ``steps`` (in the order they must run), ``unrepairable`` (dicts: finding,
    why), ``extra`` (what is left alone), ``online`` (every step additive and
    online) and ``additive`` (no step drops or replaces anything).
    """
    exp = dict((k, dict(v or {})) for k, v in (expected or {}).items())
    act = dict((k, dict(v or {})) for k, v in (actual or {}).items())
    for kind in ("tables", "columns", "indexes", "primary_keys", "check_constraints", "foreign_keys",
                 "enums", "extensions", "matviews"):
        exp.setdefault(kind, {})
        act.setdefault(kind, {})

    def has_rows(table):
        return tables_with_rows is None or table in tables_with_rows

    extensions, enum_values, enum_types, validate, indexes, late = [], [], [], [], [], []
    unrepairable, extra = [], []

    def refuse(finding, why):
        unrepairable.append({"finding": finding, "why": why})

    # ---- extensions
    for name, attrs in sorted(exp["extensions"].items()):
        if name not in act["extensions"]:
            schema = attrs.get("schema") or "public"
            sql = "CREATE EXTENSION IF NOT EXISTS %s%s" % (
                ident(name), "" if schema == "pg_catalog" else " WITH SCHEMA %s" % ident(schema))
            extensions.append(_step("extension", name, [sql], what="extension %s" % name))

    # ---- enums
    for name, attrs in sorted(exp["enums"].items()):
        labels = list(attrs.get("labels") or [])
        if name not in act["enums"]:
            enum_types.append(_step("enum", name, ["CREATE TYPE public.%s AS ENUM (%s)" % (
                ident(name), ", ".join(quote_literal(lbl) for lbl in labels))], transactional=True,
                what="enum %s" % name))
            continue
        if "labels" not in attrs:
            continue
        live = list(act["enums"][name].get("labels") or [])
        removed = [lbl for lbl in live if lbl not in labels]
        common = [lbl for lbl in labels if lbl in live]
        if removed:
            refuse("enum %s: label(s) %s not in the expected schema" % (name, ", ".join(removed)),
                   "PostgreSQL cannot drop an enum label; rows may hold it: " + REBUILD_HINT)
            continue
        if common != [lbl for lbl in live if lbl in labels]:
            refuse("enum %s: labels in another order (%s, expected %s)" % (name, ", ".join(live), ", ".join(labels)),
                   "PostgreSQL cannot reorder enum labels: " + REBUILD_HINT)
            continue
        present = set(live)
        for i, lbl in enumerate(labels):
            if lbl in present:
                continue
            if i > 0:
                where = " AFTER %s" % quote_literal(labels[i - 1])
            elif live:
                where = " BEFORE %s" % quote_literal(live[0])
            else:
                where = ""
            enum_values.append(_step("enum_value", "%s.%s" % (name, lbl), [
                "ALTER TYPE public.%s ADD VALUE IF NOT EXISTS %s%s" % (ident(name), quote_literal(lbl), where)],
                what="enum %s label %s" % (name, lbl)))
            present.add(lbl)
    for name in sorted(set(act["enums"]) - set(exp["enums"])):
        extra.append("enum %s" % name)

    exp_matviews = set(exp["matviews"])
    relations_of_views = exp_matviews | set(act["matviews"])
    new_tables = [t for t in exp["tables"] if t not in act["tables"]]
    columns_by_table = {}
    for key, attrs in exp["columns"].items():
        table, col = _split_key(key)
        columns_by_table.setdefault(table, []).append((col, attrs))

    # ---- sequences the defaults use (serial columns): created before anything uses them
    sequences, owned = [], []

    def need_sequences(table, col, attrs, fill_from_rows):
        for seq in _sequences_of(attrs.get("default")):
            if seq in [s["name"] for s in sequences]:
                continue
            typ = {"integer": "integer", "smallint": "smallint"}.get(attrs.get("type"), "bigint")
            sql = ["CREATE SEQUENCE IF NOT EXISTS %s AS %s" % (seq, typ)]
            sequences.append(_step("sequence", seq, sql, transactional=True, what="sequence %s" % seq))
            owned.append("ALTER SEQUENCE %s OWNED BY %s.%s" % (seq, _rel(table), ident(col)))
            if fill_from_rows:
                # Existing rows already hold values: the sequence starts after the highest.
                owned.append("SELECT pg_catalog.setval(%s, coalesce((SELECT max(%s) FROM %s), 0) + 1, false)"
                             % (quote_literal(seq), ident(col), _rel(table)))

    # ---- tables (empty: their keys, constraints and indexes come with them)
    tables = []
    for table in new_tables:
        cols = columns_by_table.get(table)
        if not cols:
            refuse("table %s: missing" % table, "the expected catalog lists no column for it")
            continue
        parts = []
        for col, attrs in cols:
            if "type" not in attrs:
                parts = None
                break
            need_sequences(table, col, attrs, False)
            parts.append(_column_sql(col, attrs))
        if parts is None:
            refuse("table %s: missing" % table, "the expected catalog lists its columns without their types")
            continue
        for pk, attrs in sorted(exp["primary_keys"].items()):
            if attrs.get("relation") == table:
                pk_cols = index_columns(attrs.get("definition"))
                if pk_cols:
                    parts.append("CONSTRAINT %s PRIMARY KEY (%s)" % (ident(pk), ", ".join(ident(c) for c in pk_cols)))
        tables.append(_step("table", table, ["CREATE TABLE IF NOT EXISTS %s (\n    %s\n)" % (
            _rel(table), ",\n    ".join(parts))], transactional=True, what="table %s" % table))
    for table in sorted(set(act["tables"]) - set(exp["tables"])):
        extra.append("table %s" % table)

    # ---- columns of existing tables
    columns = []
    missing_columns = {}
    for key, attrs in exp["columns"].items():
        table, col = _split_key(key)
        if table in relations_of_views or table not in act["tables"] or table not in exp["tables"]:
            continue
        live = act["columns"].get(key)
        if live is None:
            missing_columns.setdefault(table, set()).add(col)
            if "type" not in attrs:
                refuse("column %s: missing" % key, "the expected catalog does not give its type")
                continue
            if attrs.get("not_null") and attrs.get("default") is None and has_rows(table):
                refuse("column %s: missing, NOT NULL without a default" % key,
                       "table %s holds rows and the column has no value to give them: add it by a migration "
                       "that fills it, or %s" % (table, REBUILD_HINT))
                continue
            need_sequences(table, col, attrs, False)
            fast = _is_fast_default(attrs.get("default")) and not _sequences_of(attrs.get("default"))
            columns.append(_step(
                "column", key, ["ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s" % (_rel(table), _column_sql(col, attrs))],
                transactional=True, online=fast or not has_rows(table), what="column %s" % key,
                detail="" if fast else "its default is computed per row: the table is rewritten under an exclusive lock"))
            continue
        if "type" in attrs and attrs["type"] != live.get("type"):
            refuse("column %s: type is %s, expected %s" % (key, live.get("type"), attrs["type"]),
                   "changing a column's type rewrites every row and may fail on their values: " + REBUILD_HINT)
            continue
        if "default" in attrs and not _same("columns", "default", attrs["default"], live.get("default")):
            if attrs["default"] is None:
                sql = "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT" % (_rel(table), ident(col))
            else:
                need_sequences(table, col, attrs, has_rows(table))
                sql = "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s" % (_rel(table), ident(col), attrs["default"])
            columns.append(_step("column_default", key, [sql], transactional=True,
                                 what="default of column %s" % key))
        if "not_null" in attrs and bool(attrs["not_null"]) != bool(live.get("not_null")):
            if attrs["not_null"]:
                columns.append(_step(
                    "column_not_null", key,
                    ["ALTER TABLE %s ALTER COLUMN %s SET NOT NULL" % (_rel(table), ident(col))],
                    transactional=True, online=not has_rows(table), what="NOT NULL of column %s" % key,
                    precheck=_count_sql(table, "x.%s IS NULL" % ident(col), _sample_key(act, table)),
                    detail="PostgreSQL reads the whole table under an exclusive lock to check it"))
            else:
                columns.append(_step("column_not_null", key, [
                    "ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL" % (_rel(table), ident(col))],
                    transactional=True, what="NULL allowed in column %s" % key))
    for key in act["columns"]:
        table, _ = _split_key(key)
        if key not in exp["columns"] and table in exp["tables"] and table not in relations_of_views:
            extra.append("column %s" % key)

    # ---- CHECK constraints
    checks = []
    for key, attrs in sorted(exp["check_constraints"].items()):
        table, name = _split_key(key)
        definition = strip_not_valid(attrs.get("definition") or "")
        if not definition:
            continue
        add = "ALTER TABLE %s ADD CONSTRAINT %s %s" % (_rel(table), ident(name), definition)
        if table in new_tables:
            checks.append(_step("check_constraint", key, [add], transactional=True,
                                what="check constraint %s on %s" % (name, table)))
            continue
        if table not in act["tables"]:
            continue
        live = act["check_constraints"].get(key)
        pre = None
        if not (_words(_check_expression(definition)) & missing_columns.get(table, set())):
            pre = check_precheck(table, definition, act)
        what = "check constraint %s on %s" % (name, table)
        if live is not None:
            live_def = live.get("definition") or ""
            if normalize_check(strip_not_valid(live_def)) == normalize_check(definition):
                if _NOT_VALID_RE.search(live_def):
                    validate.append(_step("validate", key, [
                        "ALTER TABLE %s VALIDATE CONSTRAINT %s" % (_rel(table), ident(name))],
                        precheck=pre, what="validation of " + what, table=table, constraint=name))
                continue
            checks.append(_step("check_constraint", key, [
                "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s" % (_rel(table), ident(name)), add + " NOT VALID"],
                transactional=True, destructive=True, precheck=pre, what=what,
                detail="replaces the live definition %s" % normalize_check(live_def)))
        else:
            checks.append(_step("check_constraint", key, [add + " NOT VALID"], transactional=True,
                                precheck=pre, what=what))
        validate.append(_step("validate", key, ["ALTER TABLE %s VALIDATE CONSTRAINT %s" % (_rel(table), ident(name))],
                              what="validation of " + what, table=table, constraint=name, added=True))
    for key in sorted(set(act["check_constraints"]) - set(exp["check_constraints"])):
        extra.append("check constraint %s" % key)

    # ---- foreign keys
    fks = []
    fk_attrs = ("columns", "references", "referenced_columns", "on_delete", "on_update")
    for key, attrs in sorted(exp["foreign_keys"].items()):
        table, name = _split_key(key)
        if not all(a in attrs for a in ("columns", "references", "referenced_columns")):
            continue
        add = "ALTER TABLE %s ADD CONSTRAINT %s %s" % (_rel(table), ident(name), _fk_sql(attrs))
        what = "foreign key %s on %s" % (name, table)
        if table in new_tables:
            fks.append(_step("foreign_key", key, [add], transactional=True, what=what))
            continue
        if table not in act["tables"]:
            continue
        live = act["foreign_keys"].get(key)
        # Columns this repair adds have no rows to count yet: VALIDATE says what it finds.
        uses_new = bool(set(attrs["columns"]) & missing_columns.get(table, set())) or bool(
            set(attrs["referenced_columns"]) & missing_columns.get(attrs["references"], set()))
        pre = None if uses_new else fk_precheck(table, attrs, act)
        ref_ready = attrs["references"] not in act["tables"] or _has_unique_on(
            act, attrs["references"], attrs["referenced_columns"])
        validate_step = _step("validate", key, ["ALTER TABLE %s VALIDATE CONSTRAINT %s" % (_rel(table), ident(name))],
                              what="validation of " + what, table=table, constraint=name, added=True)
        if live is not None:
            same = all(a not in attrs or attrs[a] == live.get(a) for a in fk_attrs)
            if same:
                if live.get("validated") is False:
                    validate.append(_step("validate", key, [
                        "ALTER TABLE %s VALIDATE CONSTRAINT %s" % (_rel(table), ident(name))],
                        precheck=pre, what="validation of " + what, table=table, constraint=name))
                continue
            sql = ["ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s" % (_rel(table), ident(name)), add + " NOT VALID"]
            step = _step("foreign_key", key, sql, transactional=True, destructive=True, precheck=pre, what=what,
                         detail="replaces the live key (%s) references %s(%s)" % (
                             ", ".join(live.get("columns") or []), live.get("references"),
                             ", ".join(live.get("referenced_columns") or [])))
        else:
            step = _step("foreign_key", key, [add + " NOT VALID"], transactional=True, precheck=pre, what=what)
        if ref_ready:
            fks.append(step)
            validate.append(validate_step)
        else:
            # The referenced key is an index this repair builds concurrently: the key comes after it.
            step["transactional"] = False
            late.append(step)
            late.append(validate_step)
    for key in sorted(set(act["foreign_keys"]) - set(exp["foreign_keys"])):
        extra.append("foreign key %s" % key)

    # ---- materialized views
    views = []
    recreated = set()
    for name, attrs in exp["matviews"].items():
        definition = (attrs.get("definition") or "").strip().rstrip(";").strip()
        if not definition:
            continue
        create = "CREATE MATERIALIZED VIEW IF NOT EXISTS public.%s AS\n%s\nWITH DATA" % (ident(name), definition)
        live = act["matviews"].get(name)
        if live is None:
            views.append(_step("matview", name, [create], transactional=True, what="materialized view %s" % name,
                               detail="created and populated from the current rows"))
            recreated.add(name)
        elif not _same("matviews", "definition", attrs.get("definition"), live.get("definition")):
            lost = sorted(k for k, v in act["indexes"].items() if v.get("relation") == name
                          and k not in exp["indexes"])
            views.append(_step(
                "matview", name, ["DROP MATERIALIZED VIEW IF EXISTS public.%s" % ident(name), create],
                transactional=True, online=False, destructive=True, what="materialized view %s" % name,
                detail="replaces a different query (its readers wait until the transaction ends)%s" % (
                    "; its indexes not in the schema are dropped with it: %s" % ", ".join(lost) if lost else "")))
            recreated.add(name)
        elif live.get("populated") is False:
            views.append(_step("matview_refresh", name, ["REFRESH MATERIALIZED VIEW public.%s" % ident(name)],
                               transactional=True, what="materialized view %s (not populated)" % name))
    for name in sorted(set(act["matviews"]) - exp_matviews):
        extra.append("matview %s" % name)

    # ---- indexes and primary keys
    in_tx_indexes = []
    for name, attrs in sorted(exp["indexes"].items()):
        table = attrs.get("relation")
        definition = attrs.get("definition")
        if not definition or not table:
            continue
        what = "index %s on %s" % (name, table)
        if table in new_tables or table in recreated:
            in_tx_indexes.append(_step("index", name, [create_index_sql(definition, False)], transactional=True,
                                       what=what, detail="on a relation this transaction creates"))
            continue
        if table not in act["tables"] and table not in act["matviews"]:
            continue
        if name in act["primary_keys"]:
            refuse("index %s: is a primary key in the database" % name, "primary key changes: " + REBUILD_HINT)
            continue
        live = act["indexes"].get(name)
        parts = index_parts(definition) or {}
        pre = unique_precheck(table, definition) if attrs.get("unique", parts.get("unique")) else None
        create = create_index_sql(definition, True)
        drop = "DROP INDEX CONCURRENTLY IF EXISTS public.%s" % ident(name)
        if live is None:
            indexes.append(_step("index", name, [create], precheck=pre, what=what, index=name, relation=table))
        elif not all(a not in attrs or _same("indexes", a, attrs[a], live.get(a))
                     for a in ("relation", "unique", "definition")):
            indexes.append(_step("index", name, [drop, create], destructive=True, precheck=pre, what=what,
                                 index=name, relation=table,
                                 detail="replaces the live definition %s" % live.get("definition")))
        elif live.get("valid") is False:
            indexes.append(_step("index", name, [drop, create], precheck=pre, what=what, index=name, relation=table,
                                 detail="invalid (an interrupted build left it): dropped and built again"))
    for name, attrs in sorted(exp["primary_keys"].items()):
        table = attrs.get("relation")
        if not table or table in new_tables or table not in act["tables"]:
            continue
        live = act["primary_keys"].get(name)
        other = [k for k, v in act["primary_keys"].items() if v.get("relation") == table and k != name]
        if live is not None:
            if not all(a not in attrs or _same("primary_keys", a, attrs[a], live.get(a))
                       for a in ("relation", "definition")):
                refuse("primary key %s: differs (%s, expected %s)" % (name, live.get("definition"), attrs.get("definition")),
                       "primary key changes: " + REBUILD_HINT)
            continue
        if other:
            refuse("primary key %s: table %s has primary key %s instead" % (name, table, ", ".join(other)),
                   "primary key changes: " + REBUILD_HINT)
            continue
        definition = attrs.get("definition") or ""
        add = "ALTER TABLE %s ADD CONSTRAINT %s PRIMARY KEY USING INDEX %s" % (_rel(table), ident(name), ident(name))
        as_index = act["indexes"].get(name)
        what = "primary key %s on %s" % (name, table)
        if as_index is not None and as_index.get("valid") is not False and as_index.get("unique") \
                and _same("indexes", "definition", definition, as_index.get("definition")):
            indexes.append(_step("primary_key", name, [add], what=what,
                                 detail="its unique index exists (an earlier run built it)"))
            continue
        sql = ([] if as_index is None else ["DROP INDEX CONCURRENTLY IF EXISTS public.%s" % ident(name)]) + [
            create_index_sql(definition, True), add]
        indexes.append(_step("primary_key", name, sql, precheck=unique_precheck(table, definition, primary=True),
                             what=what, index=name, relation=table, drop_index_on_failure=True,
                             destructive=as_index is not None))
    for name, attrs in sorted(act["indexes"].items()):
        if name not in exp["indexes"] and name not in exp["primary_keys"] and attrs.get("relation") in exp["tables"]:
            extra.append("index %s" % name)

    for step in views:
        if step["kind"] == "matview":
            step["sql"] += [s["sql"][0] for s in in_tx_indexes if step["name"] == exp["indexes"][s["name"]]["relation"]]
    tx_indexes_tables = [s for s in in_tx_indexes if exp["indexes"][s["name"]]["relation"] not in recreated]

    owned_step = []
    if owned:
        owned_step = [_step("sequence_owner", "sequences", owned, transactional=True,
                            what="sequences owned by their columns")]
    steps = (extensions + enum_values
             + enum_types + sequences + tables + columns + owned_step
             + checks + fks + views + tx_indexes_tables
             + validate + indexes + late)
    online = all(s["online"] and not s["destructive"] for s in steps)
    return {
        "steps": steps,
        "unrepairable": unrepairable,
        "extra": sorted(set(extra)),
        "online": online,
        "additive": all(not s["destructive"] for s in steps),
    }


def batches(steps):
    """Group the steps as they run: consecutive transactional ones in one batch, each other alone."""
    out = []
    for step in steps:
        if step["transactional"] and out and out[-1]["transactional"]:
            out[-1]["steps"].append(step)
        else:
            out.append({"transactional": step["transactional"], "steps": [step]})
    return out


def script_of(steps):
    """The SQL of the steps, as --check --diff shows it (one statement a line, batches marked)."""
    lines = []
    for batch in batches(steps):
        if batch["transactional"]:
            lines.append("BEGIN;")
        for step in batch["steps"]:
            lines.append("-- %s%s" % (step["what"], (": " + step["detail"]) if step["detail"] else ""))
            lines += [s.rstrip(";") + ";" for s in step["sql"]]
        if batch["transactional"]:
            lines.append("COMMIT;")
    return "\n".join(lines) + ("\n" if lines else "")


def precheck_query(steps):
    """One read-only query: (step, rows, sample) for every step with a precheck."""
    parts = []
    for i, step in enumerate(steps):
        if step.get("precheck"):
            parts.append("SELECT %d AS step, p.rows::bigint AS rows, p.sample::text[] AS sample FROM (%s) p"
                         % (i, step["precheck"]))
    return "\nUNION ALL\n".join(parts) if parts else None


def describe_violations(steps, results, database):
    """The refusal: every constraint that rows would violate, with the count, and that nothing changed."""
    lines = []
    for row in results:
        if int(row.get("rows") or 0) <= 0:
            continue
        step = steps[int(row["step"])]
        sample = [s for s in (row.get("sample") or []) if s is not None]
        lines.append("%s: %d row%s violate%s it%s" % (
            step["what"], int(row["rows"]), "" if int(row["rows"]) == 1 else "s", "s" if int(row["rows"]) == 1 else "",
            (" (%s%s)" % (", ".join(sample), ", …" if int(row["rows"]) > len(sample) else "")) if sample else ""))
    if not lines:
        return None
    return ("%s; nothing was changed in %s; fix or delete those rows, then run playbooks/repair.yml again."
            % ("; ".join(lines), database))


def normalized(value):
    """For tests and messages: a definition as the comparison sees it."""
    return normalize_expression(value)


# ---- what an operator needs when a step cannot go on: who holds the locks, which builds still run

# Sessions (other than this one) holding locks on tables, materialized views or
# indexes of the public schema of this database, strongest first. Neither the
# text of their queries nor their user is read: a query may hold a secret.
BLOCKERS_QUERY = (
    "SELECT a.pid, coalesce(nullif(a.application_name, ''), '?') AS application, coalesce(a.state, '?') AS state, "
    "extract(epoch FROM now() - a.xact_start)::bigint AS xact_seconds, "
    "string_agg(DISTINCT l.mode || ' on ' || c.relname, ', ') AS locks, "
    "bool_or(l.mode = 'AccessExclusiveLock') AS exclusive "
    "FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_class c ON c.oid = l.relation "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' "
    "JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_catalog.pg_backend_pid() "
    "AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) "
    "GROUP BY a.pid, a.application_name, a.state, a.xact_start "
    "ORDER BY bool_or(l.mode = 'AccessExclusiveLock') DESC, a.xact_start NULLS LAST LIMIT 5"
)


def describe_blockers(rows, lock_timeout, option="repair_lock_timeout", then="then run playbooks/repair.yml again."):
    """The sessions that held locks when a statement gave up after lock_timeout, and what to do.

    *option* is the variable that raises the timeout, *then* the last words (what to run next).
    """
    held = []
    for row in rows or []:
        age = row.get("xact_seconds")
        held.append("pid %s (application %s, %s%s) holds %s" % (
            row.get("pid"), row.get("application"), row.get("state"),
            ", in a transaction for %ss" % age if age is not None else "", row.get("locks")))
    if held:
        pids = [str(r.get("pid")) for r in rows]
        who = ("It waited longer than lock_timeout=%s for a lock another session holds: %s. Wait until %s ends, "
               "or end %s if that is safe (SELECT pg_terminate_backend(%s)), or raise %s; "
               % (lock_timeout, "; ".join(held), "that session" if len(pids) == 1 else "those sessions",
                  "it" if len(pids) == 1 else "them", pids[0] if len(pids) == 1 else "<pid>", option))
    else:
        who = ("It waited longer than lock_timeout=%s for a lock another session held (gone by now). Run again at a "
               "quieter time, or raise %s; " % (lock_timeout, option))
    return who + then


def index_builds_query():
    """CREATE INDEX / REINDEX in progress in this database (pg_stat_progress_create_index), with their index."""
    return (
        "SELECT p.pid, coalesce(nullif(a.application_name, ''), '?') AS application, p.phase, "
        "coalesce(i.relname, '') AS index, coalesce(t.relname, '') AS relation, "
        "extract(epoch FROM now() - a.query_start)::bigint AS seconds "
        "FROM pg_catalog.pg_stat_progress_create_index p "
        "LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid "
        "LEFT JOIN pg_catalog.pg_class i ON i.oid = p.index_relid "
        "LEFT JOIN pg_catalog.pg_class t ON t.oid = p.relid "
        "WHERE p.datname = current_database() AND p.pid <> pg_catalog.pg_backend_pid()")


def _touched(step):
    """(indexes, relations) a step builds or drops concurrently; ((), ()) for the others."""
    if step.get("transactional") or not step.get("index"):
        return set(), set()
    return {step["index"]}, {step.get("relation")} - {None}


def describe_builds(steps, builds, database):
    """The refusal when an index the plan builds (or a table it builds one on) is being built by another session.

    An index build outlives the run that started it when that run is killed: the
    docker client ends, the server's session does not. Dropping or building the
    index beside it would only wait for its lock and fail; the operator decides.
    """
    names, relations = set(), set()
    for step in steps:
        n, r = _touched(step)
        names |= n
        relations |= r
    lines = []
    for b in builds or []:
        if b.get("index") in names or b.get("relation") in relations:
            lines.append("index %s on %s is being built by pid %s (application %s, phase %s, for %ss)" % (
                b.get("index") or "?", b.get("relation") or "?", b.get("pid"), b.get("application"),
                b.get("phase"), b.get("seconds")))
    if not lines:
        return None
    pids = [str(b.get("pid")) for b in builds if b.get("index") in names or b.get("relation") in relations]
    return ("%s: a run that was interrupted leaves its build running in the server, or another tool is building "
            "it. Nothing was changed in %s. Wait for it to end (a build that completes leaves the index valid), or "
            "cancel it (%s: the index is left invalid, and the repair drops it and builds it again); then run "
            "playbooks/repair.yml again." % ("; ".join(lines), database, "; ".join(
                "SELECT pg_cancel_backend(%s)" % p for p in pids)))
