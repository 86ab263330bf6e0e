# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database-level properties: read them, compare them, reproduce them.

A schema-only rebuild loses what lives on the database itself rather than in
it: encoding, collation and ctype, owner, connection limit, the
``ALTER DATABASE … SET`` / ``ALTER ROLE … IN DATABASE … SET`` settings of
``pg_db_role_setting``, the ACL and the comment.  This module reads them in
one SELECT expression (``properties_select_sql``), compares two readings
(``compare_properties``) and turns a reading into the statements that give a
new database exactly those properties (``create_statements``,
``comment_statement``).

The reading, a JSON object (``None`` when the database does not exist)::

    {"name": "bookreader_dev", "encoding": "UTF8", "collate": "C", "ctype": "C",
     "locale_provider": "libc", "icu_locale": null, "tablespace": "pg_default",
     "owner": "postgres", "connection_limit": -1, "comment": null,
     "acl": null,                      # NULL datacl: the default privileges
     "acl": [{"grantee": "public", "privilege": "TEMPORARY", "grantable": false}, …],
     "settings": [{"role": "", "name": "default_text_search_config", "value": "russian"},
                  {"role": "app", "name": "work_mem", "value": "64MB"}]}

``role`` is ``''`` for a setting of every role (``setrole = 0``), else the
role's name; ``grantee`` is ``public`` for the pseudo-role PUBLIC (oid 0;
PostgreSQL reserves that name, so no role can be confused with it).
``locale_provider`` is ``None`` before PostgreSQL 15 (libc only then).

Nothing here talks to PostgreSQL; everything is unit-tested in
``tests/unit/test_database_properties.py``.  Private module: its API may
change between releases.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    quote_ident,
    quote_literal,
)

# The privileges a database has (aclexplode's spelling), in GRANT order.
DATABASE_PRIVILEGES = ("CREATE", "CONNECT", "TEMPORARY")

# What a NULL datacl means (acldefault('d', owner)): the owner has every
# privilege, PUBLIC may connect and create temporary tables.
_DEFAULT_OWNER_PRIVILEGES = DATABASE_PRIVILEGES
_DEFAULT_PUBLIC_PRIVILEGES = ("CONNECT", "TEMPORARY")

# The pseudo-role every role belongs to.  Spelt in lower case: PostgreSQL
# reserves "public" as a role name, while a role "PUBLIC" may exist.
PUBLIC = "public"

# Settings whose value is a list of possibly quoted elements (pg_dump's
# variable_is_guc_list_quote): a single string literal would become ONE
# element, so they are set as a list of literals instead.
GUC_LIST_QUOTE = frozenset((
    "local_preload_libraries",
    "search_path",
    "session_preload_libraries",
    "shared_preload_libraries",
    "temp_tablespaces",
    "unix_socket_directories",
))

# to_jsonb(d) rather than d.datlocprovider: the same text runs on PostgreSQL
# 13 and 14 (no such column: NULL) and on 17 (daticulocale became datlocale).
_SELECT = """(SELECT json_build_object(
  'name', d.datname,
  'encoding', pg_catalog.pg_encoding_to_char(d.encoding),
  'collate', d.datcollate,
  'ctype', d.datctype,
  'locale_provider', CASE pg_catalog.to_jsonb(d) ->> 'datlocprovider'
                       WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' WHEN 'b' THEN 'builtin'
                       ELSE pg_catalog.to_jsonb(d) ->> 'datlocprovider' END,
  'icu_locale', coalesce(pg_catalog.to_jsonb(d) ->> 'daticulocale', pg_catalog.to_jsonb(d) ->> 'datlocale'),
  'icu_rules', pg_catalog.to_jsonb(d) ->> 'daticurules',
  'tablespace', (SELECT t.spcname FROM pg_catalog.pg_tablespace t WHERE t.oid = d.dattablespace),
  'owner', pg_catalog.pg_get_userbyid(d.datdba),
  'connection_limit', d.datconnlimit,
  'comment', pg_catalog.shobj_description(d.oid, 'pg_database'),
  'acl', CASE WHEN d.datacl IS NULL THEN NULL ELSE
           (SELECT coalesce(json_agg(json_build_object(
                      'grantee', CASE WHEN a.grantee = 0 THEN 'public'
                                      ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                      'privilege', a.privilege_type,
                      'grantable', a.is_grantable)
                    ORDER BY a.grantee = 0 DESC, pg_catalog.pg_get_userbyid(a.grantee), a.privilege_type), '[]')
            FROM pg_catalog.aclexplode(d.datacl) AS a) END,
  'settings', (SELECT coalesce(json_agg(json_build_object(
                        'role', s.role, 'name', s.name, 'value', s.value)
                      ORDER BY s.role, s.name), '[]')
               FROM (SELECT CASE WHEN r.setrole = 0 THEN ''
                                 ELSE pg_catalog.pg_get_userbyid(r.setrole) END AS role,
                            pg_catalog.split_part(c.item, '=', 1) AS name,
                            pg_catalog.substr(c.item, pg_catalog.strpos(c.item, '=') + 1) AS value
                     FROM pg_catalog.pg_db_role_setting r,
                          pg_catalog.unnest(r.setconfig) AS c(item)
                     WHERE r.setdatabase = d.oid) AS s)
) AS properties
FROM pg_catalog.pg_database d
WHERE d.datname = %s)"""


