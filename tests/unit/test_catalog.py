"""Unit tests for plugins/module_utils/_catalog.py (catalog script, parsing, normalisation, comparison).

The CHECK definitions below are what pg_get_constraintdef printed on PostgreSQL
15 for the bundled DDL loaded directly ("direct") and for the same schema
loaded from a `pg_dump --schema-only` file of it ("dumped").
"""

import copy
import json

import pytest

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _catalog as cat

DIRECT = {
    "check_book_format":
        "CHECK (((file_format)::text = ANY ((ARRAY['epub'::character varying, 'fb2'::character varying])::text[])))",
    "check_book_genre":
        "CHECK (((genre)::text = ANY ((ARRAY['fantasy'::character varying, 'detective'::character varying, "
        "'science_fiction'::character varying, 'historical'::character varying, 'romance'::character varying, "
        "'thriller'::character varying, 'horror'::character varying, 'classic'::character varying, "
        "'other'::character varying])::text[])))",
    "check_image_service":
        "CHECK (((service_used)::text = ANY ((ARRAY['pollinations'::character varying, "
        "'openai_dalle'::character varying, 'midjourney'::character varying, "
        "'stable_diffusion'::character varying])::text[])))",
    "check_image_status":
        "CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'generating'::character varying, "
        "'completed'::character varying, 'failed'::character varying, 'moderated'::character varying])::text[])))",
}
DUMPED = {
    "check_book_format":
        "CHECK (((file_format)::text = ANY (ARRAY[('epub'::character varying)::text, "
        "('fb2'::character varying)::text])))",
    "check_book_genre":
        "CHECK (((genre)::text = ANY (ARRAY[('fantasy'::character varying)::text, "
        "('detective'::character varying)::text, ('science_fiction'::character varying)::text, "
        "('historical'::character varying)::text, ('romance'::character varying)::text, "
        "('thriller'::character varying)::text, ('horror'::character varying)::text, "
        "('classic'::character varying)::text, ('other'::character varying)::text])))",
    "check_image_service":
        "CHECK (((service_used)::text = ANY (ARRAY[('pollinations'::character varying)::text, "
        "('openai_dalle'::character varying)::text, ('midjourney'::character varying)::text, "
        "('stable_diffusion'::character varying)::text])))",
    "check_image_status":
        "CHECK (((status)::text = ANY (ARRAY[('pending'::character varying)::text, "
        "('generating'::character varying)::text, ('completed'::character varying)::text, "
        "('failed'::character varying)::text, ('moderated'::character varying)::text])))",
}
# As the guide writes them.
GUIDE = {
    "check_book_format": "CHECK (file_format IN ('epub', 'fb2'))",
    "check_book_genre": "CHECK (genre IN ('fantasy', 'detective', 'science_fiction', 'historical', "
                        "'romance', 'thriller', 'horror', 'classic', 'other'))",
    "check_image_service": "CHECK (service_used IN ('pollinations', 'openai_dalle', 'midjourney', "
                           "'stable_diffusion'))",
    "check_image_status": "CHECK (status IN ('pending', 'generating', 'completed', 'failed', 'moderated'))",
}


# --------------------------------------------------------------------------
# CHECK normalisation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(DIRECT))
def test_pg_dump_round_trip_is_not_drift(name):
    assert cat.normalize_check(DIRECT[name]) == cat.normalize_check(DUMPED[name])


@pytest.mark.parametrize("name", sorted(DIRECT))
def test_guide_spelling_equals_stored_form(name):
    assert cat.normalize_check(GUIDE[name]) == cat.normalize_check(DIRECT[name])


def test_normalized_form_is_readable():
    assert cat.normalize_check(DIRECT["check_book_format"]) == "file_format in ( 'epub' , 'fb2' )"


