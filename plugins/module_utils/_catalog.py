# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure catalog reading and comparison for fancai.db_runbooks.verify_schema.

Nothing here talks to Docker or PostgreSQL.  This module builds the one psql
script that reads the catalogs of one or more databases (one JSON object per
database), parses what psql prints, reshapes it into a catalog keyed by object
name, and compares two catalogs by name with normalised semantics, so two
databases built from different sources (the bundled DDL, a pg_dump file) do
not differ where PostgreSQL merely re-deparsed an expression.

Unit-tested in ``tests/unit/test_catalog.py``.  Private: the API may change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    quote_literal,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._database_properties import (
    properties_select_sql,
)

# Printed before each section of the script's output; never valid JSON, never
# a catalog value, so a section boundary cannot be mistaken.
SECTION_MARKER = "__db_runbooks_catalog__"

# One SELECT returning the whole catalog of the connected database as one JSON
# object.  Only the public schema is read: the extensions' own objects live in
# it too (functions, operators), but no table, index, constraint or enum of
# theirs does.  CHECK constraints are those ON TABLES (conrelid <> 0): the
# guide's query also counts information_schema's domain constraints.
CATALOG_QUERY = r"""
SELECT json_build_object(
  'tables', (SELECT coalesce(json_agg(c.relname ORDER BY c.relname), '[]')
             FROM pg_catalog.pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')),
  'columns', (SELECT coalesce(json_agg(json_build_object(
                 'relation', c.relname, 'name', a.attname,
                 'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                 'not_null', a.attnotnull,
                 'default', pg_catalog.pg_get_expr(d.adbin, d.adrelid))
               ORDER BY c.relname, a.attnum), '[]')
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_attribute a
                ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
              LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'm')),
  'indexes', (SELECT coalesce(json_agg(json_build_object(
                 'name', i.relname, 'relation', t.relname,
                 'unique', x.indisunique, 'primary', x.indisprimary, 'valid', x.indisvalid,
                 'definition', pg_catalog.pg_get_indexdef(x.indexrelid))
               ORDER BY i.relname), '[]')
              FROM pg_catalog.pg_index x
              JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
              JOIN pg_catalog.pg_class t ON t.oid = x.indrelid
              WHERE t.relnamespace = 'public'::regnamespace AND t.relkind IN ('r', 'p', 'm')),
  'check_constraints', (SELECT coalesce(json_agg(json_build_object(
                 'name', con.conname, 'relation', t.relname,
                 'definition', pg_catalog.pg_get_constraintdef(con.oid))
               ORDER BY t.relname, con.conname), '[]')
              FROM pg_catalog.pg_constraint con
              JOIN pg_catalog.pg_class t ON t.oid = con.conrelid
              WHERE con.contype = 'c' AND con.conrelid <> 0
                AND t.relnamespace = 'public'::regnamespace),
  'foreign_keys', (SELECT coalesce(json_agg(json_build_object(
                 'name', con.conname, 'relation', t.relname,
                 'columns', (SELECT json_agg(a.attname ORDER BY k.n)
                             FROM unnest(con.conkey) WITH ORDINALITY k(attnum, n)
                             JOIN pg_catalog.pg_attribute a
                               ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
                 'references', r.relname,
                 'referenced_columns', (SELECT json_agg(a.attname ORDER BY k.n)
                             FROM unnest(con.confkey) WITH ORDINALITY k(attnum, n)
                             JOIN pg_catalog.pg_attribute a
                               ON a.attrelid = con.confrelid AND a.attnum = k.attnum),
                 'on_delete', con.confdeltype, 'on_update', con.confupdtype,
                 'validated', con.convalidated)
               ORDER BY t.relname, con.conname), '[]')
              FROM pg_catalog.pg_constraint con
              JOIN pg_catalog.pg_class t ON t.oid = con.conrelid
              JOIN pg_catalog.pg_class r ON r.oid = con.confrelid
              WHERE con.contype = 'f' AND t.relnamespace = 'public'::regnamespace),
  'enums', (SELECT coalesce(json_agg(json_build_object(
                 'name', ty.typname,
                 'labels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)
                            FROM pg_catalog.pg_enum e WHERE e.enumtypid = ty.oid))
               ORDER BY ty.typname), '[]')
              FROM pg_catalog.pg_type ty
              WHERE ty.typtype = 'e' AND ty.typnamespace = 'public'::regnamespace),
  'extensions', (SELECT coalesce(json_agg(json_build_object(
                 'name', x.extname, 'version', x.extversion,
                 'schema', x.extnamespace::regnamespace::text)
               ORDER BY x.extname), '[]')
              FROM pg_catalog.pg_extension x),
  'matviews', (SELECT coalesce(json_agg(json_build_object(
                 'name', c.relname, 'populated', c.relispopulated,
                 'definition', pg_catalog.pg_get_viewdef(c.oid))
               ORDER BY c.relname), '[]')
              FROM pg_catalog.pg_class c
              WHERE c.relkind = 'm' AND c.relnamespace = 'public'::regnamespace)
)
""".strip()

