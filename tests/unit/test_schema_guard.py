"""The schema-file check: psql meta-commands seen the way psql's lexer sees them, and what is loaded."""

import ast
import gzip
import os

import pytest
import yaml

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _schema_guard as g

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUNDLED = os.path.join(ROOT, "roles", "schema_load", "files", "enum_checks_2025.sql")
DB = "bookreader_dev"
KEY = "djFMSSGDMLxaKXPLnMZEQKXyWCA8YmrplGqgGjQbeYHNo73I7m9Go8T60Iq8N0z"

# The shape of pg_dump 15.14+ output, with a data section.
PG_DUMP = """--
-- PostgreSQL database dump
--

\\restrict {key}

SET statement_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.users (id integer NOT NULL, email text CHECK (email ~ '^[^\\s@]+@'));
COMMENT ON TABLE public.users IS 'who reads; \\connect elsewhere is only text here';
CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql
    BEGIN ATOMIC
 SELECT 1;
 SELECT CASE WHEN true THEN 2 ELSE 3 END;
END;
COPY public.users (id, email) FROM stdin;
1\tback\\\\slash\\! touch /tmp/x
2\t\\N
\\.
CREATE INDEX ix_users_email ON public.users USING btree (email);

--
-- PostgreSQL database dump complete
--

\\unrestrict {key}
""".format(key=KEY)


def check(text, database=DB):
    return g.check_text(text, database, "f.sql")


def refused(text, database=DB):
    with pytest.raises(g.SchemaRefused) as exc:
        check(text, database)
    return exc.value


# --- what passes ----------------------------------------------------------------

def test_bundled_schema_passes_without_meta_commands():
    with open(BUNDLED, "rb") as f:
        data = f.read()
    found = g.check_schema(data, DB, BUNDLED)
    assert found["meta_commands"] == []
    assert found["lines"] == data.count(b"\n")
    assert found["size"] == len(data)
    assert len(found["sha256"]) == 64
    assert found["text"] == data.decode("utf-8")


def test_pg_dump_output_passes_and_names_its_meta_commands():
    found = check(PG_DUMP)
    assert [(m["line"], m["command"]) for m in found["meta_commands"]] == [(5, "\\restrict"), (28, "\\unrestrict")]
    assert found["meta_commands"][0]["text"] == "\\restrict " + KEY


def test_allowed_meta_commands_become_comments_on_the_same_lines():
    found = check(PG_DUMP)
    lines = found["text"].split("\n")
    assert lines[4] == "-- \\restrict " + KEY
    assert lines[27] == "-- \\unrestrict " + KEY
    assert found["text"].count("\n") == PG_DUMP.count("\n")
    # Everything else is untouched.
    assert [x for i, x in enumerate(lines) if i not in (4, 27)] == \
        [x for i, x in enumerate(PG_DUMP.split("\n")) if i not in (4, 27)]


@pytest.mark.parametrize("line", [
    "\\connect bookreader_dev",
    "\\connect   bookreader_dev  ",
    "\\connect \"bookreader_dev\"",
    "\\connect -reuse-previous=on \"dbname='bookreader_dev'\"",
    "\\connect bookreader_dev\r",
])
def test_connect_to_the_loaded_database_passes(line):
    found = check("SELECT 1;\n%s\nSELECT 2;\n" % line)
    assert found["meta_commands"][0]["command"] == "\\connect"
    assert found["meta_commands"][0]["line"] == 2


