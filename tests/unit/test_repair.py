"""Unit tests for plugins/module_utils/_repair.py (the repair in place: plan, order, safety, refusals)."""

import copy

import pytest

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _repair as rp
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _catalog as cat

CHECK_FORMAT = ("CHECK (((file_format)::text = ANY ((ARRAY['epub'::character varying, "
                "'fb2'::character varying])::text[])))")
STATS = (" SELECT reading_sessions.user_id,\n    count(*) AS sessions_count\n   FROM reading_sessions\n"
         "  GROUP BY reading_sessions.user_id;")


def _raw():
    return {
        "tables": ["books", "images", "users"],
        "columns": [
            {"relation": "books", "name": "id", "type": "uuid", "not_null": True, "default": "uuid_generate_v4()"},
            {"relation": "books", "name": "user_id", "type": "uuid", "not_null": True, "default": None},
            {"relation": "books", "name": "title", "type": "character varying(500)", "not_null": True,
             "default": None},
            {"relation": "books", "name": "file_format", "type": "character varying(10)", "not_null": True,
             "default": None},
            {"relation": "books", "name": "description", "type": "text", "not_null": False, "default": None},
            {"relation": "books", "name": "pages", "type": "integer", "not_null": True, "default": "0"},
            {"relation": "users", "name": "id", "type": "uuid", "not_null": True, "default": "uuid_generate_v4()"},
            {"relation": "users", "name": "email", "type": "character varying(255)", "not_null": True,
             "default": None},
            {"relation": "images", "name": "id", "type": "integer", "not_null": True,
             "default": "nextval('images_id_seq'::regclass)"},
            {"relation": "images", "name": "book_id", "type": "uuid", "not_null": True, "default": None},
            {"relation": "images", "name": "status", "type": "character varying(20)", "not_null": True,
             "default": "'pending'::character varying"},
            {"relation": "stats", "name": "user_id", "type": "uuid", "not_null": False, "default": None},
        ],
        "indexes": [
            {"name": "books_pkey", "relation": "books", "unique": True, "primary": True, "valid": True,
             "definition": "CREATE UNIQUE INDEX books_pkey ON public.books USING btree (id)"},
            {"name": "users_pkey", "relation": "users", "unique": True, "primary": True, "valid": True,
             "definition": "CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)"},
            {"name": "images_pkey", "relation": "images", "unique": True, "primary": True, "valid": True,
             "definition": "CREATE UNIQUE INDEX images_pkey ON public.images USING btree (id)"},
            {"name": "ix_books_title", "relation": "books", "unique": False, "primary": False, "valid": True,
             "definition": "CREATE INDEX ix_books_title ON public.books USING btree (title)"},
            {"name": "ix_users_email", "relation": "users", "unique": True, "primary": False, "valid": True,
             "definition": "CREATE UNIQUE INDEX ix_users_email ON public.users USING btree (email)"},
            {"name": "ix_images_status", "relation": "images", "unique": False, "primary": False, "valid": True,
             "definition": "CREATE INDEX ix_images_status ON public.images USING btree (status)"},
            {"name": "idx_stats_user", "relation": "stats", "unique": True, "primary": False, "valid": True,
             "definition": "CREATE UNIQUE INDEX idx_stats_user ON public.stats USING btree (user_id)"},
        ],
        "check_constraints": [
            {"name": "check_book_format", "relation": "books", "definition": CHECK_FORMAT},
        ],
        "foreign_keys": [
            {"name": "books_user_id_fkey", "relation": "books", "columns": ["user_id"], "references": "users",
             "referenced_columns": ["id"], "on_delete": "c", "on_update": "a", "validated": True},
            {"name": "images_book_id_fkey", "relation": "images", "columns": ["book_id"], "references": "books",
             "referenced_columns": ["id"], "on_delete": "c", "on_update": "a", "validated": True},
        ],
        "enums": [{"name": "status", "labels": ["ACTIVE", "EXPIRED", "CANCELLED", "PENDING"]}],
        "extensions": [{"name": "pg_trgm", "version": "1.6", "schema": "public"},
                       {"name": "plpgsql", "version": "1.0", "schema": "pg_catalog"},
                       {"name": "uuid-ossp", "version": "1.1", "schema": "public"}],
        "matviews": [{"name": "stats", "populated": True, "definition": STATS}],
    }