def properties_select_sql(database_name):
    """One SELECT expression (a parenthesized scalar subquery) returning the properties as json.

    It runs in any database of the cluster; it is NULL when the database does
    not exist.  It can stand alone (``SELECT <it> AS properties``, or run as
    it is: its one column is ``properties``) or be one value of a larger
    ``json_build_object``.
    """
    if not isinstance(database_name, str) or not database_name or "\x00" in database_name:
        raise ValueError("properties_select_sql needs a database name, got %r" % (database_name,))
    return _SELECT % quote_literal(database_name)


# ---------------------------------------------------------------- compare

def default_acl(owner):
    """The entries a NULL datacl stands for (what aclexplode(acldefault('d', owner)) reports)."""
    entries = [dict(grantee=PUBLIC, privilege=p, grantable=False) for p in _DEFAULT_PUBLIC_PRIVILEGES]
    if owner:
        entries += [dict(grantee=owner, privilege=p, grantable=False) for p in _DEFAULT_OWNER_PRIVILEGES]
    return entries


def effective_acl(properties):
    """{(grantee, privilege): grantable} with a NULL acl expanded to the default."""
    acl = properties.get("acl")
    if acl is None:
        acl = default_acl(properties.get("owner"))
    out = {}
    for entry in acl:
        key = (entry["grantee"], entry["privilege"])
        out[key] = bool(out.get(key)) or bool(entry.get("grantable"))
    return out


def _settings(properties):
    return dict(((s.get("role") or "", s["name"]), s["value"]) for s in properties.get("settings") or [])


def _show_text(value):
    return "not set" if value is None else quote_literal(value)


def _show_limit(value):
    return "unlimited" if value is None or int(value) < 0 else str(int(value))


def _show_plain(value):
    return "none" if value is None or value == "" else str(value)


def _show_comment(value):
    return "none" if value is None else quote_literal(value)


def _show_grant(grantable):
    if grantable is None:
        return "not granted"
    return "granted with grant option" if grantable else "granted"


def _grantee(name):
    return "PUBLIC" if name == PUBLIC else "role %s" % name


def _setting_label(role, name):
    if role:
        return "setting %s for role %s" % (name, role)
    return "database setting %s" % name


# (key, label, how a value is shown, default when the reading has none)
_SCALARS = (
    ("encoding", "encoding", _show_plain, None),
    ("collate", "collation", _show_plain, None),
    ("ctype", "ctype", _show_plain, None),
    ("locale_provider", "locale provider", _show_plain, "libc"),
    ("icu_locale", "ICU locale", _show_plain, None),
    ("icu_rules", "ICU rules", _show_plain, None),
    ("tablespace", "tablespace", _show_plain, None),
    ("owner", "owner", _show_plain, None),
    ("connection_limit", "connection limit", _show_limit, -1),
    ("comment", "comment", _show_comment, None),
)


def _norm(key, value, default):
    if value is None:
        value = default
    if key == "connection_limit" and value is not None:
        value = -1 if int(value) < 0 else int(value)
    if key == "icu_locale" and value == "":
        value = None
    return value


