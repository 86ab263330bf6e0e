"""Unit tests for plugins/module_utils/_repair.py (the repair in place: plan, order, safety, refusals)."""

import copy

import pytest

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _repair as rp
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _catalog as cat
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import ROWS_MARKER

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


# ---- failure paths: duplicates under an expression key, locks held by others, builds left running

@pytest.mark.parametrize("definition, keys", [
    ("CREATE UNIQUE INDEX a ON public.t USING btree (email)", ["x.email"]),
    ("CREATE UNIQUE INDEX a ON public.t USING btree (lower((email)::text))", ["(lower((email)::text))"]),
    ("CREATE UNIQUE INDEX a ON public.t USING btree (user_id, ((data ->> 'k'::text)) DESC)",
     ["x.user_id", "((data ->> 'k'::text))"]),
    ('CREATE UNIQUE INDEX a ON public.t USING btree ("Order", email COLLATE "C")', ['x."Order"', "x.email"]),
    ("CREATE UNIQUE INDEX a ON public.t USING btree (email text_pattern_ops)", None),
    ("not an index", None),
])
def test_index_key_expressions(definition, keys):
    assert rp.index_key_expressions(definition) == keys


def test_unique_expression_index_counts_duplicates_first(expected):
    exp = copy.deepcopy(expected)
    exp["indexes"]["ix_users_email"]["definition"] = (
        "CREATE UNIQUE INDEX ix_users_email ON public.users USING btree (lower((email)::text))")
    live = _live(lambda r: _drop(r, "indexes", "ix_users_email"))
    step = rp.plan_repair(exp, live)["steps"][0]
    assert step["precheck"] is not None
    assert "GROUP BY (lower((email)::text)) HAVING count(*) > 1" in step["precheck"]
    assert "WHERE (lower((email)::text)) IS NOT NULL" in step["precheck"]
    query = rp.precheck_query([step])
    assert query.startswith("SELECT 0 AS step, p.rows::bigint AS rows, p.sample::text[] AS sample FROM (SELECT ")


def test_index_with_an_operator_class_has_no_precheck_it_could_get_wrong(expected):
    exp = copy.deepcopy(expected)
    exp["indexes"]["ix_users_email"]["definition"] = (
        "CREATE UNIQUE INDEX ix_users_email ON public.users USING btree (email text_pattern_ops)")
    live = _live(lambda r: _drop(r, "indexes", "ix_users_email"))
    assert rp.plan_repair(exp, live)["steps"][0]["precheck"] is None


def test_index_steps_name_their_relation(expected):
    def mutate(raw):
        _drop(raw, "indexes", "ix_books_title")
        _drop(raw, "indexes", "users_pkey")
    steps = rp.plan_repair(expected, _live(mutate))["steps"]
    assert set((s["index"], s["relation"]) for s in steps if s.get("index")) == {
        ("users_pkey", "users"), ("ix_books_title", "books")}


def test_blockers_say_who_holds_what_and_what_to_do():
    msg = rp.describe_blockers([{"pid": 4242, "application": "psql", "state": "active", "xact_seconds": 12,
                                 "locks": "AccessExclusiveLock on books", "exclusive": True}], "5s")
    assert msg.startswith("It waited longer than lock_timeout=5s for a lock another session holds: pid 4242 "
                          "(application psql, active, in a transaction for 12s) holds AccessExclusiveLock on books.")
    assert "SELECT pg_terminate_backend(4242)" in msg and "raise repair_lock_timeout" in msg
    assert msg.endswith("then run playbooks/repair.yml again.")
    two = rp.describe_blockers([{"pid": 1, "application": "a", "state": "idle in transaction", "xact_seconds": None,
                                 "locks": "RowExclusiveLock on books"},
                                {"pid": 2, "application": "b", "state": "active", "xact_seconds": 3,
                                 "locks": "AccessShareLock on users"}], "5s")
    assert "pid 1 (application a, idle in transaction) holds RowExclusiveLock on books; pid 2" in two
    assert "Wait until those sessions end" in two and "pg_terminate_backend(<pid>)" in two
    gone = rp.describe_blockers([], "2s")
    assert "another session held (gone by now)" in gone and "lock_timeout=2s" in gone


def test_blockers_query_reads_no_query_text():
    q = rp.BLOCKERS_QUERY
    assert "pg_locks" in q and "l.granted" in q and "pg_backend_pid()" in q
    assert "a.query" not in q and "usename" not in q


