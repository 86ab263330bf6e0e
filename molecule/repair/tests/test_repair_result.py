"""What the repair said it did: the steps and SQL, and the safety dump it took before the destructive one."""

import os

from repair_state import state


def test_statements_are_the_online_forms():
    res = state("repair_result")
    sql = res["statements"]
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_books_title ON public.books USING btree (title)" in sql
    # The invalid index is dropped and built again, concurrently.
    assert sql.index("DROP INDEX CONCURRENTLY IF EXISTS public.ix_books_author") < sql.index(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_books_author ON public.books USING btree (author)")
    assert any(s.startswith("ALTER TABLE public.books ADD CONSTRAINT check_book_genre CHECK") and s.endswith("NOT VALID")
               for s in sql)
    assert "ALTER TABLE public.books VALIDATE CONSTRAINT check_book_genre" in sql
    assert "ALTER TABLE public.reading_sessions VALIDATE CONSTRAINT reading_sessions_book_id_fkey" in sql
    assert "ALTER TYPE public.subscriptionstatus ADD VALUE IF NOT EXISTS 'EXPIRED' AFTER 'ACTIVE'" in sql
    assert any(s.startswith("CREATE TABLE IF NOT EXISTS public.generated_images (") for s in sql)


def test_the_order_extensions_enum_transaction_validate_indexes():
    steps = state("repair_result")["steps"]
    kinds = [s["kind"] for s in steps]
    concurrent = [i for i, s in enumerate(steps) if s["kind"] == "index" and not s["transactional"]]
    assert concurrent, kinds
    assert kinds.index("enum_value") < kinds.index("table") < kinds.index("validate") < min(concurrent)
    assert max(i for i, k in enumerate(kinds) if k == "validate") < min(concurrent)
    assert all(s["transactional"] for s in state("repair_result")["steps"]
               if s["kind"] in ("table", "column", "matview", "check_constraint", "foreign_key"))


def test_a_safety_dump_was_taken_because_a_view_was_replaced(host):
    res = state("repair_result")
    assert not res["online"]
    dump = res["safety_dump"]
    assert dump["taken"], dump
    assert "reading_sessions_daily_stats" in dump["why"], dump
    assert "/bookreader_dev/safety/" in dump["path"]
    assert os.path.getsize(dump["path"]) > 1024
    assert host.file(dump["path"] + ".sha256").exists


def test_nothing_unrepairable_and_clean_after():
    res = state("repair_result")
    assert res["unrepairable"] == []
    assert res["ok"], res["remaining"]
    assert res["remaining"] == []
