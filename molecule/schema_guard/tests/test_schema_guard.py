"""What the hostile runs left (nothing), and the check against the container's own psql.

The second half feeds tricky psql scripts both to the check and to psql in the
scenario's container, with a harmless \\echo as the meta-command: whenever psql
runs it, the check must have refused the script. That keeps the check honest
about psql's lexer, release after release.
"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _schema_guard as guard  # noqa: E402

MARKERS = ["shell", "string", "output", "program"]


# --- nothing was left -----------------------------------------------------------------

@pytest.mark.parametrize("marker", MARKERS)
def test_no_marker_file_in_the_container(host, inventory_vars, marker):
    res = host.run("docker exec %s ls /tmp/schema_guard_pwned_%s" % (inventory_vars["db_runbooks_container"], marker))
    assert res.rc != 0, res.stdout


@pytest.mark.parametrize("marker", MARKERS)
def test_no_marker_file_on_the_docker_host(host, marker):
    assert not host.file("/tmp/schema_guard_pwned_%s" % marker).exists


def test_no_table_of_a_hostile_file_anywhere(pg):
    for db in pg.databases():
        assert pg.rows("SELECT relname FROM pg_class WHERE relname LIKE 'guard\\_%'", db) == [], db


def test_absent_databases_stayed_absent(pg):
    names = pg.databases()
    for db in ["guard_absent", "guard_absent__restore", "guard_roles", "guard_roles__restore"]:
        assert db not in names


def test_no_scratch_or_temporary_database_left(pg):
    assert [d for d in pg.databases() if d.startswith("db_runbooks_verify_")
            or d.endswith(("__restore", "__expected")) or "__old" in d] == []


def test_no_safety_dump_was_written(host):
    backups = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "backups")
    found = host.run("find %s -name '*.dump' 2>/dev/null" % backups).stdout.split()
    assert found == []


def test_bookreader_dev_has_only_its_schema(pg):
    tables = [r["tablename"] for r in pg.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
    assert tables == ["alembic_version", "books", "chapters", "descriptions", "generated_images",
                      "reading_progress", "reading_sessions", "subscriptions", "users"]


def test_database_restored_from_the_pg_dump_file(pg):
    assert pg.value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", "from_dump") == 9
    assert pg.value("SELECT version_num FROM alembic_version", "from_dump") == "enum_checks_2025"
    assert pg.value("SELECT bool_and(ispopulated) FROM pg_matviews", "from_dump") is True


# --- the check against psql itself -------------------------------------------------------

# (script, whether psql runs the \echo in it). Each is run by psql and checked.
CASES = [
    ("SELECT 1; \\echo HIT\n", True),
    ("SELECT E'a\\' \\echo MISS ';\n", False),
    ("SELECT E'a\\\n' \\echo HIT\n;\n", True),
    ("SELECT 'a\\' \\echo HIT\n", True),
    ("SELECT E'a'\n'\\' \\echo HIT ';\n", True),
    ("SELECT $x$ \\echo MISS $x$;\n", False),
    ("SELECT $x$ $y$ \\echo MISS $x$;\n", False),
    ("SELECT $a$$b$ \\echo MISS $a$;\n", False),
    ("SELECT 1 AS a$b$ \\echo HIT\n;\n", True),
    ("SELECT 1 xE'\\' \\echo HIT\n';\n", True),
    ("SELECT 1E'\\' \\echo HIT\n';\n", True),
    ("SELECT $1E'\\' \\echo HIT\n';\n", True),
    ("SELECT $E'\\' \\echo MISS\n';\n", False),
    ("SELECT $E '\\' \\echo HIT\n';\n", True),
    ("SELECT $x$ $x$E'\\' \\echo MISS\n';\n", False),
    ("SELECT ééE'\\' \\echo HIT\n';\n", True),
    ("SELECT 'a'E'\\' \\echo MISS ';\n", False),
    ("SELECT \"x\"E'\\' \\echo MISS ';\n", False),
    ("SELECT U&'\\' \\echo HIT\n;\n", True),
    ("SELECT B'0' \\echo HIT\n;\n", True),
    ("SELECT n'\\' \\echo HIT\n;\n", True),
    ("SELECT e'x\\'' \\echo HIT\n;\n", True),
    ("/* a /* b */ \\echo MISS */ SELECT 1;\n", False),
    ("/* a */ \\echo HIT\n", True),
    ("-- \\echo MISS\nSELECT 1;\n", False),
    ("SELECT 1 -- x \\echo MISS\n;\n", False),
    ("SELECT 1/*/ \\echo MISS */;\n", False),
    ("SELECT 1 +-- \\echo MISS\n;\n", False),
    ("SELECT \"a\\echo MISS\";\n", False),
    ("SELECT \"a\"\"\\echo MISS\";\n", False),
    ("SELECT 1 AS \"\\\" \\echo HIT\n;\n", True),
    ("SELECT 'it''s \\echo MISS';\n", False),
    ("SELECT (1; \\echo HIT\n", True),
    ("SELECT 1 \\;\\echo HIT\n", True),
    ("SELECT 1 \\: \\echo HIT\n", True),
    ("CREATE TEMP TABLE t(a text);\nCOPY t FROM stdin;\n\\echo MISS\n\\.\nSELECT 1;\n", False),
    ("CREATE TEMP TABLE t(a text);\nCOPY t FROM stdin;\nx\n\\. \n\\echo MISS\n\\.\nSELECT 1;\n", False),
    ("CREATE TEMP TABLE t(a text);\nCOPY t FROM stdin; \\echo HIT\nx\n\\.\n", True),
    ("CREATE TEMP TABLE t(a text);\nCOPY t\n FROM\n stdin;\nx\n\\.\n\\echo HIT\n", True),
    ("CREATE TEMP TABLE t(a text);\nCOPY t FROM stdin \\; SELECT 1;\nx\n\\.\n\\echo HIT\n", True),
    ("CREATE TEMP TABLE t(a text);\nCOPY t FROM stdin; /* open\nx\n\\.\n \\echo MISS */ SELECT 1;\n", False),
    ("CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n\\echo HIT\n", True),
    ("CREATE TEMP TABLE t(a text);\nCREATE FUNCTION pg_temp.f() RETURNS void LANGUAGE sql BEGIN ATOMIC SELECT 1; "
     "COPY t FROM stdin; END;\n\\echo HIT\n\\.\n", True),
    ("CREATE TEMP TABLE t(a text);\nCREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
     "SELECT CASE WHEN true THEN 1 END; END; COPY t FROM stdin;\n\\echo MISS\n\\.\n", False),
]


def _psql_runs_echo(container, script):
    res = subprocess.run(["docker", "exec", "-i", container, "psql", "-X", "-q", "-A", "-t", "-f", "-",
                          "-U", "postgres", "-d", "postgres"], input=script.encode("utf-8"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    out = (res.stdout + res.stderr).decode("utf-8", "replace")
    # psql's error messages quote the script ("LINE 1: ... \\echo HIT"): only a bare word is an echo.
    return "HIT" in out.replace("echo HIT", ""), "MISS" in out.replace("echo MISS", "")


@pytest.mark.parametrize("script, runs", CASES)
def test_the_check_refuses_what_psql_runs(inventory_vars, script, runs):
    hit, miss = _psql_runs_echo(inventory_vars["db_runbooks_container"], script)
    assert (hit, miss) == (runs, False), "psql's reading of the case changed: %r" % script
    try:
        guard.check_text(script, "postgres", "case.sql")
        refused = False
    except guard.SchemaRefused:
        refused = True
    assert refused == runs, script