def test_a_build_left_running_refuses_the_steps_on_its_index_or_table(expected):
    live = _live(lambda r: _drop(r, "indexes", "ix_books_title"))
    steps = rp.plan_repair(expected, live)["steps"]
    build = {"pid": 77, "application": "db_runbooks_ab12", "phase": "waiting for writers before build",
             "index": "ix_books_title", "relation": "books", "seconds": 40}
    msg = rp.describe_builds(steps, [build], "bookreader_dev")
    assert msg.startswith("index ix_books_title on books is being built by pid 77 (application db_runbooks_ab12, "
                          "phase waiting for writers before build, for 40s)")
    assert "Nothing was changed in bookreader_dev" in msg and "SELECT pg_cancel_backend(77)" in msg
    # Another index on the same table: the concurrent build would wait for it as well.
    other = dict(build, index="ix_other")
    assert rp.describe_builds(steps, [other], "db") is not None
    # A build elsewhere, or no build: nothing to refuse.
    assert rp.describe_builds(steps, [dict(build, index="ix_x", relation="users")], "db") is None
    assert rp.describe_builds(steps, [], "db") is None
    # A plan with no concurrent index step is never refused for a build.
    tx_only = rp.plan_repair(expected, _live(lambda r: r.update(check_constraints=[])))["steps"]
    assert rp.describe_builds([s for s in tx_only if s["kind"] != "validate"], [build], "db") is None


def test_index_builds_query_is_this_database_and_not_this_session():
    q = rp.index_builds_query()
    assert "pg_stat_progress_create_index" in q and "current_database()" in q and "pg_backend_pid()" in q


# ---- the action's failure messages (psql stubbed: what each call returns, in order)

def _action(replies):
    from ansible_collections.fancai.db_runbooks.plugins.action import repair_schema as action
    mod = action.ActionModule.__new__(action.ActionModule)
    mod._psql_container, mod._login_user, mod._lock_timeout = "pg", "postgres", "5s"
    mod._ro_argv = mod._db_argv = mod._tx_argv = ["docker", "exec", "-i", "pg", "psql"]
    calls = []

    def run(argv, script=None, path=None):
        calls.append(script)
        return replies.pop(0)
    mod._psql_run = run
    return mod, calls


LOCK_TIMEOUT = "psql:<stdin>:1: ERROR:  canceling statement due to lock timeout\n"
HOLDER = ROWS_MARKER + '\n[{"pid": 99, "application": "psql", "state": "idle in transaction", "xact_seconds": 30, ' \
    '"locks": "RowExclusiveLock on books", "exclusive": false}]\n'


def test_a_transaction_that_timed_out_on_a_lock_names_the_holder():
    mod, calls = _action([(0, HOLDER, "")])
    result = {"database": "bookreader_dev", "queries": [], "applied": []}
    step = {"what": "check constraint c on books"}
    mod._failed_step(result, [step], 3, LOCK_TIMEOUT, in_transaction=True)
    msg = result["msg"]
    assert msg.startswith("The repair stopped at the transaction (check constraint c on books)")
    assert "That transaction was rolled back" in msg
    assert "pid 99 (application psql, idle in transaction, in a transaction for 30s) holds RowExclusiveLock on books" \
        in msg
    assert "Complete before it, each whole on its own: nothing." in msg
    assert "pg_locks" in calls[0]


def test_a_failed_index_whose_cleanup_cannot_drop_it_says_it_is_left_invalid():
    # The probe says the index is invalid; the DROP INDEX CONCURRENTLY times out on the lock as well.
    mod, calls = _action([(0, ROWS_MARKER + '\n[{"invalid": true}]\n', ""), (3, "", LOCK_TIMEOUT), (0, HOLDER, "")])
    step = {"what": "index ix_a on books", "index": "ix_a", "kind": "index"}
    cleanup = mod._cleanup(step, [], [])
    assert cleanup[0].startswith("DROP INDEX CONCURRENTLY IF EXISTS public.ix_a (failed: ")
    assert cleanup[1].startswith("index ix_a is left INVALID: it serves no query")
    result = {"database": "db", "queries": [], "applied": ["index ix_b on books"]}
    mod._failed_step(result, [step], 3, LOCK_TIMEOUT, cleanup=cleanup, done_of_step=[])
    assert "Undone after the failure: DROP INDEX CONCURRENTLY IF EXISTS public.ix_a (failed: " in result["msg"]
    assert "Complete before it, each whole on its own: index ix_b on books." in result["msg"]