def compare_properties(expected, actual, ignore=("name", "comment")):
    """Human lines, one per difference between two readings; [] when they agree.

    *ignore* names top-level keys left out (by default the name, which differs
    between a database and its copy, and the comment, where the restore keeps
    its markers).  A NULL acl is compared as the default privileges it stands
    for, so an explicit ACL equal to the default is no difference.
    """
    if not expected:
        return []
    if not actual:
        return ["database %s is absent" % expected.get("name", "?")]
    ignore = set(ignore or ())
    lines = []
    for key, label, show, default in _SCALARS:
        if key in ignore:
            continue
        want = _norm(key, expected.get(key), default)
        got = _norm(key, actual.get(key), default)
        if want != got:
            lines.append("%s: %s expected, %s" % (label, show(want), show(got)))
    if "settings" not in ignore:
        want, got = _settings(expected), _settings(actual)
        for key in sorted(set(want) | set(got)):
            if want.get(key) != got.get(key):
                lines.append("%s: %s expected, %s" % (
                    _setting_label(*key), _show_text(want.get(key)), _show_text(got.get(key))))
    if "acl" not in ignore:
        want, got = effective_acl(expected), effective_acl(actual)
        for key in sorted(set(want) | set(got), key=lambda k: (k[0] != PUBLIC, k)):
            if want.get(key) != got.get(key):
                lines.append("privilege %s to %s: %s expected, %s" % (
                    key[1], _grantee(key[0]), _show_grant(want.get(key)), _show_grant(got.get(key))))
    return lines


# ---------------------------------------------------------------- reproduce

def split_guc_list(value):
    """Split a list setting's stored value the way PostgreSQL's SplitGUCList does.

    Elements are separated by commas (whitespace around them ignored); an
    element in double quotes keeps commas and spaces and turns "" into ".
    Raises ValueError on a value PostgreSQL could not have stored.
    """
    items = []
    i, n = 0, len(value)
    while i < n and value[i].isspace():
        i += 1
    if i == n:
        return items
    while True:
        if i < n and value[i] == '"':
            i += 1
            buf = []
            while True:
                j = value.find('"', i)
                if j < 0:
                    raise ValueError("unterminated quote in %r" % value)
                buf.append(value[i:j])
                if j + 1 < n and value[j + 1] == '"':
                    buf.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            items.append("".join(buf))
        else:
            start = i
            while i < n and value[i] != "," and not value[i].isspace():
                i += 1
            if i == start:
                raise ValueError("empty element in %r" % value)
            items.append(value[start:i])
        while i < n and value[i].isspace():
            i += 1
        if i == n:
            return items
        if value[i] != ",":
            raise ValueError("unexpected %r in %r" % (value[i], value))
        i += 1
        while i < n and value[i].isspace():
            i += 1


def setting_value_sql(name, value):
    """The right-hand side of ``SET name = …`` that stores *value* unchanged."""
    if name.lower() in GUC_LIST_QUOTE:
        items = split_guc_list(value)
        if not items:
            return "''"
        return ", ".join(quote_literal(item) for item in items)
    return quote_literal(value)


def _require_text(properties, key, what):
    value = properties.get(key)
    if not isinstance(value, str) or not value or "\x00" in value:
        raise ValueError(
            "database properties lack %s (%r): read them with properties_select_sql (roles/database "
            "tasks_from: properties); a database is never created with the cluster default instead." % (what, value))
    return value


def _role(name):
    """A grantee or setting role as SQL: PUBLIC stays the keyword, any other name is quoted."""
    return "PUBLIC" if name == PUBLIC else quote_ident(name)


def _locale_clause(properties):
    provider = properties.get("locale_provider")
    if provider in (None, ""):
        # Read from PostgreSQL 13/14: libc is the only provider, and the
        # server the copy is made on (the same one) knows no LOCALE_PROVIDER.
        return ""
    if provider == "libc":
        return " LOCALE_PROVIDER 'libc'"
    if provider == "icu":
        if properties.get("icu_rules"):
            raise ValueError(
                "database %s uses ICU collation rules (%r), which this collection does not reproduce: "
                "create the database yourself (CREATE DATABASE … ICU_RULES …) and run again, or "
                "rebuild it with pg_dump --create." % (properties.get("name", "?"), properties.get("icu_rules")))
        icu = _require_text(properties, "icu_locale", "the ICU locale (icu_locale)")
        return " LOCALE_PROVIDER 'icu' ICU_LOCALE %s" % quote_literal(icu)
    raise ValueError(
        "database %s uses the locale provider %r, which this collection does not reproduce "
        "(it knows libc and icu): create the database yourself with the same LOCALE_PROVIDER "
        "and run again." % (properties.get("name", "?"), provider))


