"""A restore of the data from a backup and of some tables: plans, words and the partial restore's script."""

import os
import re
import subprocess

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.filter import restore as flt
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _restore
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _restore_tables as rt

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DUMP = {"path": "/b/bookreader_dev/bookreader_dev-20261202T020000Z.dump", "file": "bookreader_dev-20261202T020000Z.dump",
        "class": "nightly", "started": "2026-12-02T02:00:00Z", "rows": 17751, "alembic_revision": "enum_checks_2025",
        "row_counts": {"public.books": 3, "public.chapters": 12}, "sha256": "a" * 64}
CLEAN = {"ok": True, "summary": ["tables 9/9"], "missing": [], "extra": [], "different": []}
BROKEN = {"ok": False, "summary": ["tables 8/9"], "missing": ["table generated_images"], "extra": [], "different": []}


# --- the plan of a restore from a backup ---------------------------------------

@pytest.mark.parametrize("exists,already,recreate,plan", [
    (False, False, False, "build"), (True, False, False, "rebuild"), (True, True, False, "nothing"),
    (True, True, True, "rebuild")])
def test_decide_data(exists, already, recreate, plan):
    assert _restore.decide_data(exists, already, recreate) == plan


def test_data_plan_never_newer_and_needs_a_clean_copy_for_nothing():
    newer = dict(CLEAN, revision_relation="newer")
    assert flt.restore_plan(newer, "bookreader_dev", True, dump=DUMP)["plan"] == "rebuild"
    assert flt.restore_plan(CLEAN, "bookreader_dev", True, dump=DUMP, already=True)["plan"] == "nothing"
    assert flt.restore_plan(BROKEN, "bookreader_dev", True, dump=DUMP, already=True)["plan"] == "rebuild"
    # A rollback to a safety dump brings back what was there, findings and all.
    safety = dict(DUMP, **{"class": "safety"})
    assert flt.restore_plan(BROKEN, "bookreader_dev", True, dump=safety, already=True)["plan"] == "nothing"
    assert flt.restore_plan(None, "bookreader_dev", False, dump=DUMP)["plan"] == "build"


def test_data_refusal_says_what_replaces_what():
    plan = flt.restore_plan(BROKEN, "bookreader_dev", True, container="pg", size=2048, rows=300, tables=8,
                            kept_name="bookreader_dev__old_20261202_030000", safety_dir="/b/bookreader_dev/safety/",
                            dump=DUMP)
    text = plan["refusal"]
    assert "replaced by the data of bookreader_dev-20261202T020000Z.dump (nightly, taken 2026-12-02T02:00:00Z, " \
           "17 751 rows in 2 tables, Alembic enum_checks_2025)" in text
    assert "missing table generated_images" in text
    assert "bookreader_dev holds about 300 rows in 8 tables" in text
    assert "written after the backup was taken is not in it" in text
    assert "-e db_runbooks_confirm_destroy=bookreader_dev" in text
    assert "EMPTY" not in text
    assert plan["dump_text"].startswith("bookreader_dev-20261202T020000Z.dump")


def test_restore_plan_refuses_a_dump_that_is_not_a_dict():
    with pytest.raises(AnsibleFilterError):
        flt.restore_plan(None, "bookreader_dev", False, dump="latest")


def test_count_differences():
    assert flt.restore_count_differences({"public.a": 1}, {"public.a": 1}) == []
    assert flt.restore_count_differences({"public.a": 1, "public.m": 9}, {"public.a": 2, "public.b": 3}) == [
        "public.a dumped 2, restored 1", "public.b dumped 3, restored missing", "public.m dumped missing, restored 9"]
    assert flt.restore_count_differences({"public.a": 1, "public.m": 9}, {"public.a": 1, "public.m": 7},
                                         ignore=["public.m"]) == []
    with pytest.raises(AnsibleFilterError):
        flt.restore_count_differences([], {})


def test_row_counts_query_is_the_manifests():
    def load(role):
        with open(os.path.join(ROOT, "roles", role, "vars", "main.yml"), encoding="utf-8") as f:
            return yaml.safe_load(f)
    backup = load("backup")["__backup_row_counts_sql"]
    restore = load("restore")["__restore_row_counts_sql"]
    # The backup's ends with the optional table filter of a partial safety dump.
    assert backup.startswith(restore)
    assert backup[len(restore):].strip().startswith("{{")


# --- the partial restore -------------------------------------------------------

def test_normalize():
    assert rt.normalize("chapters,public.books, chapters") == ["public.chapters", "public.books"]
    for bad in (["Chapters"], ["a;b"], ["x.y.z"], [""]):
        with pytest.raises(ValueError):
            rt.normalize(bad)