# alembic_version is read only when it exists (a SELECT on a missing table
# would stop the script); to_jsonb(...) ->> tolerates a table without the column.
ALEMBIC_QUERY = (
    "SELECT coalesce(json_agg(v ORDER BY v), '[]') FROM "
    "(SELECT to_jsonb(a) ->> 'version_num' AS v FROM public.alembic_version a) AS s"
)

# Kinds of objects, in summary order: (key, label in messages, plural label,
# attributes compared when the expected entry has them).
KINDS = (
    ("tables", "table", "tables", ()),
    ("columns", "column", "columns", ("type", "not_null", "default")),
    ("indexes", "index", "indexes", ("relation", "unique", "definition")),
    ("primary_keys", "primary key", "primary keys", ("relation", "definition")),
    ("check_constraints", "check constraint", "check constraints", ("definition",)),
    ("foreign_keys", "foreign key", "foreign keys",
     ("columns", "references", "referenced_columns", "on_delete", "on_update")),
    ("enums", "enum", "enums", ("labels",)),
    ("extensions", "extension", "extensions", ()),
    ("matviews", "matview", "matviews", ("definition",)),
)
KIND_NAMES = tuple(k[0] for k in KINDS)

_FK_ACTIONS = {
    "a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT",
}

OK_MARK = "\u2713"
BAD_MARK = "\u2717"


# --------------------------------------------------------------------------
# The psql script and its output
# --------------------------------------------------------------------------

def build_catalog_script(databases, properties=False):
    """Return one psql script reading the catalog of each (label, database).

    The script starts in any database (the maintenance one), asks whether each
    database exists (pg_database is shared by all), and only ``\\connect``s to
    the ones that do: a missing database is reported, never a psql error.
    Each section is announced by ``SECTION_MARKER <label> <part>``.
    With *properties*, each database's own properties (encoding, locale,
    owner, settings, ACL, comment: ``_database_properties``) are read too,
    from pg_database, before the ``\\connect``.
    """
    lines = []
    for label, database in databases:
        var = "__dbrb_%s" % label
        lines += [
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s) AS %s_exists \\gset"
            % (quote_literal(database), var),
            "\\echo %s %s exists :%s_exists" % (SECTION_MARKER, label, var),
            "\\if :%s_exists" % var,
        ]
        if properties:
            lines += [
                "\\echo %s %s properties" % (SECTION_MARKER, label),
                "SELECT %s;" % properties_select_sql(database),
            ]
        lines += [
            "\\connect %s" % database,
            "\\echo %s %s catalog" % (SECTION_MARKER, label),
            CATALOG_QUERY + ";",
            "SELECT pg_catalog.to_regclass('public.alembic_version') IS NOT NULL AS %s_alembic \\gset" % var,
            "\\if :%s_alembic" % var,
            "\\echo %s %s alembic" % (SECTION_MARKER, label),
            ALEMBIC_QUERY + ";",
            "\\endif",
            "\\endif",
        ]
    return "\n".join(lines) + "\n"