@pytest.fixture
def expected():
    return cat.keyed_catalog(_raw())


def _live(mutate):
    raw = _raw()
    mutate(raw)
    return cat.keyed_catalog(raw)


def _drop(raw, kind, name):
    raw[kind] = [r for r in raw[kind] if r.get("name", r) != name]


def _kinds(plan):
    return [(s["kind"], s["name"]) for s in plan["steps"]]


def test_identical_catalogs_need_nothing(expected):
    plan = rp.plan_repair(expected, copy.deepcopy(expected), tables_with_rows={"books", "users", "images"})
    assert plan["steps"] == [] and plan["unrepairable"] == [] and plan["extra"] == []
    assert plan["online"] and plan["additive"]
    assert rp.script_of(plan["steps"]) == ""


def test_missing_index_is_built_concurrently_alone(expected):
    live = _live(lambda r: _drop(r, "indexes", "ix_books_title"))
    plan = rp.plan_repair(expected, live)
    assert _kinds(plan) == [("index", "ix_books_title")]
    step = plan["steps"][0]
    assert step["sql"] == ["CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_books_title ON public.books USING btree (title)"]
    assert not step["transactional"] and step["online"] and not step["destructive"]
    assert step["precheck"] is None
    assert plan["online"]


def test_invalid_index_is_dropped_then_rebuilt_concurrently(expected):
    def mutate(raw):
        raw["indexes"][3]["valid"] = False
    plan = rp.plan_repair(expected, _live(mutate))
    step = plan["steps"][0]
    assert step["sql"][0] == "DROP INDEX CONCURRENTLY IF EXISTS public.ix_books_title"
    assert step["sql"][1].startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_books_title")
    assert not step["destructive"] and plan["online"]


def test_missing_unique_index_counts_duplicates_first(expected):
    live = _live(lambda r: _drop(r, "indexes", "ix_users_email"))
    step = rp.plan_repair(expected, live)["steps"][0]
    assert "GROUP BY x.email HAVING count(*) > 1" in step["precheck"]
    assert step["sql"][0].startswith("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix_users_email")


def test_missing_check_is_added_not_valid_then_validated(expected):
    live = _live(lambda r: r.update(check_constraints=[]))
    plan = rp.plan_repair(expected, live)
    assert _kinds(plan) == [("check_constraint", "books.check_book_format"), ("validate", "books.check_book_format")]
    add, validate = plan["steps"]
    assert add["transactional"] and add["sql"] == [
        "ALTER TABLE public.books ADD CONSTRAINT check_book_format %s NOT VALID" % CHECK_FORMAT]
    assert "NOT coalesce(" in add["precheck"] and "x.id::text" in add["precheck"]
    assert validate["sql"] == ["ALTER TABLE public.books VALIDATE CONSTRAINT check_book_format"]
    assert not validate["transactional"]


def test_a_not_valid_check_left_by_an_interrupted_run_is_only_validated(expected):
    def mutate(raw):
        raw["check_constraints"][0]["definition"] = CHECK_FORMAT + " NOT VALID"
    plan = rp.plan_repair(expected, _live(mutate))
    assert _kinds(plan) == [("validate", "books.check_book_format")]
    assert plan["steps"][0]["precheck"]


def test_missing_foreign_key_counts_orphans(expected):
    live = _live(lambda r: _drop(r, "foreign_keys", "books_user_id_fkey"))
    plan = rp.plan_repair(expected, live)
    add = plan["steps"][0]
    assert add["sql"] == ["ALTER TABLE public.books ADD CONSTRAINT books_user_id_fkey FOREIGN KEY (user_id) "
                          "REFERENCES public.users(id) ON DELETE CASCADE NOT VALID"]
    assert "NOT EXISTS (SELECT 1 FROM public.users r WHERE r.id = x.user_id)" in add["precheck"]
    assert plan["steps"][1]["kind"] == "validate"