@pytest.mark.parametrize("text", [
    "-- \\! touch /tmp/x\nSELECT 1;\n",
    "SELECT 1; -- \\! touch /tmp/x\n",
    "/* \\! touch /tmp/x */ SELECT 1;\n",
    "/* outer /* inner */ \\! still a comment */ SELECT 1;\n",
    "SELECT '\\\\! plain strings keep backslashes';\n",
    "SELECT 'it''s \\! one string';\n",
    "SELECT E'\\' \\! escaped quote, still the string ';\n",
    "SELECT E'a\\\\b', e'\\'' || ' \\! in a plain string';\n",
    "SELECT E'line\\\n \\! a backslash-newline keeps the string open ';\n",
    "SELECT $$ \\! dollar body $$;\n",
    "SELECT $fn$ $$ \\! $x$ nested tags $fn$;\n",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$\nBEGIN\n  RAISE NOTICE '\\!';\nEND\n$body$;\n",
    "SELECT 1 AS \"col\\! quoted identifier\";\n",
    "SELECT 1 AS \"a\"\"\\!\";\n",
    "COPY t (a) FROM stdin;\n\\! data, not a command\n\\N\n\\.\nSELECT 1;\n",
    "COPY t FROM STDIN WITH (FORMAT csv);\n\"a\",\"\\!\"\n\\.\r\nSELECT 1;\n",
    "COPY t FROM stdin;\nx\n\\. \n\\! '\\. ' does not end the data\n\\.\nSELECT 1;\n",
    "COPY t FROM stdin; COPY u FROM stdin;\none\n\\.\ntwo \\!\n\\.\nSELECT 1;\n",
    "COPY t FROM stdin \\; COPY u FROM stdin;\none\n\\.\ntwo \\!\n\\.\n",
    "COPY t FROM stdin; /* a comment the data interrupts\n\\! data\n\\.\n \\! still the comment */ SELECT 1;\n",
    "SELECT 1 \\; SELECT 2;\n",
    "SELECT ARRAY[1,2][1\\:2];\n",
    "COPY (SELECT 1) TO STDOUT;\n",
    "SELECT 1/*/ \\! comment */;\n",
    "SELECT 1 +-- \\! comment\n;\n",
    "SELECT $$a$$ || $1;\n",
    "SELECT $E'\\' \\! psql throws back all but the $: an E-string ';\n",
    "SELECT 'a'E'\\' \\! an E-string right after a string ';\n",
    "SELECT $x$ $x$E'\\' \\! an E-string right after a dollar body ';\n",
])
def test_backslashes_psql_does_not_run_pass(text):
    check(text)


# --- what is refused ------------------------------------------------------------

@pytest.mark.parametrize("line, command, why", [
    ("\\! touch /tmp/pwned", "\\!", "runs a shell command"),
    ("\\o /tmp/out", "\\o", "writes query output"),
    ("\\out |sh", "\\out", "writes query output"),
    ("\\w /tmp/x", "\\w", "writes the query buffer"),
    ("\\g |sh", "\\g", "sends the query"),
    ("\\gx /tmp/x", "\\gx", "sends the query"),
    ("\\gexec", "\\gexec", "runs the rows of a query as more SQL"),
    ("\\gset", "\\gset", "sets psql variables"),
    ("\\copy t from program 'id'", "\\copy", "runs a program"),
    ("\\setenv PAGER sh", "\\setenv", "changes psql's environment"),
    ("\\set ON_ERROR_STOP off", "\\set", "changes psql variables"),
    ("\\unset ON_ERROR_STOP", "\\unset", "changes psql variables"),
    ("\\i /etc/other.sql", "\\i", "reads another file"),
    ("\\include /etc/other.sql", "\\include", "reads another file"),
    ("\\ir other.sql", "\\ir", "reads another file"),
    ("\\cd /", "\\cd", "working directory"),
    ("\\lo_import /etc/passwd", "\\lo_import", "reads a file"),
    ("\\lo_export 1 /tmp/x", "\\lo_export", "writes a large object"),
    ("\\encoding SJIS", "\\encoding", "client encoding"),
    ("\\if true", "\\if", "conditional"),
    ("\\echo hello", "\\echo", "is a psql meta-command, not SQL"),
    ("\\c bookreader_dev", "\\c", "opens another connection"),
    ("\\q", "\\q", "ends psql"),
    ("\\", "\\", "is a psql meta-command, not SQL"),
    ("\\\\", "\\", "is a psql meta-command, not SQL"),
])
def test_meta_commands_are_refused_with_line_and_command(line, command, why):
    exc = refused("SELECT 1;\n\nCREATE TABLE t (a int);\n%s\nSELECT 2;\n" % line)
    assert exc.line == 4
    assert exc.command == command
    msg = str(exc)
    assert msg.startswith("Schema file f.sql line 4: psql meta-command %s" % line.rstrip())
    assert why in msg
    assert "nothing was touched" in msg
    assert "remove that line" in msg


