"""Unit tests for plugins/module_utils/_runbooks.py (pure logic, no docker)."""

import json

import pytest

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _runbooks as rb


@pytest.mark.parametrize("name", ["bookreader_dev", "_x", "a" * 63, "bookreader_dev__restore"])
def test_check_identifier_accepts_plain_names(name):
    assert rb.check_identifier(name, "database") is None


@pytest.mark.parametrize("name", ["", "Bookreader", "1db", "a" * 64, "book-reader", "x; DROP", 'x"y', None, 5])
def test_check_identifier_refuses_and_names_value(name):
    msg = rb.check_identifier(name, "database")
    assert msg is not None
    assert repr(name) in msg
    assert "bookreader_dev" in msg  # says what a good value looks like


@pytest.mark.parametrize("name", ["fancai-vibe-hackathon-postgres-1", "pg", "a.b_c-d"])
def test_container_names(name):
    assert rb.check_container_name(name) is None


@pytest.mark.parametrize("name", ["", "-x", "has space", "x;rm -rf /", "é"])
def test_bad_container_names(name):
    assert "docker ps" in rb.check_container_name(name)


@pytest.mark.parametrize("raw, quoted", [
    ("bookreader_dev", '"bookreader_dev"'),
    ('we"ird', '"we""ird"'),
    ("uuid-ossp", '"uuid-ossp"'),
])
def test_quote_ident(raw, quoted):
    assert rb.quote_ident(raw) == quoted


@pytest.mark.parametrize("raw, quoted", [
    ("enum_checks_2025", "'enum_checks_2025'"),
    ("it's", "'it''s'"),
    (None, "NULL"),
    (5, "'5'"),
])
def test_quote_literal(raw, quoted):
    assert rb.quote_literal(raw) == quoted


def test_psql_argv_is_safe_and_complete():
    argv = rb.build_psql_argv("pg", "postgres", "bookreader_dev")
    assert argv[:4] == ["docker", "exec", "-i", "pg"]
    assert "-t" not in argv[:4]  # never a TTY for data
    assert ["-v", "ON_ERROR_STOP=1"] == argv[argv.index("-v"):argv.index("-v") + 2]
    assert "-X" in argv
    assert argv[-6:] == ["-f", "-", "-U", "postgres", "-d", "bookreader_dev"]
    assert "--single-transaction" not in argv


def test_psql_argv_options():
    argv = rb.build_psql_argv("pg", "u", "d", docker_cli="/usr/bin/docker", single_transaction=True,
                              variables={"rev": "enum_checks_2025"}, settings={"lock_timeout": "5s"})
    assert argv[0] == "/usr/bin/docker"
    assert argv[3:5] == ["-e", "PGOPTIONS=-c lock_timeout=5s"]
    assert "--single-transaction" in argv
    assert "rev=enum_checks_2025" in argv


def test_pgoptions_escapes_spaces_and_sorts():
    assert rb.pgoptions({"statement_timeout": "10min", "application_name": "a b"}) == \
        "-c application_name=a\\ b -c statement_timeout=10min"


def test_pgoptions_refuses_bad_names():
    with pytest.raises(ValueError):
        rb.pgoptions({"x; y": "1"})


def test_shell_join_quotes():
    assert rb.shell_join(["psql", "-c", "SELECT 'a b'"]) == "psql -c 'SELECT '\"'\"'a b'\"'\"''"


def test_build_script_adds_semicolons_and_keeps_meta_commands():
    script = rb.build_script(["CREATE TABLE t (i int)", "\\connect other", "SELECT 1;", "  "])
    assert script == "CREATE TABLE t (i int);\n\\connect other\nSELECT 1;\n"


def test_build_script_with_query_wraps_rows():
    script = rb.build_script([], "SELECT 1 AS one;")
    assert script.startswith("\\echo %s\n" % rb.ROWS_MARKER)
    assert "json_agg" in script and "SELECT 1 AS one\n" in script


def test_parse_rows_after_marker_handles_multiline_json():
    stdout = "noise\n%s\n[{\"a\":1}, \n {\"a\":2}]\n" % rb.ROWS_MARKER
    assert rb.parse_rows(stdout) == [{"a": 1}, {"a": 2}]


def test_parse_rows_without_marker_is_none():
    assert rb.parse_rows("CREATE TABLE\n") is None


def test_parse_rows_keeps_newlines_inside_values():
    payload = json.dumps([{"t": "line1\nline2"}])
    assert rb.parse_rows("%s\n%s" % (rb.ROWS_MARKER, payload)) == [{"t": "line1\nline2"}]


def test_parse_error_location():
    stderr = 'psql:<stdin>:42: ERROR:  syntax error at or near "CREAT"\nLINE 1: CREAT TABLE x();\n'
    assert rb.parse_error_location(stderr) == ("<stdin>", 42, 'ERROR:  syntax error at or near "CREAT"')


@pytest.mark.parametrize("rc, stderr, expected", [
    (1, "Error response from daemon: No such container: pg-9", ["'pg'", "does not exist", "db_runbooks_container"]),
    (1, "Error response from daemon: Container abc is not running", ["not running", "docker start pg"]),
    (1, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.", ["Docker engine did not answer"]),
    (127, 'OCI runtime exec failed: exec: "psql": executable file not found in $PATH', ["psql could not be started"]),
    (2, 'psql: error: connection to server on socket failed: FATAL:  database "db" does not exist',
     ["database 'db' does not exist", "role fancai.db_runbooks.database"]),
    (2, "psql: error: connection to server failed: FATAL:  the database system is starting up",
     ["refused the connection", "docker logs pg"]),
    (3, 'psql:<stdin>:7: ERROR:  relation "x" does not exist', ["line 7", 'relation "x" does not exist']),
])
def test_describe_failure(rc, stderr, expected):
    msg = rb.describe_failure(rc, stderr, "pg", "db", "postgres")
    for part in expected:
        assert part in msg


def test_describe_failure_names_the_streamed_file():
    msg = rb.describe_failure(3, "psql:<stdin>:12: ERROR:  oops", "pg", "db", "postgres",
                              source="/tmp/schema.sql")
    assert msg == "SQL failed in database 'db' at /tmp/schema.sql line 12: ERROR:  oops"


def test_alembic_read_script_reads_the_table_only_when_it_exists():
    script = rb.alembic_read_script()
    assert "\\gset" in script and "\\if :__has_table" in script
    # the marker precedes the JSON, so parse_rows-style parsing finds it
    assert script.index(rb.ROWS_MARKER) < script.index("json_build_object")
    assert "ORDER BY version_num" in script


def test_alembic_stamp_statements_leave_one_row():
    stmts = rb.alembic_stamp_statements("enum_checks_2025")
    assert stmts[0].startswith("CREATE TABLE IF NOT EXISTS public.alembic_version")
    assert stmts[1] == "DELETE FROM public.alembic_version"
    assert stmts[2].endswith("VALUES ('enum_checks_2025')")


def test_alembic_stamp_statements_quote_the_revision():
    assert rb.alembic_stamp_statements("x'y")[2].endswith("VALUES ('x''y')")