@pytest.mark.parametrize("left, right", [
    # another literal
    (DIRECT["check_book_format"], DIRECT["check_book_format"].replace("'fb2'", "'mobi'")),
    # one literal fewer
    (GUIDE["check_book_format"], "CHECK (file_format IN ('epub'))"),
    # another column
    (DIRECT["check_book_format"], DIRECT["check_book_format"].replace("(file_format)", "(genre)")),
    # negated
    (GUIDE["check_book_format"], "CHECK (file_format NOT IN ('epub', 'fb2'))"),
    (DIRECT["check_book_format"],
     "CHECK (((file_format)::text <> ALL ((ARRAY['epub'::character varying, 'fb2'::character varying])::text[])))"),
    # another operator, other grouping
    ("CHECK ((total_pages > 0))", "CHECK ((total_pages >= 0))"),
    ("CHECK (((a > 0) AND (b > 0)) OR (c > 0))", "CHECK ((a > 0) AND ((b > 0) OR (c > 0)))"),
    # case inside a literal matters
    ("CHECK (x IN ('EPUB'))", "CHECK (x IN ('epub'))"),
    # NOT VALID is a real state difference
    (GUIDE["check_book_format"], GUIDE["check_book_format"] + " NOT VALID"),
])
def test_real_changes_still_differ(left, right):
    assert cat.normalize_check(left) != cat.normalize_check(right)


@pytest.mark.parametrize("left, right", [
    ("CHECK (x IN ('b', 'a', 'a'))", "CHECK (x IN ('a', 'b'))"),  # order and repeats carry no meaning
    ("CHECK (X IN ('a'))", 'CHECK ("x" IN (\'a\'))'),  # identifier case and needless quotes
    ("CHECK ((x)::text <> ALL ((ARRAY['a'::character varying])::text[]))", "CHECK (x NOT IN ('a'))"),
    ("CHECK ((total_pages > 0))", "CHECK (total_pages > 0)"),
    ("CHECK ((d)::timestamp with time zone > now())", "CHECK (d > now())"),
    ("CHECK ((x)::numeric(10,2) > (0)::double precision)", "CHECK (x > 0)"),
    ("CHECK (lower((x)::text) = 'a'::text)", "CHECK (lower(x) = 'a')"),
])
def test_equivalent_spellings_are_equal(left, right):
    assert cat.normalize_check(left) == cat.normalize_check(right)


def test_function_call_parentheses_are_kept():
    assert cat.normalize_expression("lower(x)") == "lower ( x )"
    assert cat.normalize_expression("uuid_generate_v4()") == "uuid_generate_v4 ( )"


def test_unbalanced_text_is_kept_not_dropped():
    assert "epub" in cat.normalize_expression("x IN ('epub'")


def test_none_stays_none():
    assert cat.normalize_expression(None) is None


@pytest.mark.parametrize("text, tokens", [
    ("'it''s'::text", ["'it''s'", "::", "text"]),
    ('"Mixed"', ['"Mixed"']),
    ('"plain"', ["plain"]),
    ("a>=1.5", ["a", ">=", "1.5"]),
    ("ARRAY[1]", ["array", "[", "1", "]"]),
])
def test_tokenize(text, tokens):
    assert cat.tokenize(text) == tokens


# --------------------------------------------------------------------------
# Index normalisation
# --------------------------------------------------------------------------

@pytest.mark.parametrize("definition, expected", [
    ("CREATE INDEX ix_books_title ON public.books USING btree (title)", "using btree ( title )"),
    ("CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)", "using btree ( id )"),
    ("CREATE INDEX idx_books_user_unparsed ON public.books USING btree (user_id, is_parsed) WHERE (is_parsed = false)",
     "using btree ( user_id , is_parsed ) where ( is_parsed = false )"),
    ("CREATE INDEX idx_books_metadata_gin ON public.books USING gin (book_metadata)", "using gin ( book_metadata )"),
    ("CREATE INDEX x ON ONLY public.p USING btree (a)", "using btree ( a )"),
    ("btree (title)", "using btree ( title )"),
])
def test_normalize_index(definition, expected):
    assert cat.normalize_index(definition) == expected


def test_index_method_and_predicate_matter():
    base = "CREATE INDEX i ON public.books USING btree (user_id, is_parsed) WHERE (is_parsed = false)"
    assert cat.normalize_index(base) != cat.normalize_index(base.replace("btree", "hash"))
    assert cat.normalize_index(base) != cat.normalize_index(base.replace(" WHERE (is_parsed = false)", ""))
    assert cat.normalize_index(base) != cat.normalize_index(base.replace("user_id, is_parsed", "is_parsed, user_id"))


# --------------------------------------------------------------------------
# Script and output
# --------------------------------------------------------------------------

