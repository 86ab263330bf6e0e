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
    if "No such container" in err:
        return (
            "container %r does not exist on this docker host: check the name with "
            "`docker ps --format '{{.Names}}'` and set db_runbooks_container." % container
        )
    if "is not running" in err or "is paused" in err or "is restarting" in err:
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