def test_unvalidated_foreign_key_is_validated(expected):
    def mutate(raw):
        raw["foreign_keys"][0]["validated"] = False
    assert _kinds(rp.plan_repair(expected, _live(mutate))) == [("validate", "books.books_user_id_fkey")]


def test_missing_empty_table_comes_whole_in_the_transaction(expected):
    def mutate(raw):
        raw["tables"].remove("images")
        raw["columns"] = [c for c in raw["columns"] if c["relation"] != "images"]
        raw["indexes"] = [i for i in raw["indexes"] if i["relation"] != "images"]
        raw["foreign_keys"] = [f for f in raw["foreign_keys"] if f["relation"] != "images"]
    plan = rp.plan_repair(expected, _live(mutate))
    kinds = _kinds(plan)
    assert kinds == [("sequence", "images_id_seq"), ("table", "images"), ("sequence_owner", "sequences"),
                     ("foreign_key", "images.images_book_id_fkey"), ("index", "ix_images_status")]
    assert all(s["transactional"] for s in plan["steps"])
    table = plan["steps"][1]["sql"][0]
    assert "id integer DEFAULT nextval('images_id_seq'::regclass) NOT NULL" in table
    assert "CONSTRAINT images_pkey PRIMARY KEY (id)" in table
    assert plan["steps"][0]["sql"] == ["CREATE SEQUENCE IF NOT EXISTS images_id_seq AS integer"]
    assert "NOT VALID" not in plan["steps"][3]["sql"][0]
    assert plan["steps"][4]["sql"] == ["CREATE INDEX IF NOT EXISTS ix_images_status ON public.images USING btree (status)"]
    assert plan["online"]


def test_nullable_or_defaulted_columns_are_added(expected):
    def mutate(raw):
        raw["columns"] = [c for c in raw["columns"] if c["name"] not in ("description", "pages")]
    plan = rp.plan_repair(expected, _live(mutate), tables_with_rows={"books"})
    assert [s["sql"][0] for s in plan["steps"]] == [
        "ALTER TABLE public.books ADD COLUMN IF NOT EXISTS description text",
        "ALTER TABLE public.books ADD COLUMN IF NOT EXISTS pages integer DEFAULT 0 NOT NULL",
    ]
    assert plan["online"]


def test_volatile_default_rewrites_so_it_is_not_online(expected):
    def mutate(raw):
        raw["columns"] = [c for c in raw["columns"] if not (c["relation"] == "users" and c["name"] == "id")]
    exp = copy.deepcopy(expected)
    plan = rp.plan_repair(exp, _live(mutate), tables_with_rows={"users"})
    assert plan["steps"][0]["kind"] == "column" and not plan["steps"][0]["online"]
    assert not plan["online"] and plan["additive"]


def test_not_null_column_without_default_on_rows_is_unrepairable(expected):
    def mutate(raw):
        raw["columns"] = [c for c in raw["columns"] if c["name"] != "title"]
    plan = rp.plan_repair(expected, _live(mutate), tables_with_rows={"books"})
    assert plan["steps"] == []
    assert plan["unrepairable"][0]["finding"].startswith("column books.title: missing, NOT NULL")
    # An empty table takes it.
    plan = rp.plan_repair(expected, _live(mutate), tables_with_rows=set())
    assert plan["steps"][0]["sql"] == [
        "ALTER TABLE public.books ADD COLUMN IF NOT EXISTS title character varying(500) NOT NULL"]


def test_type_change_is_named_and_left(expected):
    def mutate(raw):
        raw["columns"][2]["type"] = "text"
    plan = rp.plan_repair(expected, _live(mutate))
    assert plan["steps"] == []
    assert plan["unrepairable"] == [{
        "finding": "column books.title: type is text, expected character varying(500)",
        "why": "changing a column's type rewrites every row and may fail on their values: " + rp.REBUILD_HINT}]


