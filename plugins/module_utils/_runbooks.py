# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers shared by the fancai.db_runbooks plugins.

Nothing here talks to Docker or PostgreSQL: these functions build the
``docker exec … psql`` command line, validate and quote identifiers, parse
psql's output and word its failures.  Everything is unit-tested in
``tests/unit/``.

This is a private module (leading underscore): its API may change between
releases of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import shlex

# Unquoted SQL identifiers we accept for databases, roles and schemas the
# runbooks create.  PostgreSQL itself accepts more once quoted, but a runbook
# that is typed at 3 a.m. should refuse surprises (spaces, quotes, capitals
# that later need quoting everywhere) instead of carrying them along.
IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# docker's own rule for container names.
CONTAINER_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$")

# Marker psql prints before the JSON rows of a query, so statements that
# print something before it never confuse the parser.
ROWS_MARKER = "__db_runbooks_rows__"

# psql exit codes (see the psql manual, "Exit Status").
PSQL_RC_FATAL = 1
PSQL_RC_CONNECTION = 2
PSQL_RC_SCRIPT = 3

# psql prefixes script errors with "psql:<file>:<line>: ERROR:  …".
_ERROR_LINE_RE = re.compile(r"^psql:(?P<file>[^:]*):(?P<line>\d+): (?P<msg>.*)$")


def check_identifier(value, what):
    """Return an error message if *value* is not a plain identifier, else None."""
    if not isinstance(value, str) or not IDENTIFIER_RE.match(value):
        return (
            "%s %r is not a plain PostgreSQL identifier: use 1 to 63 lower-case "
            "letters, digits or underscores, starting with a letter or underscore "
            "(for example 'bookreader_dev')." % (what, value)
        )
    return None


def check_container_name(value):
    """Return an error message if *value* cannot be a docker container name."""
    if not isinstance(value, str) or not CONTAINER_RE.match(value):
        return (
            "container %r is not a valid docker container name: use letters, digits, "
            "'_', '.' or '-', starting with a letter or digit (see `docker ps "
            "--format '{{.Names}}'` for the names on this host)." % (value,)
        )
    return None


def quote_ident(name):
    """Quote an SQL identifier the way PostgreSQL's quote_ident() does."""
    return '"%s"' % name.replace('"', '""')


def quote_literal(value):
    """Quote an SQL string literal (standard_conforming_strings is on since 9.1)."""
    if value is None:
        return "NULL"
    return "'%s'" % str(value).replace("'", "''")


def pgoptions(settings):
    """Render server settings as a PGOPTIONS value: ``-c name=value …``.

    Values are backslash-escaped the way libpq's options parser expects, so
    '5s' or 'a b' both arrive intact.
    """
    parts = []
    for name in sorted(settings or {}):
        if not re.match(r"^[a-z_][a-z0-9_.]*$", name):
            raise ValueError("setting name %r is not a valid PostgreSQL parameter name" % name)
        value = str(settings[name]).replace("\\", "\\\\").replace(" ", "\\ ")
        parts.append("-c %s=%s" % (name, value))
    return " ".join(parts)


