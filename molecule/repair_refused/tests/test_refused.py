"""After the refusals and the repair once the rows were fixed: rows kept, the type change left."""

import json
import os

COUNTS = ("SELECT table_name AS t, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', "
          "table_schema, table_name), false, true, '')))[1]::text::bigint AS n FROM information_schema.tables "
          "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")


def _state(name):
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "state", name + ".json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def test_rows_are_the_rows_prepare_wrote(pg):
    before = _state("broken")["database"]["rows"]
    assert dict((r["t"], r["n"]) for r in pg.rows(COUNTS)) == before


def test_refused_runs_left_the_catalog_as_it_was():
    assert _state("refused")["database"]["fingerprint"] == _state("broken")["database"]["fingerprint"]


def test_the_constraint_is_back_and_validated(pg):
    rows = pg.rows("SELECT convalidated FROM pg_constraint WHERE conname = 'check_book_format'")
    assert rows == [{"convalidated": True}]


def test_the_index_is_back_and_valid(pg):
    assert pg.value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.ix_books_genre'::regclass") is True


def test_the_type_change_is_left(pg):
    assert pg.value("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = 'users'::regclass AND attname = 'full_name'") == "text"


def test_no_safety_dump_was_needed(inventory_vars):
    safety = os.path.join(inventory_vars["db_runbooks_backup_dir"], "bookreader_dev", "safety")
    assert not os.path.isdir(safety) or not [f for f in os.listdir(safety) if f.endswith(".dump")]