def parse_catalog_output(stdout):
    """Return {label: {exists, catalog, alembic_version}} from the script's output.

    ``catalog`` is the raw JSON object (None when the database is missing),
    ``alembic_version`` the list of version_num values, or None when the
    alembic_version table does not exist.
    """
    out = {}
    current = None
    buf = {}
    for line in stdout.splitlines():
        if line.startswith(SECTION_MARKER + " "):
            parts = line.split()
            label, part = parts[1], parts[2]
            entry = out.setdefault(label, {"exists": False, "catalog": None, "alembic_version": None,
                                           "properties": None})
            if part == "exists":
                entry["exists"] = len(parts) > 3 and parts[3] == "t"
                current = None
            else:
                current = (label, part)
                buf[current] = []
            continue
        if current is not None:
            buf[current].append(line)
    for (label, part), payload in buf.items():
        text = "\n".join(payload).strip()
        if not text:
            raise ValueError("no %s printed for %s" % (part, label))
        value = json.loads(text)
        out[label][{"catalog": "catalog", "properties": "properties"}.get(part, "alembic_version")] = value
    return out


def keyed_catalog(raw):
    """Reshape the query's JSON (lists of rows) into {kind: {key: attributes}}.

    Keys are what messages name: an index or a matview by its name, a column
    as ``table.column``, a constraint as ``table.constraint`` (constraint names
    are unique per table only).
    """
    cat = dict((kind, {}) for kind in KIND_NAMES)
    for name in raw.get("tables") or []:
        cat["tables"][name] = {}
    for col in raw.get("columns") or []:
        cat["columns"]["%s.%s" % (col["relation"], col["name"])] = {
            "type": col["type"], "not_null": col["not_null"], "default": col["default"],
        }
    for idx in raw.get("indexes") or []:
        kind = "primary_keys" if idx.get("primary") else "indexes"
        entry = {"relation": idx["relation"], "definition": idx["definition"]}
        if kind == "indexes":
            entry["unique"] = idx["unique"]
        if "valid" in idx:
            # False: left by an interrupted CREATE INDEX CONCURRENTLY (never used by a query).
            entry["valid"] = idx["valid"]
        cat[kind][idx["name"]] = entry
    for con in raw.get("check_constraints") or []:
        cat["check_constraints"]["%s.%s" % (con["relation"], con["name"])] = {
            "definition": con["definition"],
        }
    for fk in raw.get("foreign_keys") or []:
        cat["foreign_keys"]["%s.%s" % (fk["relation"], fk["name"])] = {
            "columns": fk["columns"],
            "references": fk["references"],
            "referenced_columns": fk["referenced_columns"],
            "on_delete": _FK_ACTIONS.get(fk["on_delete"], fk["on_delete"]),
            "on_update": _FK_ACTIONS.get(fk["on_update"], fk["on_update"]),
        }
        if "validated" in fk:
            # False: added NOT VALID and never validated (rows written before it are unchecked).
            cat["foreign_keys"]["%s.%s" % (fk["relation"], fk["name"])]["validated"] = fk["validated"]
    for enum in raw.get("enums") or []:
        cat["enums"][enum["name"]] = {"labels": enum["labels"] or []}
    for ext in raw.get("extensions") or []:
        cat["extensions"][ext["name"]] = {"version": ext["version"], "schema": ext["schema"]}
    for mv in raw.get("matviews") or []:
        cat["matviews"][mv["name"]] = {"populated": mv["populated"], "definition": mv["definition"]}
    return cat


def coerce_expected(expected):
    """Accept a catalog as returned by the module, or a hand-written manifest.

    Each kind may be a dict (name to attributes, compared when present) or a
    list of names (presence only).  Returns (catalog, error message or None).
    """
    if not isinstance(expected, dict):
        return None, "expected must be a dictionary of object kinds, got %r" % type(expected).__name__
    unknown = sorted(set(expected) - set(KIND_NAMES))
    if unknown:
        return None, (
            "expected has unknown kind(s) %s: use %s." % (", ".join(unknown), ", ".join(KIND_NAMES))
        )
    cat = {}
    for kind in KIND_NAMES:
        value = expected.get(kind)
        if value is None:
            continue
        if isinstance(value, list):
            cat[kind] = dict((str(name), {}) for name in value)
        elif isinstance(value, dict):
            cat[kind] = dict((str(k), dict(v or {})) for k, v in value.items())
        else:
            return None, "expected.%s must be a list of names or a dictionary, got %r" % (
                kind, type(value).__name__)
    return cat, None