@pytest.mark.parametrize("text, line", [
    ("SELECT 1; \\! touch /tmp/x\n", 1),                     # anywhere on a line
    ("SELECT 'a\\' \\! touch /tmp/x\n", 1),                  # a plain string ends at its quote
    ("SELECT E'a'\n'\\' \\! touch /tmp/x ';\n", 2),         # psql never joins strings across lines
    ("SELECT x\\! touch\n", 1),
    ("SELECT 1 xE'\\' \\! touch '\n;\n", 1),                 # xE is an identifier: a plain string
    ("SELECT 1E'\\' \\! touch '\n;\n", 1),                   # psql 15+: a plain string after 1E
    ("SELECT $1E'\\' \\! touch '\n;\n", 1),
    ("SELECT U&'\\' \\! touch\n;\n", 1),
    ("SELECT B'0' \\! touch\n;\n", 1),
    ("SELECT n'\\' \\! touch\n;\n", 1),
    ("SELECT 1 AS a$b$ \\! touch\n;\n", 1),                  # a$b$ is an identifier, not a dollar quote
    ("/* a */ \\! touch\n", 1),
    ("SELECT (1; \\! touch\n", 1),
    ("SELECT 1 \\;\\! touch\n", 1),
    ("COPY t FROM stdin; \\! touch\nx\n\\.\n", 1),           # the rest of the COPY line is SQL
    ("COPY t FROM stdin;\nx\n\\.\n\\! touch\n", 4),          # after the data
    ("CREATE TABLE t (a int);\nCOPY t\n FROM\n stdin;\nx\n\\.\n\\! touch\n", 7),
    # BEGIN ATOMIC: the ';' inside do not end the statement, so this COPY is no statement of its own.
    ("CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC SELECT 1; COPY t FROM stdin; END;\n"
     "\\! touch\n\\.\n", 2),
    ("CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; "
     "COPY t FROM stdin; END;\n\\! touch\n\\.\n", 2),
])
def test_meta_commands_psql_runs_are_found(text, line):
    exc = refused(text)
    assert exc.line == line
    assert exc.command == "\\!"


def test_copy_after_a_function_body_is_still_copy():
    text = ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; END;"
            " COPY t FROM stdin;\n\\! data\n\\.\n")
    check(text)


@pytest.mark.parametrize("line, why", [
    ("\\connect postgres", "connects to database postgres, outside the database the file is loaded into (bookreader_dev)"),
    ("\\connect \"other\"", "connects to database other"),
    ("\\connect -reuse-previous=on \"dbname='other'\"", "connects to database other"),
    ("\\connect bookreader_dev postgres", "is not a \\connect pg_dump writes"),
    ("\\connect bookreader_dev \\\\ SELECT 1", "is not a \\connect pg_dump writes"),
    ("\\connect :DBNAME", "is not a \\connect pg_dump writes"),
    ("\\connect `echo bookreader_dev`", "is not a \\connect pg_dump writes"),
    ("\\connect -reuse-previous=on \"dbname='bookreader_dev' host=evil\"", "is not a \\connect pg_dump writes"),
    ("\\connect", "is not a \\connect pg_dump writes"),
    ("\\connectbookreader_dev", "is a psql meta-command, not SQL"),
    ("\\restrict", "letters and digits only"),
    ("\\restrict a-b", "letters and digits only"),
    ("\\restrict abc def", "letters and digits only"),
    ("\\unrestrict `id`", "letters and digits only"),
])
def test_allowed_meta_commands_only_in_the_forms_pg_dump_writes(line, why):
    exc = refused("SELECT 1;\n%s\n" % line)
    assert exc.line == 2
    assert why in str(exc)


def test_connect_is_checked_against_the_database_being_loaded():
    # The case: verify loads into a scratch database; the file connects to the live one.
    text = "\\connect bookreader_dev\nCREATE TABLE pwned (id int);\n"
    exc = refused(text, database="db_runbooks_verify_0a1b2c3d")
    assert "connects to database bookreader_dev, outside the database the file is loaded into " \
           "(db_runbooks_verify_0a1b2c3d)" in str(exc)
    assert check(text)["meta_commands"][0]["text"] == "\\connect bookreader_dev"


@pytest.mark.parametrize("text, words", [
    ("COPY t TO PROGRAM 'touch /tmp/x';\n", "COPY TO PROGRAM runs a shell command on the database server"),
    ("copy t (a) from program 'id';\n", "COPY FROM PROGRAM runs a shell command"),
    ("COPY t FROM '/etc/passwd';\n", "COPY FROM '/etc/passwd' reads or writes a file on the database server"),
    ("COPY (SELECT 1) TO '/tmp/x';\n", "COPY TO '/tmp/x' reads or writes a file"),
])
def test_copy_outside_the_database_is_refused(text, words):
    exc = refused("SELECT 1;\n" + text)
    assert exc.line == 2 and exc.command == "COPY"
    assert words in str(exc)