def build_psql_argv(container, login_user, database, docker_cli="docker",
                    single_transaction=False, variables=None, settings=None):
    """Return the argv that runs psql inside *container*, reading SQL on stdin.

    -X ignores any ~/.psqlrc, ON_ERROR_STOP makes the first error fatal (exit
    3), -q drops command tags, -A -t print bare values for the JSON rows.  No
    TTY (-t would corrupt data and hang without a terminal); -i keeps stdin.
    """
    argv = [docker_cli, "exec", "-i"]
    opts = pgoptions(settings)
    if opts:
        argv += ["-e", "PGOPTIONS=%s" % opts]
    argv += [container, "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    if single_transaction:
        argv.append("--single-transaction")
    for name in sorted(variables or {}):
        argv += ["-v", "%s=%s" % (name, variables[name])]
    # "-f -" rather than plain stdin: psql then prefixes errors with
    # "psql:<stdin>:LINE:", which is how a failure names the line.
    argv += ["-f", "-", "-U", login_user, "-d", database]
    return argv


def with_timeout(command, seconds, kill_after=5):
    """Bound a shell command in time on the docker host (coreutils or busybox ``timeout``).

    After *seconds* it gets SIGTERM, *kill_after* seconds later SIGKILL; the
    exit status is then 124 (or 137).  0 or None leaves *command* unbounded.
    """
    if not seconds:
        return command
    return "timeout -k %d %d %s" % (int(kill_after), int(seconds), command)


TIMEOUT_RCS = (124, 137)

# Longest statement a result's ``queries`` shows whole.
QUERY_SHOWN_CHARS = 2000


def shorten_statement(statement, limit=QUERY_SHOWN_CHARS):
    """*statement*, or its head and how much was left out when it is longer than *limit*."""
    if len(statement) <= limit:
        return statement
    lines = statement.count("\n") + 1
    return "%s\n-- … %d more characters (%d lines in all) not shown" % (
        statement[:limit], len(statement) - limit, lines)


def timeout_reason(container, state, what="the statement"):
    """Why a call to *container* did not finish, from the state docker reports, and the fix."""
    if state == "paused":
        return "the container is paused: `docker unpause %s`, then run again" % container
    if state and state != "running":
        return "the container is %s: `docker start %s`, then run again" % (state, container)
    if state == "running":
        return ("the container runs, but %s did not finish (a lock held by another session? see "
                "pg_stat_activity); raise db_runbooks_step_timeout if it is only slow" % what)
    return "the docker engine did not answer either: check `docker info` on this host"


def describe_timeout(container, database, seconds, state=None):
    """Word a psql call that did not finish in time, with what the container says of itself."""
    return ("psql in container %r (database %r) did not finish within %d s (db_runbooks_step_timeout) "
            "and was ended: %s." % (container, database, int(seconds), timeout_reason(container, state)))


def shell_join(argv):
    """Quote an argv for /bin/sh."""
    return " ".join(shlex.quote(str(a)) for a in argv)


def rows_query(query):
    """Wrap a SELECT so psql prints its rows as one JSON array after a marker."""
    query = query.strip().rstrip(";")
    return (
        "\\echo %s\n"
        "SELECT coalesce(json_agg(row_to_json(__q)), '[]'::json) FROM (\n%s\n) AS __q;\n"
        % (ROWS_MARKER, query)
    )


def build_script(statements=None, query=None):
    """Join statements (run in order) and an optional rows query into one script."""
    parts = []
    for stmt in statements or []:
        stmt = stmt.strip()
        if not stmt:
            continue
        parts.append(stmt if stmt.endswith(";") or stmt.startswith("\\") else stmt + ";")
    script = "\n".join(parts)
    if script:
        script += "\n"
    if query:
        script += rows_query(query)
    return script


def parse_rows(stdout):
    """Return the rows printed after the marker, or None when there is no marker."""
    lines = stdout.splitlines()
    try:
        start = lines.index(ROWS_MARKER)
    except ValueError:
        return None
    payload = "\n".join(lines[start + 1:]).strip()
    if not payload:
        return []
    return json.loads(payload)


def parse_error_location(stderr):
    """Return (file, line, message) of psql's first script error, or None."""
    for raw in stderr.splitlines():
        m = _ERROR_LINE_RE.match(raw.strip())
        if m and ("ERROR" in m.group("msg") or "FATAL" in m.group("msg")):
            return m.group("file"), int(m.group("line")), m.group("msg").strip()
    return None


def describe_failure(rc, stderr, container, database, login_user, source=None):
    """Word a failed ``docker exec … psql`` for an operator: what, where, what to do."""
    err = (stderr or "").strip()
    first = err.splitlines()[0] if err else "(no message)"
    if rc in TIMEOUT_RCS and err.startswith("db_runbooks step timeout: "):
        return err[len("db_runbooks step timeout: "):]
    if "No such container" in err:
        return (
            "container %r does not exist on this docker host: check the name with "
            "`docker ps --format '{{.Names}}'` and set db_runbooks_container." % container
        )
    if "is paused" in err:
        return (
            "container %r is paused (%s): `docker unpause %s`, then run again."
            % (container, first, container)
        )
    if "is not running" in err or "is restarting" in err:
        return (
            "container %r is not running (%s): start it with `docker start %s`."
            % (container, first, container)
        )
    if "Cannot connect to the Docker daemon" in err or "permission denied while trying to connect" in err:
        return (
            "the Docker engine did not answer (%s): start it or give this user access "
            "to it, then run again." % first
        )
    if rc in (126, 127) or "executable file not found" in err:
        return (
            "psql could not be started in container %r (%s): is it a PostgreSQL "
            "container? Set db_runbooks_container to the one running the server." % (container, first)
        )
    if rc == PSQL_RC_CONNECTION:
        if "does not exist" in err and "database" in err:
            return (
                "database %r does not exist in container %r (%s): create it first "
                "(role fancai.db_runbooks.database) or check db_runbooks_database."
                % (database, container, first)
            )
        return (
            "PostgreSQL in container %r refused the connection as %r to database %r (%s): "
            "check `docker logs %s` and that the server accepts local connections."
            % (container, login_user, database, first, container)
        )
    if rc == PSQL_RC_SCRIPT:
        loc = parse_error_location(err)
        if loc:
            name = source if source and loc[0] in ("<stdin>", "") else loc[0]
            return "SQL failed in database %r at %s line %d: %s" % (database, name, loc[1], loc[2])
        return "SQL failed in database %r: %s" % (database, err or first)
    return "psql in container %r exited with %d: %s" % (container, rc, err or first)


# --- Materialized-view refresh (role fancai.db_runbooks.matview_refresh) ---

# PostgreSQL cuts identifiers at 63 bytes; our index names must fit whole.
_INDEX_NAME_FORMAT = "uq_%s_natural_key"
_MAX_IDENTIFIER = 63

MATVIEW_MODES = ("auto", "concurrent", "plain")


def qualify_view_name(name):
    """Return 'schema.view' for 'view' (public) or 'schema.view'."""
    return name if "." in name else "public." + name


def matview_index_name(view_name):
    """Name of the unique index the role creates: uq_<view>_natural_key, at most 63 bytes."""
    room = _MAX_IDENTIFIER - len(_INDEX_NAME_FORMAT % "")
    return _INDEX_NAME_FORMAT % view_name[:room]


def matview_duplicates_query(view, columns, definition):
    """A read-only SELECT giving one row: the view and its first duplicated key as text, or NULL.

    It runs the view's own defining query, so it answers for the data the next
    REFRESH will store, populated or not. Rows whose key has a NULL are left
    out: a unique index accepts any number of them.
    """
    cols = ", ".join(quote_ident(c) for c in columns)
    not_null = " AND ".join("%s IS NOT NULL" % quote_ident(c) for c in columns)
    shown = " || ', ' || ".join(
        "%s || quote_nullable(d.%s)" % (quote_literal(c + "="), quote_ident(c)) for c in columns)
    body = definition.strip().rstrip(";").strip()
    return (
        "SELECT %s AS view, (SELECT %s || ' appears in ' || d.duplicates || ' rows' "
        "FROM (SELECT %s, count(*) AS duplicates FROM (%s) AS v WHERE %s GROUP BY %s "
        "HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT 1) AS d) AS duplicate"
        % (quote_literal(view), shown, cols, body, not_null, cols)
    )


def _index_fix(view, key, create_indexes):
    if key and not create_indexes:
        return ("set matview_refresh_create_unique_indexes=true (it checks that (%s) is unique, then "
                "creates the unique index %s on it)" % (", ".join(key), matview_index_name(view.split(".", 1)[1])))
    return ("add its natural key to matview_refresh_unique_keys (for example %s: [user_id]) with "
            "matview_refresh_create_unique_indexes=true, or create a unique index on plain columns "
            "without a WHERE clause yourself" % view.split(".", 1)[1])


def matview_refresh_plan(views, mode="auto", unique_keys=None, create_indexes=False):
    """Decide how each probed materialized view is refreshed.

    *views* are the role's probe rows (schema, name, populated, unique_index,
    columns, definition).  Each entry of the result says which method is used
    (``concurrently`` or ``plain``) and the statement, the unique index to
    create first (or None), a warning when ``auto`` falls back to a plain
    REFRESH, and an error when the request cannot be met (the role fails on it
    before touching anything).

    REFRESH … CONCURRENTLY needs a populated view and a valid, immediate, unique
    B-tree index on plain columns without a WHERE clause; anything else is
    refused by PostgreSQL.
    """
    if mode not in MATVIEW_MODES:
        raise ValueError("mode %r is not one of %s" % (mode, ", ".join(MATVIEW_MODES)))
    keys = {}
    for name, columns in (unique_keys or {}).items():
        keys[qualify_view_name(name)] = list(columns or [])
    plan = []
    for row in views:
        view = "%s.%s" % (row["schema"], row["name"])
        qualified = "%s.%s" % (quote_ident(row["schema"]), quote_ident(row["name"]))
        populated = bool(row.get("populated"))
        unique_index = row.get("unique_index") or None
        key = keys.get(view) or []
        entry = dict(view=view, qualified=qualified, populated=populated,
                     unique_index=unique_index, create_index=None,
                     method="plain", warning=None, error=None)
        if not unique_index and create_indexes and key:
            columns = list(row.get("columns") or [])
            missing = [c for c in key if c not in columns]
            if missing:
                entry["error"] = (
                    "materialized view %s has no column %s for its unique key (its columns: %s): fix "
                    "matview_refresh_unique_keys['%s']." % (
                        view, ", ".join(missing), ", ".join(columns) or "none", row["name"]))
            else:
                index = matview_index_name(row["name"])
                entry["create_index"] = dict(
                    name=index,
                    columns=key,
                    statement="CREATE UNIQUE INDEX %s ON %s (%s)" % (
                        quote_ident(index), qualified, ", ".join(quote_ident(c) for c in key)),
                    duplicates_query=matview_duplicates_query(view, key, row.get("definition") or ""),
                )
        has_index = bool(unique_index or entry["create_index"])
        if mode == "plain":
            pass
        elif not populated:
            if mode == "concurrent":
                entry["error"] = entry["error"] or (
                    "materialized view %s is not populated, and PostgreSQL refuses REFRESH … CONCURRENTLY "
                    "on a view that was never filled: populate it once with matview_refresh_mode=auto "
                    "(a plain REFRESH), then use concurrent." % view)
            else:
                entry["warning"] = (
                    "materialized view %s is not populated yet: it gets a plain REFRESH, which fills it "
                    "(CONCURRENTLY is refused on an unpopulated view); later runs can use CONCURRENTLY%s."
                    % (view, "" if has_index else " once it has a unique index: " + _index_fix(view, key, create_indexes)))
        elif not has_index:
            fix = _index_fix(view, key, create_indexes)
            if mode == "concurrent":
                entry["error"] = entry["error"] or (
                    "materialized view %s cannot be refreshed CONCURRENTLY: it has no unique index on plain "
                    "columns without a WHERE clause. Fix: %s." % (view, fix))
            else:
                entry["warning"] = (
                    "materialized view %s has no unique index on plain columns without a WHERE clause, so it "
                    "gets a plain REFRESH, which blocks every reader of the view until it ends. Fix: %s."
                    % (view, fix))
        else:
            entry["method"] = "concurrently"
        entry["statement"] = "REFRESH MATERIALIZED VIEW %s%s" % (
            "CONCURRENTLY " if entry["method"] == "concurrently" else "", qualified)
        plan.append(entry)
    return plan


# --- alembic_version --------------------------------------------------------

def alembic_read_script():
    """psql script printing {"has_table": bool, "versions": [...]} after the rows marker.

    A plain SELECT on a missing table is an error even in a branch that is not
    taken, so psql's own \\if decides whether the table is read.
    """
    return (
        "SELECT to_regclass('public.alembic_version') IS NOT NULL AS __has_table \\gset\n"
        "\\echo %s\n"
        "\\if :__has_table\n"
        "SELECT json_build_object('has_table', true, 'versions', coalesce("
        "(SELECT json_agg(version_num ORDER BY version_num) FROM public.alembic_version), '[]'::json));\n"
        "\\else\n"
        "SELECT json_build_object('has_table', false, 'versions', '[]'::json);\n"
        "\\endif\n" % ROWS_MARKER
    )


def alembic_stamp_statements(revision):
    """Statements (for one transaction) leaving exactly one alembic_version row: *revision*."""
    return [
        "CREATE TABLE IF NOT EXISTS public.alembic_version "
        "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        "DELETE FROM public.alembic_version",
        "INSERT INTO public.alembic_version (version_num) VALUES (%s)" % quote_literal(revision),
    ]


# --- Privileges of the application role (role fancai.db_runbooks.privileges) ---

TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT", "UPDATE")
OWNED_KINDS = ("TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "SEQUENCE", "TYPE", "ROUTINE")


def _privilege_list(values, allowed, what):
    out = []
    for value in values or []:
        value = str(value).upper()
        if value not in allowed:
            raise ValueError("%s privilege %r is not one of %s" % (what, value, ", ".join(allowed)))
        if value not in out:
            out.append(value)
    return out


def privileges_statements(state, role, database, for_role, table_privileges=None,
                          sequence_privileges=None, default_privileges=True, owner=False):
    """Statements (for one transaction) giving *role* what the probe *state* found missing.

    *state* is the privileges role's probe row: ``connect`` (bool), ``schemas``
    (one dict per schema: ``schema``, ``usage``, ``tables`` and ``sequences``
    still missing a privilege, as regclass text, ``default_tables`` and
    ``default_sequences``: whether *for_role*'s default privileges already
    cover them) and ``not_owned`` (``kind`` and ``name`` of each object *role*
    does not own).  Object names arrive quoted by PostgreSQL's regclass,
    regtype and regprocedure output.  Returns [] when nothing is missing, so
    the caller's ``changed`` is the truth.
    """
    tables = _privilege_list(table_privileges, TABLE_PRIVILEGES, "table")
    sequences = _privilege_list(sequence_privileges, SEQUENCE_PRIVILEGES, "sequence")
    who = quote_ident(role)
    statements = []
    owned = set()
    if owner:
        for obj in state.get("not_owned") or []:
            if obj["kind"] not in OWNED_KINDS:
                raise ValueError("unknown object kind %r" % (obj["kind"],))
            statements.append("ALTER %s %s OWNER TO %s" % (obj["kind"], obj["name"], who))
            owned.add(obj["name"])
    if not state.get("connect"):
        statements.append("GRANT CONNECT ON DATABASE %s TO %s" % (quote_ident(database), who))
    schemas = state.get("schemas") or []
    for schema in schemas:
        if not schema.get("usage"):
            statements.append("GRANT USAGE ON SCHEMA %s TO %s" % (quote_ident(schema["schema"]), who))
    missing_tables = [t for s in schemas for t in s.get("tables") or [] if t not in owned]
    if missing_tables and tables:
        statements.append("GRANT %s ON TABLE %s TO %s" % (", ".join(tables), ", ".join(missing_tables), who))
    missing_sequences = [q for s in schemas for q in s.get("sequences") or [] if q not in owned]
    if missing_sequences and sequences:
        statements.append("GRANT %s ON SEQUENCE %s TO %s" % (
            ", ".join(sequences), ", ".join(missing_sequences), who))
    if default_privileges:
        for schema in schemas:
            head = "ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA %s" % (
                quote_ident(for_role), quote_ident(schema["schema"]))
            if tables and not schema.get("default_tables"):
                statements.append("%s GRANT %s ON TABLES TO %s" % (head, ", ".join(tables), who))
            if sequences and not schema.get("default_sequences"):
                statements.append("%s GRANT %s ON SEQUENCES TO %s" % (head, ", ".join(sequences), who))
    return statements


# --- Names the collection derives from a database name ------------------------

# What the collection appends to a database name: the restore builds its new
# copy as <db>__restore and keeps the old database aside as
# <db>__old_YYYYMMDD_HHMMSS (UTC; lower case, so it stays a plain identifier)
# after the swap. (Verify's and the backup drill's scratch databases are named
# independently of the database.)
RESTORE_TEMP_SUFFIX = "__restore"
RESTORE_OLD_SUFFIX_FORMAT = "__old_%Y%m%d_%H%M%S"
RESTORE_OLD_SUFFIX_SHAPE = "__old_YYYYMMDD_HHMMSS"
RESTORE_OLD_SUFFIX_RE = r"__old_[0-9]{8}_[0-9]{6}"
DATABASE_SUFFIXES = (RESTORE_TEMP_SUFFIX, RESTORE_OLD_SUFFIX_SHAPE)
LONGEST_DATABASE_SUFFIX = max(DATABASE_SUFFIXES, key=len)
# PostgreSQL keeps 63 bytes of a name (and silently cuts longer ones): 42.
MAX_DATABASE_NAME = _MAX_IDENTIFIER - len(LONGEST_DATABASE_SUFFIX)

# The collection's own names: a base and exactly one suffix.
_DERIVED_NAME_RE = re.compile(
    r"^(?P<base>[a-z_][a-z0-9_]*?)(?P<suffix>__restore|%s)$" % RESTORE_OLD_SUFFIX_RE)


def restore_kept_name(database, when):
    """The name the restore keeps *database* under after a swap at *when* (a UTC datetime)."""
    return database + when.strftime(RESTORE_OLD_SUFFIX_FORMAT)


def database_family(name):
    """The database a name belongs to: *name* itself, or the base of a name the collection made.

    bookreader_dev__restore and bookreader_dev__old_20261202_030000 belong to
    bookreader_dev: the run lock is taken on the family, so a restore that holds
    it covers the copies it makes, and nothing else acts on them meanwhile.
    """
    m = _DERIVED_NAME_RE.match(name) if isinstance(name, str) else None
    if m and not _DERIVED_NAME_RE.match(m.group("base")):
        return m.group("base")
    return name


def database_name_problem(name):
    """'' when *name* leaves room for every suffix the collection appends, else why not and the fix.

    A name the collection made itself (<db>__restore, <db>__old_<stamp>: a base
    and exactly one of its suffixes) is judged by the database it was made from.
    """
    m = _DERIVED_NAME_RE.match(name) if isinstance(name, str) else None
    if m and len(name) <= _MAX_IDENTIFIER and not _DERIVED_NAME_RE.match(m.group("base")):
        base = m.group("base")
    else:
        err = check_identifier(name, "database name")
        if err:
            return err
        base = name
    if len(base) <= MAX_DATABASE_NAME:
        return ""
    made = "" if base == name else " (made by the collection from %r)" % base
    return (
        "database name %r%s is %d characters; the collection appends %r (%d) to it during a restore, "
        "so at most %d fit PostgreSQL's %d: rename it (ALTER DATABASE … RENAME TO a name of at most %d "
        "characters, with the application stopped, then point its DATABASE_URL at the new name) or "
        "restore it by hand with the guide's steps."
        % (name, made, len(base), LONGEST_DATABASE_SUFFIX, len(LONGEST_DATABASE_SUFFIX),
           MAX_DATABASE_NAME, _MAX_IDENTIFIER, MAX_DATABASE_NAME)
    )


PREFLIGHT_LOCK_MODES = ("exclusive", "shared", "none")
_DIGITS_RE = re.compile(r"^[0-9]+\Z")
_LOCK_DIR_RE = re.compile(r"^/[A-Za-z0-9._/-]*\Z")


def _text(value):
    """What Jinja's ``string`` filter makes of *value*, as JSON (the way the messages show it)."""
    return json.dumps(value if isinstance(value, str) else str(value))


def preflight_problem(container, login_user, database="", lock="none", lock_wait=0,
                      lock_max_seconds=21600, lock_dir=""):
    """'' when the preflight role's inputs are usable, else the first problem, naming the value and the fix.

    The checks the role makes on every include (each role names its own
    database and lock mode), in one call: the container and login names, the
    lock request, and the database name's room for the suffixes the
    collection appends.
    """
    if not (isinstance(container, str) and CONTAINER_RE.match(container) and "\n" not in container
            and isinstance(login_user, str) and IDENTIFIER_RE.match(login_user) and "\n" not in login_user):
        return (
            "db_runbooks_container=%s or db_runbooks_login_user=%s is not a valid name. Container names use "
            "letters, digits, '_', '.' or '-' (see `docker ps --format '{{.Names}}'`); the login user is a plain "
            "lower-case PostgreSQL role name such as 'postgres'." % (_text(container), _text(login_user))
        )
    if not (isinstance(database, str)
            and lock in PREFLIGHT_LOCK_MODES
            and (lock == "none" or len(database) > 0)
            and _DIGITS_RE.match(str(lock_wait))
            and _DIGITS_RE.match(str(lock_max_seconds)) and int(str(lock_max_seconds)) >= 1
            and (lock_dir == "" or (isinstance(lock_dir, str) and _LOCK_DIR_RE.match(lock_dir)))):
        return (
            "preflight_lock=%s must be exclusive, shared or none, with preflight_database=%s naming the database "
            "when a lock is asked for; db_runbooks_lock_wait=%s a number of seconds (0 refuses at once); "
            "db_runbooks_lock_max_seconds=%s at least 1; db_runbooks_lock_dir=%s empty or an absolute path on the "
            "docker host. Nothing was touched."
            % (json.dumps(lock), _text(database), _text(lock_wait), _text(lock_max_seconds), json.dumps(lock_dir))
        )
    if database:
        problem = database_name_problem(database)
        if problem:
            return problem + " Nothing was touched."
    return ""