def test_script_probes_before_connecting():
    script = cat.build_catalog_script([("actual", "bookreader_dev"), ("expected", "bookreader_dev__expected")])
    lines = script.splitlines()
    # each database: existence probe, \if, \connect, catalog, alembic only if the table exists
    assert lines.index("\\if :__dbrb_actual_exists") < lines.index("\\connect bookreader_dev")
    assert "datname = 'bookreader_dev'" in script
    assert "\\connect bookreader_dev__expected" in lines
    assert script.count("\\if") == script.count("\\endif") == 4
    assert script.count("json_build_object(\n  'tables'") == 2
    assert "conrelid <> 0" in script  # CHECK constraints on tables only
    assert "enumsortorder" in script


def _sample_raw():
    return {
        "tables": ["alembic_version", "books", "users"],
        "columns": [
            {"relation": "books", "name": "id", "type": "uuid", "not_null": True, "default": "uuid_generate_v4()"},
            {"relation": "books", "name": "file_format", "type": "character varying(10)", "not_null": True,
             "default": None},
            {"relation": "users", "name": "id", "type": "uuid", "not_null": True, "default": "uuid_generate_v4()"},
        ],
        "indexes": [
            {"name": "books_pkey", "relation": "books", "unique": True, "primary": True,
             "definition": "CREATE UNIQUE INDEX books_pkey ON public.books USING btree (id)"},
            {"name": "ix_books_title", "relation": "books", "unique": False, "primary": False,
             "definition": "CREATE INDEX ix_books_title ON public.books USING btree (title)"},
            {"name": "idx_patterns_user", "relation": "user_reading_patterns", "unique": False, "primary": False,
             "definition": "CREATE INDEX idx_patterns_user ON public.user_reading_patterns USING btree (user_id)"},
        ],
        "check_constraints": [
            {"name": "check_book_format", "relation": "books", "definition": DIRECT["check_book_format"]},
        ],
        "foreign_keys": [
            {"name": "books_user_id_fkey", "relation": "books", "columns": ["user_id"], "references": "users",
             "referenced_columns": ["id"], "on_delete": "a", "on_update": "a"},
        ],
        "enums": [{"name": "subscriptionplan", "labels": ["FREE", "PREMIUM", "ULTIMATE"]}],
        "extensions": [{"name": "pg_trgm", "version": "1.6", "schema": "public"}],
        "matviews": [{"name": "user_reading_patterns", "populated": True, "definition": " SELECT 1;"}],
    }


def test_parse_catalog_output_sections():
    raw = _sample_raw()
    stdout = "\n".join([
        "%s actual exists t" % cat.SECTION_MARKER,
        "%s actual catalog" % cat.SECTION_MARKER,
        json.dumps(raw),
        "%s actual alembic" % cat.SECTION_MARKER,
        '["enum_checks_2025"]',
        "%s actual properties" % cat.SECTION_MARKER,
        '{"name": "bookreader_dev", "collate": "C"}',
        "%s expected exists f" % cat.SECTION_MARKER,
    ])
    out = cat.parse_catalog_output(stdout)
    assert out["actual"] == {"exists": True, "catalog": raw, "alembic_version": ["enum_checks_2025"],
                             "properties": {"name": "bookreader_dev", "collate": "C"}}
    assert out["expected"] == {"exists": False, "catalog": None, "alembic_version": None, "properties": None}


def test_catalog_script_reads_properties_before_connecting():
    script = cat.build_catalog_script([("actual", "bookreader_dev")], properties=True)
    lines = script.splitlines()
    props = [i for i, line in enumerate(lines) if line.endswith("actual properties")]
    connect = [i for i, line in enumerate(lines) if line.startswith("\\connect ")]
    assert props and connect and props[0] < connect[0]
    assert "pg_database" in "\n".join(lines[props[0] + 1:connect[0]])
    assert "properties" not in cat.build_catalog_script([("actual", "bookreader_dev")])


def test_parse_without_alembic_table_gives_none():
    stdout = "%s a exists t\n%s a catalog\n{}\n" % (cat.SECTION_MARKER, cat.SECTION_MARKER)
    assert cat.parse_catalog_output(stdout)["a"]["alembic_version"] is None