def _check_privilege(entry):
    privilege = entry.get("privilege")
    if privilege not in DATABASE_PRIVILEGES:
        raise ValueError("database privilege %r is not one of %s" % (privilege, ", ".join(DATABASE_PRIVILEGES)))
    grantee = entry.get("grantee")
    if not isinstance(grantee, str) or not grantee or "\x00" in grantee:
        raise ValueError("database privilege %s has no grantee (%r)" % (privilege, grantee))
    return grantee, privilege, bool(entry.get("grantable"))


def acl_statements(name, acl, owner=None):
    """REVOKE/GRANT statements that give database *name* (just created) exactly *acl*.

    ``None`` (a NULL datacl, the default privileges) needs no statement: the
    new database has the default already.  Otherwise everything PUBLIC and the
    owner (*owner*, or CURRENT_USER when the database got the login user) hold
    by default is revoked, then each entry granted, the owner's as aclexplode
    reports them.
    """
    if acl is None:
        return []
    db = quote_ident(name)
    owner_sql = quote_ident(owner) if owner else "CURRENT_USER"
    statements = ["REVOKE ALL ON DATABASE %s FROM PUBLIC" % db,
                  "REVOKE ALL ON DATABASE %s FROM %s" % (db, owner_sql)]
    grants = {}
    order = []
    for entry in acl:
        grantee, privilege, grantable = _check_privilege(entry)
        key = (grantee, grantable)
        if key not in grants:
            grants[key] = []
            order.append(key)
        if privilege not in grants[key]:
            grants[key].append(privilege)
    for grantee, grantable in order:
        privileges = [p for p in DATABASE_PRIVILEGES if p in grants[(grantee, grantable)]]
        statements.append("GRANT %s ON DATABASE %s TO %s%s" % (
            ", ".join(privileges), db, _role(grantee), " WITH GRANT OPTION" if grantable else ""))
    return statements


def settings_statements(name, settings):
    """ALTER DATABASE … SET / ALTER ROLE … IN DATABASE … SET, one per setting."""
    db = quote_ident(name)
    statements = []
    for setting in settings or []:
        guc = setting.get("name")
        if not isinstance(guc, str) or not guc or "\x00" in guc:
            raise ValueError("database setting without a name: %r" % (setting,))
        value = setting.get("value")
        if value is None:
            raise ValueError("database setting %s has no value" % guc)
        rhs = setting_value_sql(guc, str(value))
        role = setting.get("role") or ""
        if role:
            statements.append("ALTER ROLE %s IN DATABASE %s SET %s = %s" % (quote_ident(role), db, quote_ident(guc), rhs))
        else:
            statements.append("ALTER DATABASE %s SET %s = %s" % (db, quote_ident(guc), rhs))
    return statements


def settings_from_dict(settings):
    """``{name: value}`` (the role's database_settings) as a list of database-wide settings."""
    return [dict(role="", name=str(k), value=str(v)) for k, v in sorted((settings or {}).items())]