def test_enum_labels_are_added_in_place_and_order(expected):
    def mutate(raw):
        raw["enums"][0]["labels"] = ["EXPIRED", "PENDING"]
    plan = rp.plan_repair(expected, _live(mutate))
    assert [s["sql"][0] for s in plan["steps"]] == [
        "ALTER TYPE public.status ADD VALUE IF NOT EXISTS 'ACTIVE' BEFORE 'EXPIRED'",
        "ALTER TYPE public.status ADD VALUE IF NOT EXISTS 'CANCELLED' AFTER 'EXPIRED'",
    ]
    assert not any(s["transactional"] for s in plan["steps"])


@pytest.mark.parametrize("labels, why", [
    (["ACTIVE", "EXPIRED", "CANCELLED", "PENDING", "GONE"], "not in the expected schema"),
    (["EXPIRED", "ACTIVE", "CANCELLED", "PENDING"], "another order"),
])
def test_enum_label_removed_or_reordered_is_unrepairable(expected, labels, why):
    plan = rp.plan_repair(expected, _live(lambda r: r["enums"][0].update(labels=labels)))
    assert plan["steps"] == [] and why in plan["unrepairable"][0]["finding"]


def test_missing_extension_comes_first(expected):
    def mutate(raw):
        _drop(raw, "extensions", "pg_trgm")
        _drop(raw, "indexes", "ix_books_title")
    plan = rp.plan_repair(expected, _live(mutate))
    assert plan["steps"][0]["sql"] == ["CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"]
    assert plan["steps"][-1]["kind"] == "index"


def test_missing_matview_is_created_with_data_and_its_indexes(expected):
    def mutate(raw):
        raw["matviews"] = []
        _drop(raw, "indexes", "idx_stats_user")
        raw["columns"] = [c for c in raw["columns"] if c["relation"] != "stats"]
    plan = rp.plan_repair(expected, _live(mutate))
    assert _kinds(plan) == [("matview", "stats")]
    sql = plan["steps"][0]["sql"]
    assert sql[0].startswith("CREATE MATERIALIZED VIEW IF NOT EXISTS public.stats AS\nSELECT")
    assert sql[0].endswith("GROUP BY reading_sessions.user_id\nWITH DATA")
    assert sql[1] == "CREATE UNIQUE INDEX IF NOT EXISTS idx_stats_user ON public.stats USING btree (user_id)"
    assert plan["online"]


def test_different_matview_is_replaced_destructively(expected):
    def mutate(raw):
        raw["matviews"][0]["definition"] = " SELECT 1 AS user_id;"
    plan = rp.plan_repair(expected, _live(mutate))
    step = plan["steps"][0]
    assert step["sql"][0] == "DROP MATERIALIZED VIEW IF EXISTS public.stats"
    assert step["destructive"] and not plan["online"] and not plan["additive"]
    assert step["sql"][2].startswith("CREATE UNIQUE INDEX IF NOT EXISTS idx_stats_user")


def test_unpopulated_matview_is_refreshed(expected):
    plan = rp.plan_repair(expected, _live(lambda r: r["matviews"][0].update(populated=False)))
    assert plan["steps"][0]["sql"] == ["REFRESH MATERIALIZED VIEW public.stats"]


def test_missing_primary_key_is_a_unique_index_then_the_constraint(expected):
    live = _live(lambda r: _drop(r, "indexes", "books_pkey"))
    step = rp.plan_repair(expected, live)["steps"][0]
    assert step["kind"] == "primary_key"
    assert step["sql"] == [
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS books_pkey ON public.books USING btree (id)",
        "ALTER TABLE public.books ADD CONSTRAINT books_pkey PRIMARY KEY USING INDEX books_pkey"]
    assert "x.id IS NULL" in step["precheck"]


def test_primary_key_change_is_unrepairable(expected):
    def mutate(raw):
        raw["indexes"][0]["definition"] = "CREATE UNIQUE INDEX books_pkey ON public.books USING btree (title)"
    plan = rp.plan_repair(expected, _live(mutate))
    assert plan["steps"] == [] and "primary key changes" in plan["unrepairable"][0]["why"]