def test_parse_refuses_an_empty_section():
    with pytest.raises(ValueError):
        cat.parse_catalog_output("%s a exists t\n%s a catalog\n\n" % (cat.SECTION_MARKER, cat.SECTION_MARKER))


def test_keyed_catalog_shape():
    keyed = cat.keyed_catalog(_sample_raw())
    assert set(keyed) == set(cat.KIND_NAMES)
    assert list(keyed["primary_keys"]) == ["books_pkey"]
    assert "books_pkey" not in keyed["indexes"]
    assert keyed["indexes"]["idx_patterns_user"]["relation"] == "user_reading_patterns"
    assert keyed["columns"]["books.file_format"]["type"] == "character varying(10)"
    assert keyed["check_constraints"]["books.check_book_format"]["definition"].startswith("CHECK")
    assert keyed["foreign_keys"]["books.books_user_id_fkey"]["on_delete"] == "NO ACTION"
    assert keyed["enums"]["subscriptionplan"]["labels"] == ["FREE", "PREMIUM", "ULTIMATE"]


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------

@pytest.fixture
def expected():
    return cat.keyed_catalog(_sample_raw())


def _compare(actual, expected, **kw):
    kw.setdefault("alembic_revision", "enum_checks_2025")
    kw.setdefault("alembic_version", ["enum_checks_2025"])
    return cat.compare_catalogs(actual, expected, **kw)


def test_identical_catalogs_are_ok(expected):
    res = _compare(copy.deepcopy(expected), expected)
    assert res["ok"] is True
    assert res["missing"] == res["extra"] == res["different"] == []
    assert res["summary"][0] == "tables 3/3 \u2713"
    assert "check constraints 1/1 \u2713" in res["summary"]
    assert "matviews 1/1 \u2713 (populated 1/1)" in res["summary"]
    assert res["summary"][-1] == "alembic enum_checks_2025 \u2713"


def test_pg_dump_made_check_is_not_drift(expected):
    actual = copy.deepcopy(expected)
    actual["check_constraints"]["books.check_book_format"]["definition"] = DUMPED["check_book_format"]
    assert _compare(actual, expected)["ok"] is True


def test_dropped_index_is_missing_by_name(expected):
    actual = copy.deepcopy(expected)
    del actual["indexes"]["ix_books_title"]
    res = _compare(actual, expected)
    assert res["ok"] is False
    assert res["missing"] == ["index ix_books_title: on books using btree ( title )"]
    assert "indexes 1/2 \u2717 (1 missing)" in res["summary"]


@pytest.mark.parametrize("mutate, kind, needle", [
    (lambda c: c["tables"].update({"notes": {}}), "extra", "table notes"),
    (lambda c: c["enums"]["subscriptionplan"].update(labels=["FREE", "ULTIMATE", "PREMIUM"]), "different",
     "enum subscriptionplan: labels is [FREE, ULTIMATE, PREMIUM], expected [FREE, PREMIUM, ULTIMATE]"),
    (lambda c: c["check_constraints"]["books.check_book_format"].update(
        definition=DIRECT["check_book_format"].replace("'fb2'", "'mobi'")), "different",
     "check constraint books.check_book_format: definition is"),
    (lambda c: c["columns"]["books.file_format"].update(type="text"), "different",
     "column books.file_format: type is text, expected character varying(10)"),
    (lambda c: c["columns"]["books.file_format"].update(not_null=False), "different",
     "column books.file_format: not null is False"),
    (lambda c: c["foreign_keys"]["books.books_user_id_fkey"].update(on_delete="CASCADE"), "different",
     "foreign key books.books_user_id_fkey: on delete is CASCADE, expected NO ACTION"),
    (lambda c: c["indexes"]["ix_books_title"].update(unique=True), "different",
     "index ix_books_title: unique is True"),
    (lambda c: c["extensions"].pop("pg_trgm"), "missing", "extension pg_trgm"),
    (lambda c: c["primary_keys"].pop("books_pkey"), "missing", "primary key books_pkey: on books"),
])
def test_each_kind_of_drift_is_named(expected, mutate, kind, needle):
    actual = copy.deepcopy(expected)
    mutate(actual)
    res = _compare(actual, expected)
    assert res["ok"] is False
    assert any(item.startswith(needle) for item in res[kind]), res[kind]


