"""Unit tests for the materialized-view refresh decisions (module_utils/_runbooks.py, filter matview_refresh_plan)."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.filter.matview import matview_refresh_plan as plan_filter
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _runbooks as rb

DAILY_DEF = (" SELECT date(reading_sessions.start_time) AS reading_date,\n    reading_sessions.user_id,\n"
             "    count(*) AS sessions_count\n   FROM reading_sessions\n"
             "  GROUP BY (date(reading_sessions.start_time)), reading_sessions.user_id;")
KEYS = {"reading_sessions_daily_stats": ["user_id", "reading_date"], "user_reading_patterns": ["user_id"]}


def _row(name="reading_sessions_daily_stats", populated=True, unique_index=None, schema="public",
         columns=("reading_date", "user_id", "sessions_count")):
    return dict(schema=schema, name=name, populated=populated, unique_index=unique_index,
                columns=list(columns), definition=DAILY_DEF)


@pytest.mark.parametrize("populated, unique_index, method", [
    (True, "public.uq", "concurrently"),
    (True, None, "plain"),
    (False, "public.uq", "plain"),
    (False, None, "plain"),
])
def test_auto_uses_concurrently_only_when_postgres_allows_it(populated, unique_index, method):
    entry = rb.matview_refresh_plan([_row(populated=populated, unique_index=unique_index)])[0]
    assert entry["method"] == method
    assert entry["error"] is None
    assert entry["statement"] == "REFRESH MATERIALIZED VIEW %s\"public\".\"reading_sessions_daily_stats\"" % (
        "CONCURRENTLY " if method == "concurrently" else "")
    # A fallback always says so, naming the view.
    assert (entry["warning"] is None) == (method == "concurrently")
    if entry["warning"]:
        assert "public.reading_sessions_daily_stats" in entry["warning"]


def test_auto_warning_names_the_fix_when_a_key_is_configured():
    entry = rb.matview_refresh_plan([_row()], unique_keys=KEYS)[0]
    assert "blocks every reader" in entry["warning"]
    assert "matview_refresh_create_unique_indexes=true" in entry["warning"]
    assert "(user_id, reading_date)" in entry["warning"]
    assert "uq_reading_sessions_daily_stats_natural_key" in entry["warning"]


def test_auto_warning_without_a_key_asks_for_one():
    entry = rb.matview_refresh_plan([_row(name="other_view")], unique_keys=KEYS)[0]
    assert "matview_refresh_unique_keys" in entry["warning"]


def test_unpopulated_view_warns_that_a_plain_refresh_fills_it():
    entry = rb.matview_refresh_plan([_row(populated=False, unique_index="public.uq")])[0]
    assert "not populated" in entry["warning"]
    assert "unique index" not in entry["warning"]


@pytest.mark.parametrize("populated, unique_index, expected", [
    (True, None, "cannot be refreshed CONCURRENTLY"),
    (False, "public.uq", "not populated"),
])
def test_concurrent_mode_turns_the_fallback_into_an_error(populated, unique_index, expected):
    entry = rb.matview_refresh_plan([_row(populated=populated, unique_index=unique_index)],
                                    mode="concurrent", unique_keys=KEYS)[0]
    assert expected in entry["error"]
    assert "public.reading_sessions_daily_stats" in entry["error"]
    assert entry["warning"] is None


def test_concurrent_mode_accepts_an_index_about_to_be_created():
    entry = rb.matview_refresh_plan([_row()], mode="concurrent", unique_keys=KEYS, create_indexes=True)[0]
    assert entry["error"] is None
    assert entry["method"] == "concurrently"
    assert entry["create_index"]["statement"] == (
        'CREATE UNIQUE INDEX "uq_reading_sessions_daily_stats_natural_key" ON '
        '"public"."reading_sessions_daily_stats" ("user_id", "reading_date")')


def test_plain_mode_never_warns():
    entry = rb.matview_refresh_plan([_row(populated=False)], mode="plain")[0]
    assert (entry["method"], entry["warning"], entry["error"]) == ("plain", None, None)


def test_no_index_is_planned_when_a_usable_one_exists():
    entry = rb.matview_refresh_plan([_row(unique_index="public.mine")], unique_keys=KEYS, create_indexes=True)[0]
    assert entry["create_index"] is None
    assert entry["method"] == "concurrently"


def test_index_planned_only_when_asked():
    assert rb.matview_refresh_plan([_row()], unique_keys=KEYS)[0]["create_index"] is None


def test_key_with_a_missing_column_is_an_error_naming_the_columns():
    entry = rb.matview_refresh_plan([_row()], unique_keys={"reading_sessions_daily_stats": ["user_id", "day"]},
                                    create_indexes=True)[0]
    assert "no column day" in entry["error"]
    assert "reading_date, user_id, sessions_count" in entry["error"]
    assert entry["create_index"] is None


def test_keys_may_be_schema_qualified_and_apply_to_their_schema_only():
    rows = [_row(schema="stats"), _row()]
    plan = rb.matview_refresh_plan(rows, unique_keys={"stats.reading_sessions_daily_stats": ["user_id"]},
                                   create_indexes=True)
    assert plan[0]["create_index"]["columns"] == ["user_id"]
    assert plan[0]["create_index"]["statement"].endswith('ON "stats"."reading_sessions_daily_stats" ("user_id")')
    assert plan[1]["create_index"] is None


def test_duplicates_query_runs_the_definition_and_skips_null_keys():
    query = rb.matview_duplicates_query("public.v", ["user_id", "reading_date"], DAILY_DEF)
    assert query.startswith("SELECT 'public.v' AS view, ")
    assert "FROM ( SELECT date(reading_sessions.start_time)" not in query  # stripped
    assert "FROM (SELECT date(reading_sessions.start_time) AS reading_date" in query
    assert ";" not in query
    assert '"user_id" IS NOT NULL AND "reading_date" IS NOT NULL' in query
    assert 'GROUP BY "user_id", "reading_date" HAVING count(*) > 1' in query
    assert "'user_id=' || quote_nullable(d.\"user_id\") || ', ' || 'reading_date=' || quote_nullable(d.\"reading_date\")" in query


@pytest.mark.parametrize("view, expected", [
    ("user_reading_patterns", "uq_user_reading_patterns_natural_key"),
    ("v" * 63, "uq_" + "v" * 48 + "_natural_key"),
])
def test_index_names_fit_postgres(view, expected):
    name = rb.matview_index_name(view)
    assert name == expected
    assert len(name) <= 63


@pytest.mark.parametrize("name, qualified", [("v", "public.v"), ("stats.v", "stats.v")])
def test_qualify_view_name(name, qualified):
    assert rb.qualify_view_name(name) == qualified


def test_plan_keeps_probe_order_and_quotes_names():
    plan = rb.matview_refresh_plan([_row(name="b"), _row(name='we"ird')])
    assert [p["view"] for p in plan] == ["public.b", 'public.we"ird']
    assert plan[1]["qualified"] == '"public"."we""ird"'


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        rb.matview_refresh_plan([_row()], mode="fast")


@pytest.mark.parametrize("views, keys", [("not a list", None), ([_row()], ["user_id"]), ([{"name": "x"}], None)])
def test_filter_refuses_bad_input(views, keys):
    with pytest.raises(AnsibleFilterError):
        plan_filter(views, unique_keys=keys)