@pytest.mark.parametrize("text", [
    "SET client_encoding = 'UTF8';\n",
    "SET client_encoding TO utf8;\n",
    "SET client_encoding = 'UTF-8';\n",
    "SET SESSION client_encoding = DEFAULT;\n",
    "SET NAMES 'UTF8';\n",
    "SET standard_conforming_strings = on;\n",
    "SET standard_conforming_strings TO 'on';\n",
    "RESET client_encoding;\n",
    "SHOW standard_conforming_strings;\n",
])
def test_settings_that_keep_psqls_reading_pass(text):
    check(text)


@pytest.mark.parametrize("text, line", [
    ("SET client_encoding = 'SJIS';\n", 1),
    ("SET NAMES 'BIG5';\n", 1),
    ("SELECT 1;\nSET standard_conforming_strings = off;\n", 2),
    ("SET LOCAL standard_conforming_strings TO false;\n", 1),
    ("SELECT 1;\nSELECT set_config('standard_conforming_strings', 'off', false);\n", 2),
    ("DO $$ BEGIN EXECUTE 'SET client_encoding = ''GBK'''; END $$;\n", 1),
    ("ALTER DATABASE x SET client_encoding = 'SJIS';\n", 1),
])
def test_settings_that_change_psqls_reading_are_refused(text, line):
    exc = refused(text)
    assert exc.line == line
    assert exc.command == "SET"
    assert "how psql reads the rest of the file" in str(exc)


@pytest.mark.parametrize("text, line, what", [
    ("SELECT 1;\nSELECT 'open\n", 2, "a string literal"),
    ("SELECT E'open\\';\n", 1, "an E'' string literal"),
    ("SELECT \"open;\n", 1, "a double-quoted identifier"),
    ("SELECT 1;\n/* a /* b */ still open\n", 2, "a /* comment */"),
    ("DO $x$ BEGIN END $y$;\n", 1, "a dollar-quoted body"),
])
def test_unterminated_text_is_refused(text, line, what):
    exc = refused(text)
    assert exc.line == line
    assert "the file ends inside %s opened on that line" % what in str(exc)


def test_copy_data_without_end_line_is_refused():
    exc = refused("SELECT 1;\nCOPY t FROM stdin;\n1\n2\n")
    assert exc.line == 3
    assert "has no end line \\." in str(exc)


def test_copy_at_end_of_file_without_data_is_refused():
    exc = refused("SELECT 1;\nCOPY t FROM stdin;")
    assert exc.line == 2


@pytest.mark.parametrize("text", ["-- only a comment\n", "/* x */\n", "\n\n-- a\n"])
def test_a_file_without_sql_is_refused(text):
    assert "holds no SQL" in str(refused(text))


def test_comment_only_lines_count_lines_right():
    text = "\n\n\nSELECT 1;\n\\! x\n"
    assert refused(text).line == 5


# --- bytes ------------------------------------------------------------------------

@pytest.mark.parametrize("data, words", [
    (b"", "is empty: nothing was touched"),
    (b" \n\t\n", "is empty (only whitespace)"),
    (gzip.compress(b"SELECT 1;\n"), "is gzip-compressed (gzipped): nothing was touched. Decompress it first: "
                                    "zcat /srv/schema.sql.gz > /srv/schema.sql"),
    (b"BZh91AY&SY", "is bzip2-compressed"),
    (b"\xfd7zXZ\x00\x00", "is xz-compressed"),
    (b"PGDMP\x01\x0e\x00", "is a pg_dump custom-format archive, not SQL"),
    (b"PK\x03\x04rest", "is a zip archive"),
    (b"\xff\xfeS\x00E\x00", "is UTF-16 encoded"),
    (b"\xef\xbb\xbfSELECT 1;\n", "byte order mark"),
    (b"SELECT 1;\nSELECT 2;\x00\n", "has a NUL byte at line 2"),
    (b"SELECT 1;\n\nSELECT 'caf\xe9';\n", "is not UTF-8 (byte 0xe9 at line 3)"),
    (b"x" * 257 + b"ustar\x0000", "is a tar archive"),
])
def test_files_that_are_not_plain_utf8_sql_are_refused(data, words):
    with pytest.raises(g.SchemaRefused) as exc:
        g.check_schema(data, DB, "/srv/schema.sql.gz" if data[:2] == b"\x1f\x8b" else "f.sql",
                       path="/srv/schema.sql.gz" if data[:2] == b"\x1f\x8b" else None)
    assert words in str(exc.value), str(exc.value)