@pytest.mark.parametrize("require, ok", [(True, False), (False, True)])
def test_unpopulated_matviews_are_reported_and_count_when_required(expected, require, ok):
    actual = copy.deepcopy(expected)
    actual["matviews"]["user_reading_patterns"]["populated"] = False
    res = _compare(actual, expected, require_populated=require)
    assert res["matviews_unpopulated"] == ["user_reading_patterns"]
    assert res["ok"] is ok
    line = [s for s in res["summary"] if s.startswith("matviews")][0]
    assert "(populated 0/1)" in line
    assert ("\u2717" in line) is require


@pytest.mark.parametrize("revision, versions, ok, needle", [
    ("enum_checks_2025", ["enum_checks_2025"], True, "alembic enum_checks_2025 \u2713"),
    ("enum_checks_2025", [], False, "alembic none \u2717 (expected enum_checks_2025)"),
    ("enum_checks_2025", None, False, "alembic enum_checks_2025 (no alembic_version table) \u2717"),
    ("enum_checks_2025", ["old_rev"], False, "alembic old_rev \u2717 (expected enum_checks_2025)"),
    ("enum_checks_2025", ["enum_checks_2025", "old_rev"], False, "\u2717"),
    (None, ["whatever"], True, "alembic whatever (not checked)"),
    ("", None, True, "alembic none (not checked)"),
])
def test_alembic_revision(expected, revision, versions, ok, needle):
    res = cat.compare_catalogs(copy.deepcopy(expected), expected, alembic_revision=revision,
                               alembic_version=versions)
    assert res["ok"] is ok
    assert needle in res["summary"][-1]


def test_manifest_lists_check_presence_only():
    manifest, err = cat.coerce_expected({"tables": ["books", "users", "alembic_version"],
                                         "check_constraints": ["books.check_book_format"]})
    assert err is None
    actual = cat.keyed_catalog(_sample_raw())
    res = _compare(actual, manifest)
    assert res["ok"] is True
    assert [s.split()[0] for s in res["summary"]] == ["tables", "check", "alembic"]


@pytest.mark.parametrize("bad, needle", [
    ("tables", "must be a dictionary"),
    ({"tabels": []}, "unknown kind(s) tabels"),
    ({"tables": "books"}, "expected.tables must be a list"),
])
def test_coerce_expected_refuses(bad, needle):
    manifest, err = cat.coerce_expected(bad)
    assert manifest is None and needle in err


def test_missing_database_result():
    res = cat.missing_database_result("bookreader_dev", "pg")
    assert res["ok"] is False
    assert res["missing"] == ["database bookreader_dev: does not exist in container pg"]
    assert res["summary"] == ["database bookreader_dev \u2717 does not exist"]


def test_describe_differences_names_everything(expected):
    actual = copy.deepcopy(expected)
    del actual["indexes"]["ix_books_title"]
    actual["tables"]["notes"] = {}
    msg = cat.describe_differences("bookreader_dev", "database x__expected", _compare(actual, expected))
    assert msg.splitlines()[0] == "database bookreader_dev does not match database x__expected:"
    assert "missing: index ix_books_title" in msg
    assert "extra: table notes" in msg


# --------------------------------------------------------------------------
# The module's documentation covers the action plugin's options
# --------------------------------------------------------------------------



def test_invalid_index_and_unvalidated_key_are_different(expected):
    raw = _sample_raw()
    raw["indexes"][1]["valid"] = False
    raw["foreign_keys"][0]["validated"] = False
    actual = cat.keyed_catalog(raw)
    assert actual["indexes"]["ix_books_title"]["valid"] is False
    assert actual["foreign_keys"]["books.books_user_id_fkey"]["validated"] is False
    res = _compare(actual, expected)
    assert not res["ok"]
    assert any(d.startswith("index ix_books_title: invalid") for d in res["different"]), res["different"]
    assert any(d.startswith("foreign key books.books_user_id_fkey: not validated") for d in res["different"])
    assert res["missing"] == [] and res["extra"] == []
    # Valid and validated, the same catalog read with the new columns compares clean.
    raw["indexes"][1]["valid"] = True
    raw["foreign_keys"][0]["validated"] = True
    assert _compare(cat.keyed_catalog(raw), expected)["ok"]