def test_order_parents_first_and_cycles_kept():
    fks = [{"table": "public.descriptions", "references": "public.chapters"},
           {"table": "public.chapters", "references": "public.books"},
           {"table": "public.chapters", "references": "public.chapters"},
           {"table": "public.books", "references": "public.users"}]
    assert rt.order(["public.descriptions", "public.chapters", "public.books"], fks) == [
        "public.books", "public.chapters", "public.descriptions"]
    cycle = [{"table": "public.a", "references": "public.b"}, {"table": "public.b", "references": "public.a"}]
    assert rt.order(["public.a", "public.b"], cycle) == ["public.a", "public.b"]


def test_script_pieces():
    got = flt.restore_tables_script(["descriptions", "chapters"],
                                    [{"table": "public.descriptions", "references": "public.chapters"}])
    assert got["tables"] == ["public.chapters", "public.descriptions"]
    assert got["pg_restore_args"] == ["--schema=public", "--table=chapters", "--table=descriptions"]
    assert got["head"].startswith("BEGIN;")
    assert 'LOCK TABLE "public"."chapters", "public"."descriptions" IN SHARE ROW EXCLUSIVE MODE;' in got["head"]
    assert got["tail"].rstrip().endswith("ROLLBACK;")
    assert flt.restore_tables_script(["chapters"], [], commit=True)["tail"].rstrip().endswith("COMMIT;")
    # No trick that skips foreign key checks.
    for text in (got["head"], got["tail"]):
        assert "session_replication_role" not in text and "DISABLE TRIGGER" not in text.upper()
    assert "ARRAY['public.chapters', 'public.descriptions']" in got["tail"]
    with pytest.raises(AnsibleFilterError):
        flt.restore_tables_script([])


@pytest.mark.skipif(subprocess.call(["which", "awk"], stdout=subprocess.DEVNULL) != 0, reason="no awk")
def test_awk_turns_each_copy_into_a_copy_into_a_temporary_table():
    dump = "\n".join([
        "SET statement_timeout = 0;",
        "COPY public.chapters (id, book_id, title) FROM stdin;",
        "1\t2\tCOPY public.chapters (x) FROM stdin;",
        "3\t4\tt",
        "\\.",
        "COPY public.books (id) FROM stdin;",
        "\\.",
        ""])
    out = subprocess.run(["awk", rt.REWRITE_AWK], input=dump, capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[1] == "CREATE TEMP TABLE __dbrb_rt_1 AS SELECT id, book_id, title FROM public.chapters WITH NO DATA;"
    assert lines[2] == "INSERT INTO pg_temp.__dbrb_restore_map VALUES ('public.chapters', '__dbrb_rt_1');"
    assert lines[3] == "COPY pg_temp.__dbrb_rt_1 (id, book_id, title) FROM stdin;"
    # A data line that looks like a COPY stays data.
    assert lines[4] == "1\t2\tCOPY public.chapters (x) FROM stdin;"
    assert "COPY pg_temp.__dbrb_rt_2 (id) FROM stdin;" in lines
    assert sum(1 for l in lines if l.startswith("CREATE TEMP TABLE")) == 2


REPORT = ('noise\n' + rt.REPORT_MARK +
          '[{"ord":1,"tbl":"public.chapters","before":72,"dumped":84,"deleted":0,"updated":1,"inserted":12,"after":84}]\n')


def test_result_and_refusal():
    got = flt.restore_tables_result(REPORT, "bookreader_dev", container="pg", tables=["public.chapters"],
                                    dump_text="bookreader_dev-20261202T020000Z.dump (nightly)")
    assert got["changed"] and got["changes"] == {"deleted": 0, "updated": 1, "inserted": 12}
    assert got["lines"] == ["public.chapters: 72 rows now, 84 in the dump: 0 deleted, 1 updated, 12 inserted"]
    assert "At stake: 72 rows now in these tables; 0 would be deleted (not in the dump), 1 updated, 12 inserted" \
        in got["refusal"]
    assert "Nothing was touched" in got["refusal"] and "-e db_runbooks_confirm_destroy=bookreader_dev" in got["refusal"]
    same = REPORT.replace('"updated":1', '"updated":0').replace('"inserted":12', '"inserted":0')
    assert not flt.restore_tables_result(same, "bookreader_dev")["changed"]
    assert flt.restore_tables_result("", "bookreader_dev")["report"] == []


def test_tail_is_valid_python_formatting_for_several_tables():
    tail = rt.tail_sql(["public.a", "public.b"], False)
    assert "%(" not in tail and "%%" not in tail
    assert re.search(r"FOR i IN REVERSE pg_catalog.cardinality\(named\) \.\. 1 LOOP", tail)