def test_extra_objects_are_left_alone(expected):
    def mutate(raw):
        raw["tables"].append("notes")
        raw["columns"].append({"relation": "books", "name": "isbn", "type": "text", "not_null": False,
                               "default": None})
        raw["indexes"].append({"name": "ix_extra", "relation": "books", "unique": False, "primary": False,
                               "definition": "CREATE INDEX ix_extra ON public.books USING btree (isbn)"})
    plan = rp.plan_repair(expected, _live(mutate))
    assert plan["steps"] == []
    assert plan["extra"] == ["column books.isbn", "index ix_extra", "table notes"]


def test_order_of_the_phases(expected):
    def mutate(raw):
        _drop(raw, "extensions", "pg_trgm")
        raw["enums"][0]["labels"] = ["ACTIVE", "CANCELLED", "PENDING"]
        raw["check_constraints"] = []
        _drop(raw, "indexes", "ix_books_title")
        raw["columns"] = [c for c in raw["columns"] if c["name"] != "description"]
    plan = rp.plan_repair(expected, _live(mutate))
    assert [s["kind"] for s in plan["steps"]] == [
        "extension", "enum_value", "column", "check_constraint", "validate", "index"]
    batches = rp.batches(plan["steps"])
    assert [len(b["steps"]) for b in batches] == [1, 1, 2, 1, 1]
    assert [b["transactional"] for b in batches] == [False, False, True, False, False]
    script = rp.script_of(plan["steps"])
    assert script.index("BEGIN;") < script.index("ADD COLUMN") < script.index("COMMIT;") < script.index("VALIDATE")


def test_precheck_query_and_refusal_message(expected):
    live = _live(lambda r: r.update(check_constraints=[]))
    steps = rp.plan_repair(expected, live)["steps"]
    query = rp.precheck_query(steps)
    assert query.startswith("SELECT 0 AS step, p.rows::bigint AS rows")
    msg = rp.describe_violations(steps, [{"step": 0, "rows": 3, "sample": ["a", "b", "c"]}], "bookreader_dev")
    assert msg.startswith("check constraint check_book_format on books: 3 rows violate it (a, b, c)")
    assert "nothing was changed in bookreader_dev" in msg
    assert rp.describe_violations(steps, [{"step": 0, "rows": 0, "sample": []}], "db") is None


def test_foreign_key_to_a_key_built_concurrently_comes_after_it(expected):
    def mutate(raw):
        _drop(raw, "indexes", "users_pkey")
        _drop(raw, "foreign_keys", "books_user_id_fkey")
    plan = rp.plan_repair(expected, _live(mutate))
    assert _kinds(plan) == [("primary_key", "users_pkey"), ("foreign_key", "books.books_user_id_fkey"),
                            ("validate", "books.books_user_id_fkey")]
    assert not any(s["transactional"] for s in plan["steps"])


@pytest.mark.parametrize("definition, cols", [
    ("CREATE INDEX a ON public.t USING btree (user_id, created_at DESC)", ["user_id", "created_at"]),
    ("CREATE INDEX a ON public.t USING gin (title public.gin_trgm_ops)", None),
    ("CREATE UNIQUE INDEX a ON public.t USING btree (lower((email)::text))", None),
    ('CREATE INDEX a ON public.t USING btree ("Order")', ["Order"]),
])
def test_index_columns(definition, cols):
    assert rp.index_columns(definition) == cols


def test_partial_index_precheck_keeps_its_predicate():
    pre = rp.unique_precheck("t", "CREATE UNIQUE INDEX a ON public.t USING btree (u) WHERE is_active")
    assert "AND (is_active)" in pre


def test_identifiers_are_quoted_only_when_needed():
    assert rp.ident("books") == "books"
    assert rp.ident("user") == '"user"'
    assert rp.ident("uuid-ossp") == '"uuid-ossp"'