def test_a_step_that_failed_half_way_says_what_of_it_was_done():
    mod, _ = _action([])
    result = {"database": "db", "queries": [], "applied": []}
    step = {"what": "index ix_a on books", "index": "ix_a", "kind": "index"}
    mod._failed_step(result, [step], 3, "ERROR:  something\n",
                     done_of_step=["DROP INDEX CONCURRENTLY IF EXISTS public.ix_a"])
    assert "Of that step, done before the failure: DROP INDEX CONCURRENTLY IF EXISTS public.ix_a." in result["msg"]
    assert "lock_timeout" not in result["msg"]


def test_a_unique_build_that_met_a_duplicate_names_the_key_and_never_a_row():
    mod, _ = _action([])
    result = {"database": "db", "queries": [], "applied": []}
    step = {"what": "index ix_users_email on users", "index": "ix_users_email", "kind": "index"}
    stderr = ('psql:<stdin>:1: ERROR:  could not create unique index "ix_users_email"\n'
              "DETAIL:  Key (email)=(reader2@example.org) is duplicated.\n")
    mod._failed_step(result, [step], 3, stderr,
                     cleanup=["DROP INDEX CONCURRENTLY IF EXISTS public.ix_users_email (done)"])
    assert "could not create unique index" in result["msg"]
    assert "(Key (email)=(reader2@example.org) is duplicated.)" in result["msg"]
    result = {"database": "db", "queries": [], "applied": []}
    mod._failed_step(result, [step], 3, "psql:<stdin>:1: ERROR:  check constraint \"c\" is violated by some row\n"
                     "DETAIL:  Failing row contains (1, secret-hash).\n")
    assert "secret-hash" not in result["msg"]


def test_the_lock_probe_names_the_session_holding_a_table():
    mod, calls = _action([(0, ROWS_MARKER + '\n[{"exists": true}]\n', ""), (3, "", LOCK_TIMEOUT), (0, HOLDER, "")])
    args = {"database": "bookreader_dev", "lock_timeout": "2s", "statement_timeout": "1min",
            "docker_cli": "docker", "maintenance_database": "postgres"}
    result = mod._lock_probe(args, {}, {}, "pg", "postgres")
    assert result["failed"] and not result["changed"]
    assert result["msg"].startswith("Nothing was changed: reading the tables of bookreader_dev (as the verification "
                                    "does) waited too long: ")
    assert "lock_timeout=2s" in result["msg"] and "pid 99 (application psql" in result["msg"]
    assert "pg_relation_size" in calls[1]


def test_the_lock_probe_leaves_a_missing_database_to_the_verification():
    mod, calls = _action([(0, ROWS_MARKER + '\n[{"exists": false}]\n', "")])
    args = {"database": "nope", "lock_timeout": "2s", "statement_timeout": "1min",
            "docker_cli": "docker", "maintenance_database": "postgres"}
    result = mod._lock_probe(args, {}, {}, "pg", "postgres")
    assert not result.get("failed") and result["relations"] == 0 and len(calls) == 1


def test_a_worker_whose_ansible_playbook_is_gone_stops_touching_nothing_more(monkeypatch):
    from ansible_collections.fancai.db_runbooks.plugins.action import repair_schema as action
    mod, calls = _action([])
    mod._parent_pid = 4000
    monkeypatch.setattr(action.os, "getppid", lambda: 4000)
    assert not mod._orphaned()
    monkeypatch.setattr(action.os, "getppid", lambda: 1)
    assert mod._orphaned()
    result = {"database": "db", "queries": [], "applied": ["index ix_b on books"]}
    step = {"what": "index ix_a on books", "index": "ix_a", "kind": "index"}
    mod._stopped_orphaned(result, step, ["DROP INDEX CONCURRENTLY IF EXISTS public.ix_a"],
                          "psql:<stdin>:1: ERROR:  canceling statement due to user request\n")
    assert result["failed"] and result["failed_step"] == "index ix_a on books"
    assert result["msg"].startswith("ansible-playbook ended while the repair ran: stopped before the rest of index "
                                    "ix_a on books (its last statement failed: psql:<stdin>:1: ERROR:  canceling")
    assert "Complete before it: index ix_b on books." in result["msg"]
    assert calls == []


def test_blockers_name_the_option_and_the_next_step_given():
    # verify_schema's catalog read: its own variable and its own last words.
    msg = rp.describe_blockers([{"pid": 7, "application": "alembic", "state": "active", "xact_seconds": 40,
                                 "locks": "AccessExclusiveLock on books"}], "30s",
                               option="verify_lock_timeout", then="then run again.")
    assert "raise verify_lock_timeout; then run again." in msg and "repair" not in msg