@pytest.mark.parametrize("path, container, hint", [
    ("/srv/schema.sql.gz", None, "zcat /srv/schema.sql.gz > /srv/schema.sql"),
    ("/srv/schema.gz", None, "zcat /srv/schema.gz > /srv/schema.sql"),
    ("/srv/dump", None, "zcat /srv/dump > /srv/dump.sql"),
    ("/app/s.sql.gz", "backend", "docker exec backend sh -c 'zcat /app/s.sql.gz > /app/s.sql'"),
])
def test_gzip_message_gives_the_command(path, container, hint):
    with pytest.raises(g.SchemaRefused) as exc:
        g.check_schema(gzip.compress(b"SELECT 1;\n"), DB, path, path=path, container=container)
    assert hint in str(exc.value)


def test_utf8_text_passes_and_keeps_its_characters():
    found = g.check_schema("COMMENT ON TABLE t IS 'Книги — café';\n".encode("utf-8"), DB, "f.sql")
    assert "Книги" in found["text"]


# --- what psql is given ---------------------------------------------------------------

@pytest.mark.parametrize("version, has", [
    (130021, False), (130022, True), (140018, False), (140019, True), (150007, False),
    (150013, False), (150014, True), (150020, True), (160009, False), (160010, True),
    (170005, False), (170006, True), (180000, True), (120022, False), ("150014", True),
    (None, False), ("", False),
])
def test_psql_has_restrict(version, has):
    assert g.psql_has_restrict(version) is has


def test_load_script_with_restrict_keeps_line_numbers():
    text = check(PG_DUMP)["text"]
    script = g.load_script(text, "abc123")
    lines = script.split("\n")
    assert lines[0] == "\\restrict abc123 \\\\ " + PG_DUMP.split("\n")[0]
    assert lines[4] == "-- \\restrict " + KEY
    assert lines[-2] == "-- end of the schema source"
    assert script.count("\n") == PG_DUMP.count("\n") + 1


def test_load_script_without_restrict_starts_with_a_comment():
    script = g.load_script("SELECT 1;", None)
    assert script == "/* checked by fancai.db_runbooks.schema_source */ SELECT 1;\n-- end of the schema source\n"


@pytest.mark.parametrize("key", ["a-b", "", "x y", "a\\\\"])
def test_load_script_refuses_a_key_psql_would_not_take(key):
    with pytest.raises(ValueError):
        g.load_script("SELECT 1;\n", key)


def test_new_restrict_keys_are_random_and_psql_shaped():
    keys = {g.new_restrict_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(k.isalnum() and len(k) == 32 for k in keys)


def test_checked_load_script_passes_the_check_again():
    # What is sent is what was checked: the commented-out meta-commands are gone for psql too.
    again = check(g.load_script(check(PG_DUMP)["text"], None))
    assert again["meta_commands"] == []


# --- the action plugin's documentation ---------------------------------------------------

def _docs(name):
    tree = ast.parse(open(os.path.join(ROOT, "plugins", "modules", name + ".py"), encoding="utf-8").read())
    return {n.targets[0].id: yaml.safe_load(n.value.value) for n in tree.body
            if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") in ("DOCUMENTATION", "RETURN")}


def test_schema_source_docs_match_the_action_argspec():
    from ansible_collections.fancai.db_runbooks.plugins.action import schema_source

    docs = _docs("schema_source")
    options = docs["DOCUMENTATION"]["options"]
    assert set(options) == set(schema_source._ARGSPEC)
    for name, spec in schema_source._ARGSPEC.items():
        assert options[name]["type"] == spec["type"], name
        assert options[name].get("default", None) == spec.get("default", None), name
    assert {"label", "path", "container", "size", "sha256", "lines", "meta_commands", "content",
            "queries"} <= set(docs["RETURN"])
