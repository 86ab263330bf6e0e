"""The repair kept every row: the same count in every table as the broken database had."""

from repair_state import state

COUNTS = ("SELECT table_name AS t, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', "
          "table_schema, table_name), false, true, '')))[1]::text::bigint AS n FROM information_schema.tables "
          "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")


def test_every_table_holds_the_rows_it_held(pg):
    before = state("broken")["database"]["rows"]
    after = dict((r["t"], r["n"]) for r in pg.rows(COUNTS))
    assert before, "prepare counted no table"
    assert all(n > 0 for t, n in before.items()), before
    for table, count in before.items():
        assert after.get(table) == count, "%s held %s rows, now %s" % (table, count, after.get(table))


def test_the_dropped_empty_table_is_back_and_empty(pg):
    assert "generated_images" not in state("broken")["database"]["rows"]
    assert pg.value("SELECT count(*) FROM generated_images") == 0


def test_the_columns_are_back_with_their_defaults(pg):
    assert pg.value("SELECT count(*) FROM books WHERE description IS NULL") == pg.value("SELECT count(*) FROM books")
    assert pg.value("SELECT count(*) FROM chapters WHERE word_count = 0") == pg.value("SELECT count(*) FROM chapters")


def test_the_views_hold_the_current_rows(pg):
    assert pg.value("SELECT count(*) FROM user_reading_patterns") > 0
    assert pg.value("SELECT count(*) FROM reading_sessions_daily_stats") > 0
    assert pg.value("SELECT bool_and(ispopulated) FROM pg_matviews WHERE schemaname = 'public'") is True