# --------------------------------------------------------------------------
# Expression normalisation
# --------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"""
    (?P<string>[EeNn]?'(?:[^']|'')*')
  | (?P<qident>"(?:[^"]|"")*")
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<cast>::)
  | (?P<op>[-+*/<>=~!@\#%^&|`?]+)
  | (?P<punct>[()\[\],.;])
  | (?P<space>\s+)
""", re.VERBOSE)

# Words after which a parenthesis groups an operand instead of opening an
# argument list; everything else followed by "(" is a call or syntax
# (lower(x), ANY (…), IN (…), USING btree (…)).
_OPERATOR_WORDS = frozenset((
    "and", "or", "not", "is", "case", "when", "then", "else", "between", "like", "ilike",
    "similar", "distinct", "from", "where", "on", "select", "as",
))

_PLAIN_IDENT_RE = re.compile(r"^[a-z_][a-z0-9_$]*$")


def tokenize(text):
    """Split SQL into tokens: literals keep their case, words are lower-cased."""
    tokens = []
    pos = 0
    text = text or ""
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            # Anything unexpected is kept as one character: normalisation must
            # never drop text it does not understand.
            tokens.append(text[pos])
            pos += 1
            continue
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "space":
            continue
        if kind == "ident":
            value = value.lower()
        elif kind == "qident":
            inner = value[1:-1].replace('""', '"')
            if _PLAIN_IDENT_RE.match(inner):
                value = inner
        tokens.append(value)
    return tokens


def _is_word(tok):
    return isinstance(tok, str) and bool(re.match(r"^[a-z_][a-z0-9_$]*$", tok))


def _is_literal(tok):
    return isinstance(tok, str) and (tok[:1] == "'" or tok[1:2] == "'" or tok[:1].isdigit())


def drop_casts(tokens):
    """Remove ``::type`` casts, including multi-word, typmod and array types.

    pg_get_constraintdef adds casts the source never wrote ('epub'::character
    varying, (col)::text, ARRAY[…]::text[]), and different ones depending on how
    the expression was parsed; column types are compared separately.
    """
    out = []
    i = 0
    n = len(tokens)
    while i < n:
        if tokens[i] != "::":
            out.append(tokens[i])
            i += 1
            continue
        i += 1
        # type name, possibly schema-qualified
        if i < n:
            first = tokens[i]
            i += 1
            while i + 1 < n and tokens[i] == ".":
                first = tokens[i + 1]
                i += 2
            if first in ("character", "bit", "national", "char") and i < n and tokens[i] == "varying":
                i += 1
            elif first == "double" and i < n and tokens[i] == "precision":
                i += 1
            elif first in ("time", "timestamp"):
                j = i
                if j < n and tokens[j] == "(":
                    j = _skip_typmod(tokens, j)
                if j + 2 < n and tokens[j] in ("with", "without") and tokens[j + 1] == "time" \
                        and tokens[j + 2] == "zone":
                    i = j + 3
        if i < n and tokens[i] == "(":
            i = _skip_typmod(tokens, i)
        while i + 1 < n and tokens[i] == "[":
            j = i + 1
            while j < n and tokens[j] != "]":
                j += 1
            i = j + 1
    return out


def _skip_typmod(tokens, i):
    """Skip ``( n [, n] )`` at *i* when it only holds numbers; return the new index."""
    j = i + 1
    while j < len(tokens) and (tokens[j].isdigit() or tokens[j] == ","):
        j += 1
    if j < len(tokens) and tokens[j] == ")" and j > i + 1:
        return j + 1
    return i


class _Group(object):
    """A parenthesised or bracketed run of tokens."""

    __slots__ = ("open", "items")

    def __init__(self, open_, items):
        self.open = open_
        self.items = items

    def close(self):
        return ")" if self.open == "(" else "]"


def _parse(tokens):
    stack = [[]]
    opens = []
    for tok in tokens:
        if tok in ("(", "["):
            stack.append([])
            opens.append(tok)
        elif tok in (")", "]") and opens and tok == (")" if opens[-1] == "(" else "]"):
            items = stack.pop()
            stack[-1].append(_Group(opens.pop(), items))
        else:
            stack[-1].append(tok)
    while opens:  # unbalanced: keep what was read, flat
        items = stack.pop()
        stack[-1].append(opens.pop())
        stack[-1].extend(items)
    return stack[0]


def _is_atom(items):
    """One operand: a token, a group, a call (word + group) or ARRAY[…]."""
    if len(items) == 1:
        return not (isinstance(items[0], str) and items[0] in (",",))
    if len(items) == 2 and _is_word(items[0]) and items[0] not in _OPERATOR_WORDS \
            and isinstance(items[1], _Group):
        return True
    return False


def _simplify(items):
    """Remove grouping parentheses that hold a single operand (bottom-up)."""
    out = []
    for idx, item in enumerate(items):
        if isinstance(item, _Group):
            inner = _simplify(item.items)
            prev = out[-1] if out else None
            call_like = item.open == "[" or (
                isinstance(prev, str) and _is_word(prev) and prev not in _OPERATOR_WORDS)
            if not call_like and _is_atom(inner):
                out.extend(inner)
                continue
            out.append(_Group(item.open, inner))
        else:
            out.append(item)
    # The whole expression in parentheses is the same expression.
    while len(out) == 1 and isinstance(out[0], _Group) and out[0].open == "(":
        out = out[0].items
    return out


def _literal_list(items):
    """The literals of ``'a', 'b', 1`` (a group's items), or None if anything else is there."""
    values = []
    expect_value = True
    for item in items:
        if expect_value:
            if not _is_literal(item):
                return None
            values.append(item)
        elif item != ",":
            return None
        expect_value = not expect_value
    if not values or expect_value:
        return None
    return values


def _membership(items):
    """Rewrite list membership to one canonical form, recursively.

    ``x = ANY (ARRAY['a', 'b'])`` (what PostgreSQL stores for ``x IN ('a',
    'b')``) and ``x IN ('b', 'a')`` all become ``x in ( 'a' , 'b' )``; ``<>
    ALL`` and ``NOT IN`` become ``not in``.  The order of the list carries no
    meaning, so the literals are sorted (and duplicates dropped).
    """
    items = [_Group(i.open, _membership(i.items)) if isinstance(i, _Group) else i for i in items]
    out = []
    i = 0
    while i < len(items):
        lits = None
        # <op> ANY|ALL ( ARRAY [ literals ] )
        if i + 2 < len(items) and items[i] in ("=", "<>", "!=") and items[i + 1] in ("any", "all", "some") \
                and isinstance(items[i + 2], _Group) and items[i + 2].open == "(":
            inner = items[i + 2].items
            if len(inner) == 2 and inner[0] == "array" and isinstance(inner[1], _Group) and inner[1].open == "[":
                lits = _literal_list(inner[1].items)
            quant = items[i + 1]
            positive = items[i] == "=" and quant in ("any", "some")
            negative = items[i] in ("<>", "!=") and quant == "all"
            if lits is not None and (positive or negative):
                out += ["in"] if positive else ["not", "in"]
                out.append(_Group("(", _join_literals(lits)))
                i += 3
                continue
        # [NOT] IN ( literals )
        if i + 1 < len(items) and items[i] == "in" and isinstance(items[i + 1], _Group) \
                and items[i + 1].open == "(":
            lits = _literal_list(items[i + 1].items)
            if lits is not None:
                out += ["in", _Group("(", _join_literals(lits))]
                i += 2
                continue
        out.append(items[i])
        i += 1
    return out


def _join_literals(lits):
    joined = []
    for lit in sorted(set(lits)):
        if joined:
            joined.append(",")
        joined.append(lit)
    return joined


def _render(items):
    parts = []
    for item in items:
        if isinstance(item, _Group):
            parts.append(item.open)
            parts.append(_render(item.items))
            parts.append(item.close())
        else:
            parts.append(item)
    return " ".join(p for p in parts if p != "")


def normalize_expression(text):
    """Canonical text of an SQL expression, for comparing deparsed definitions.

    Words are lower-cased, casts dropped, parentheses around a single operand
    (and around the whole expression) removed, list membership rewritten to one
    sorted form.  Literals and the structure of AND/OR/comparisons are kept, so
    a real change (another literal, another column, another operator) still
    shows.
    """
    if text is None:
        return None
    tokens = drop_casts(tokenize(text))
    tree = _simplify(_parse(tokens))
    tree = _simplify(_membership(tree))
    return _render(tree)


def normalize_check(definition):
    """Canonical form of a CHECK constraint as pg_get_constraintdef prints it."""
    text = (definition or "").strip()
    if re.match(r"(?i)^check\b", text):
        text = text[5:]
    return normalize_expression(text)


_INDEX_HEAD_RE = re.compile(
    r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:\S+\s+)?ON\s+(?:ONLY\s+)?\S+\s+",
    re.IGNORECASE,
)


def normalize_index(definition):
    """Canonical form of pg_get_indexdef: method, keys and predicate, no names.

    ``CREATE INDEX ix ON public.books USING btree (title)`` becomes
    ``using btree ( title )``; the name and the table are compared by key and
    relation, uniqueness separately.
    """
    text = _INDEX_HEAD_RE.sub("", definition or "", count=1)
    if not re.match(r"(?i)^using\b", text.strip()):
        text = "USING " + text
    return normalize_expression(text)


def _same(kind, attr, expected, actual):
    if attr == "definition":
        if kind == "check_constraints":
            return normalize_check(expected) == normalize_check(actual)
        if kind in ("indexes", "primary_keys"):
            return normalize_index(expected) == normalize_index(actual)
        return normalize_expression(expected) == normalize_expression(actual)
    if attr == "default":
        return normalize_expression(expected) == normalize_expression(actual)
    return expected == actual


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------

def _describe(kind, attrs):
    """Short detail for a missing or extra object."""
    if kind == "columns":
        return "%s%s" % (attrs.get("type", "?"), " not null" if attrs.get("not_null") else "")
    if kind in ("indexes", "primary_keys"):
        d = attrs.get("definition")
        rel = attrs.get("relation")
        head = "on %s" % rel if rel else ""
        return ("%s %s" % (head, normalize_index(d) if d else "")).strip()
    if kind == "check_constraints":
        return attrs.get("definition") or ""
    if kind == "foreign_keys" and attrs.get("references"):
        return "(%s) references %s(%s)" % (
            ", ".join(attrs.get("columns") or []), attrs["references"],
            ", ".join(attrs.get("referenced_columns") or []))
    if kind == "enums" and attrs.get("labels") is not None:
        return ", ".join(attrs["labels"])
    return ""


def _entry(label, key, detail):
    return "%s %s%s" % (label, key, (": " + detail) if detail else "")


def _show_attr(kind, attr, value):
    """A definition in its normalised form (shorter, and shows what really differs)."""
    if attr == "definition" and isinstance(value, str):
        if kind == "check_constraints":
            return normalize_check(value)
        if kind in ("indexes", "primary_keys"):
            return normalize_index(value)
    return _show(value)


def _show(value):
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if value is None:
        return "none"
    return str(value)


def _state_findings(kind, label, key, attrs):
    """What is wrong with an object whatever its definition: an invalid index, an unvalidated key."""
    if kind in ("indexes", "primary_keys") and attrs.get("valid") is False:
        return [_entry(label, key, "invalid (left by an interrupted CREATE INDEX CONCURRENTLY; no query "
                                   "uses it: playbooks/repair.yml rebuilds it)")]
    if kind == "foreign_keys" and attrs.get("validated") is False:
        return [_entry(label, key, "not validated (added NOT VALID: rows written before it are unchecked; "
                                   "playbooks/repair.yml validates it)")]
    return []


def compare_catalogs(actual, expected, alembic_revision=None, alembic_version=None,
                     require_populated=True):
    """Compare *actual* with *expected* (both keyed catalogs) by name.

    Returns a dict: ok, summary (short lines), missing, extra, different
    (``kind name: detail`` strings), matviews_unpopulated (names) and counts
    per kind.  A kind absent from *expected* is not compared (a hand-written
    manifest may list only some kinds).
    """
    missing, extra, different, summary = [], [], [], []
    counts = {}
    for kind, label, plural, attrs in KINDS:
        if kind not in expected:
            continue
        exp = expected[kind]
        act = actual.get(kind, {})
        k_missing = sorted(set(exp) - set(act))
        k_extra = sorted(set(act) - set(exp))
        k_diff = []
        for key in sorted(set(exp) & set(act)):
            for attr in attrs:
                if attr not in exp[key]:
                    continue
                if not _same(kind, attr, exp[key][attr], act[key].get(attr)):
                    k_diff.append(_entry(label, key, "%s is %s, expected %s" % (
                        attr.replace("_", " "), _show_attr(kind, attr, act[key].get(attr)),
                        _show_attr(kind, attr, exp[key][attr]))))
            k_diff += _state_findings(kind, label, key, act[key])
        missing += [_entry(label, k, _describe(kind, exp[k])) for k in k_missing]
        extra += [_entry(label, k, _describe(kind, act[k])) for k in k_extra]
        different += k_diff
        found = len(exp) - len(k_missing)
        counts[kind] = {"expected": len(exp), "found": found, "missing": len(k_missing),
                        "extra": len(k_extra), "different": len(k_diff)}
        good = not (k_missing or k_extra or k_diff)
        line = "%s %d/%d %s" % (plural, found, len(exp), OK_MARK if good else BAD_MARK)
        notes = ["%d %s" % (n, what) for n, what in
                 ((len(k_missing), "missing"), (len(k_extra), "extra"), (len(k_diff), "different")) if n]
        if kind == "matviews":
            populated = sorted(k for k, v in act.items() if v.get("populated"))
            unpopulated = sorted(k for k, v in act.items() if not v.get("populated"))
            notes.append("populated %d/%d" % (len(populated), len(act)))
            if unpopulated and require_populated:
                different += [_entry(label, name, "not populated (run REFRESH MATERIALIZED VIEW %s)" % name)
                              for name in unpopulated]
                line = line[:-1] + BAD_MARK if good else line
        if notes:
            line += " (%s)" % ", ".join(notes)
        summary.append(line)

    unpopulated = sorted(k for k, v in actual.get("matviews", {}).items() if not v.get("populated"))
    if "matviews" not in expected:
        # Not compared, but whether the views hold data is still worth saying.
        if unpopulated and require_populated:
            different += [_entry("matview", name, "not populated (run REFRESH MATERIALIZED VIEW %s)" % name)
                          for name in unpopulated]

    summary.append(_alembic_line(alembic_revision, alembic_version, missing, different))
    ok = not (missing or extra or different)
    return {
        "ok": ok,
        "summary": summary,
        "missing": missing,
        "extra": extra,
        "different": different,
        "matviews_unpopulated": unpopulated,
        "counts": counts,
    }


def _alembic_line(revision, versions, missing, different):
    """Summary line for alembic_version; adds to *missing*/*different* in place."""
    found = ", ".join(versions) if versions else "none"
    if not revision:
        return "alembic %s (not checked)" % found
    if versions is None:
        missing.append("alembic revision %s: table alembic_version does not exist" % revision)
        return "alembic %s (no alembic_version table) %s" % (revision, BAD_MARK)
    if versions == [revision]:
        return "alembic %s %s" % (revision, OK_MARK)
    if not versions:
        missing.append("alembic revision %s: alembic_version has no row" % revision)
    else:
        different.append("alembic revision: alembic_version holds %s, expected exactly %s"
                         % (", ".join(versions), revision))
    return "alembic %s %s (expected %s)" % (found, BAD_MARK, revision)


def missing_database_result(database, container, alembic_revision=None):
    """The result for a database that does not exist: not ok, one clear line."""
    what = "database %s: does not exist in container %s" % (database, container)
    return {
        "ok": False,
        "summary": ["database %s %s does not exist" % (database, BAD_MARK)],
        "missing": [what],
        "extra": [],
        "different": [],
        "matviews_unpopulated": [],
        "counts": {},
    }


def describe_differences(database, source, result):
    """One message naming every difference, for a failed verification."""
    lines = ["database %s does not match %s:" % (database, source)]
    for title in ("missing", "extra", "different"):
        for item in result.get(title) or []:
            lines.append("  %s: %s" % (title, item))
    return "\n".join(lines)