def create_statements(name, properties, owner=None):
    """The statements that create database *name* with exactly *properties*.

    CREATE DATABASE … TEMPLATE template0 with the encoding, collation, ctype
    (always explicit: never the cluster default), locale provider, tablespace
    and connection limit; then the settings and the ACL.  Never the comment:
    the restore keeps its markers there (``comment_statement`` for the end).
    *owner* (empty: the reading's owner; neither: the login user) owns it.
    The CREATE DATABASE cannot run in a transaction block: run the list as
    separate statements.
    """
    if not isinstance(name, str) or not name or "\x00" in name:
        raise ValueError("create_statements needs a database name, got %r" % (name,))
    if not isinstance(properties, dict) or not properties:
        raise ValueError(
            "create_statements needs the properties of a database (a dict), got %r: read them with "
            "properties_select_sql (roles/database tasks_from: properties)." % (properties,))
    encoding = _require_text(properties, "encoding", "the encoding")
    collate = _require_text(properties, "collate", "the collation (collate)")
    ctype = _require_text(properties, "ctype", "the ctype")
    owner = owner or properties.get("owner") or None
    sql = "CREATE DATABASE %s" % quote_ident(name)
    if owner:
        sql += " OWNER %s" % quote_ident(owner)
    sql += " TEMPLATE template0 ENCODING %s" % quote_literal(encoding)
    sql += _locale_clause(properties)
    sql += " LC_COLLATE %s LC_CTYPE %s" % (quote_literal(collate), quote_literal(ctype))
    tablespace = properties.get("tablespace")
    if tablespace and tablespace != "pg_default":
        sql += " TABLESPACE %s" % quote_ident(tablespace)
    limit = properties.get("connection_limit")
    limit = -1 if limit is None else int(limit)
    sql += " CONNECTION LIMIT %d" % (limit if limit >= 0 else -1)
    return ([sql] + settings_statements(name, properties.get("settings"))
            + acl_statements(name, properties.get("acl"), owner))


def comment_statement(name, properties):
    """COMMENT ON DATABASE *name* with the reading's comment (IS NULL when it had none).

    "" when there is no reading (*properties* empty): nothing is known, so
    nothing is said.
    """
    if not properties:
        return ""
    return "COMMENT ON DATABASE %s IS %s" % (quote_ident(name), quote_literal(properties.get("comment")))


# What CREATE DATABASE fixes for good: a difference here needs a rebuild.
IMMUTABLE = ("encoding", "collate", "ctype", "locale_provider", "icu_locale", "icu_rules", "tablespace")


def alter_statements(name, wanted, current):
    """Statements that give the existing database *name* (read as *current*) the properties *wanted*.

    The connection limit, the settings (SET what differs, RESET what is not
    wanted) and the ACL (everything revoked, CASCADE, then granted as wanted:
    a NULL acl as the explicit default) are changed in place; the owner is
    left to ALTER DATABASE … OWNER TO by the caller.  [] when nothing differs.
    Raises ValueError naming what only a rebuild can change (encoding,
    collation, ctype, locale provider, tablespace).
    """
    if not wanted:
        return []
    if not current:
        raise ValueError("database %s does not exist: create it (create_statements)" % name)
    fixed = compare_properties(wanted, current, ignore=[k for k, _l, _s, _d in _SCALARS if k not in IMMUTABLE]
                               + ["name", "settings", "acl"])
    if fixed:
        raise ValueError(
            "database %s differs in what only a rebuild changes (%s): rebuild it (for the database "
            "role: database_state=recreated with db_runbooks_confirm_destroy=%s, which loses its "
            "data; or playbooks/restore.yml), or give database_properties these values."
            % (name, "; ".join(fixed), name))
    db = quote_ident(name)
    statements = []
    want_limit = _norm("connection_limit", wanted.get("connection_limit"), -1)
    if want_limit != _norm("connection_limit", current.get("connection_limit"), -1):
        statements.append("ALTER DATABASE %s WITH CONNECTION LIMIT %d" % (db, want_limit))
    want, got = _settings(wanted), _settings(current)
    for role, guc in sorted(set(want) | set(got)):
        if want.get((role, guc)) == got.get((role, guc)):
            continue
        target = ("ALTER ROLE %s IN DATABASE %s" % (quote_ident(role), db)) if role else ("ALTER DATABASE %s" % db)
        if (role, guc) in want:
            statements.append("%s SET %s = %s" % (target, quote_ident(guc), setting_value_sql(guc, want[(role, guc)])))
        else:
            statements.append("%s RESET %s" % (target, quote_ident(guc)))
    if effective_acl(wanted) != effective_acl(current):
        owner = wanted.get("owner") or current.get("owner")
        grantees = [PUBLIC] + sorted(set(g for g, _p in effective_acl(current)) - {PUBLIC} | ({owner} if owner else set()))
        statements += ["REVOKE ALL ON DATABASE %s FROM %s CASCADE" % (db, _role(g)) for g in grantees]
        acl = wanted.get("acl")
        if acl is None:
            acl = default_acl(owner)
        statements += acl_statements(name, acl, owner)[2:]
    return statements
