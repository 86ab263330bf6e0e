"""The restore's decisions: plan, findings, what is at stake, leftovers of interrupted runs."""

import pytest

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _restore as r

CLEAN = {"ok": True, "summary": ["tables 9/9 \u2713"], "missing": [], "extra": [], "different": [],
         "matviews_unpopulated": []}


def _verify(missing=(), extra=(), different=(), unpopulated=()):
    return {"ok": not (missing or extra or different or unpopulated), "summary": ["indexes 35/36 \u2717"],
            "missing": list(missing), "extra": list(extra), "different": list(different),
            "matviews_unpopulated": list(unpopulated)}


@pytest.mark.parametrize("exists, verify, recreate, plan", [
    (False, None, False, "build"),
    (False, None, True, "build"),
    (True, CLEAN, False, "nothing"),
    (True, CLEAN, True, "rebuild"),
    (True, _verify(missing=["index ix_books_title: on books"]), False, "rebuild"),
    (True, None, False, "rebuild"),
])
def test_decide(exists, verify, recreate, plan):
    assert r.decide("bookreader_dev", exists, verify, recreate) == plan


def test_findings_say_an_unpopulated_matview_once():
    verify = _verify(different=["matview user_reading_patterns: not populated (run REFRESH …)"],
                     unpopulated=["user_reading_patterns"])
    assert r.findings(verify) == ["not populated: matview user_reading_patterns"]


@pytest.mark.parametrize("items, playbooks, by_hand, rest", [
    (["missing extension pg_trgm"], ["playbooks/fix_extensions.yml"], [], []),
    (["different alembic revision: alembic_version holds x, expected exactly y",
      "missing extension pg_trgm", "not populated: matview v"],
     ["playbooks/fix_extensions.yml", "playbooks/refresh_matviews.yml", "playbooks/stamp_alembic.yml"], [], []),
    (["missing index ix_books_title: on books using btree ( title )"], ["playbooks/repair.yml"], [], []),
    (["missing check constraint check_book_format: CHECK (…)", "missing extension pg_trgm",
      "different alembic revision: alembic_version holds x, expected exactly y"],
     ["playbooks/fix_extensions.yml", "playbooks/repair.yml", "playbooks/stamp_alembic.yml"], [], []),
    (["missing matview user_reading_patterns"], ["playbooks/repair.yml"], [], []),
    (["missing column books.title: varchar not null"], [], [], ["missing column books.title: varchar not null"]),
    (["extra table notes"], [], [], ["extra table notes"]),
    (["different column books.genre: type is text, expected varchar"], [], [],
     ["different column books.genre: type is text, expected varchar"]),
])
def test_classify(items, playbooks, by_hand, rest):
    assert r.classify(items) == (playbooks, by_hand, rest)


@pytest.mark.parametrize("size, text", [(0, "0 bytes"), (1023, "1023 bytes"), (1536, "1.5 kB"),
                                        (203423744, "194.0 MB"), (5 * 1024 ** 4, "5.0 TB")])
def test_human_size(size, text):
    assert r.human_size(size) == text


def test_at_stake():
    assert r.at_stake("bookreader_dev", 203423744, 300000, 9) == \
        "bookreader_dev holds about 300 000 rows in 9 tables (194.0 MB)"


def _refusal(verify, recreate=False):
    return r.refusal("bookreader_dev", "pg", verify, recreate, 203423744, 300000, 9,
                     "bookreader_dev__old_20261202_030000", "/b/bookreader_dev/safety/")


def test_refusal_says_what_is_at_stake_and_that_the_copy_is_empty():
    msg = _refusal(_verify(extra=["table notes"]))
    assert "Nothing was touched." in msg
    assert "about 300 000 rows in 9 tables (194.0 MB)" in msg
    assert "EMPTY (schema only)" in msg
    assert "bookreader_dev__old_20261202_030000" in msg
    assert "/b/bookreader_dev/safety/" in msg
    assert msg.endswith("-e db_runbooks_confirm_destroy=bookreader_dev")
    assert "additive" not in msg


def test_refusal_points_at_the_repair_in_place_for_additive_drift():
    msg = _refusal(_verify(missing=["index ix_books_title: on books using btree ( title )",
                                    "extension pg_trgm"]))
    assert "Every finding is additive" in msg
    assert ("Run, in this order (with the same -e options): ansible-playbook playbooks/fix_extensions.yml; "
            "then ansible-playbook playbooks/repair.yml.") in msg
    assert "missing index ix_books_title" in msg
    assert "by hand" not in msg and "Create in place" not in msg
    assert "To rebuild anyway: run again with -e db_runbooks_confirm_destroy=bookreader_dev" in msg


def test_refusal_of_a_recreate_offers_no_repair():
    msg = _refusal(CLEAN, recreate=True)
    assert "recreate asked" in msg
    assert "additive" not in msg


def test_findings_text_counts_the_rest():
    items = ["missing index i%d" % n for n in range(12)]
    text = r.findings_text({"summary": ["indexes 24/36 \u2717"]}, items)
    assert text.startswith("indexes 24/36 \u2717; missing index i0")
    assert text.endswith("(and 2 more)")


def _row(name, comment=None, allow=True):
    return {"name": name, "comment": comment, "allow_connections": allow}


def test_swap_states_nothing_left():
    assert r.swap_states("db", [_row("db")], "db__restore", "db__old") == {
        "closed": False, "kept": [], "temp": False, "foreign": [], "legacy_old": False}


def test_swap_states_closed_database_is_recognised_only_with_the_marker():
    closed = _row("db", r.MARK_CLOSED + " (db__old_20261202_030000)", allow=False)
    assert r.swap_states("db", [closed], "db__restore", "db__old")["closed"] is True
    # Connections off for another reason (an operator's maintenance): not ours to re-open.
    other = _row("db", "maintenance", allow=False)
    assert r.swap_states("db", [other], "db__restore", "db__old")["closed"] is False
    # Marked, but connections allowed: nothing to re-open.
    assert r.swap_states("db", [_row("db", r.MARK_CLOSED)], "db__restore", "db__old")["closed"] is False


def test_swap_states_kept_temp_foreign_legacy():
    rows = [_row("db"), _row("db__restore", r.MARK_TEMP), _row("db__old_20261202_030000", r.MARK_KEPT, False),
            _row("db__old", r.MARK_TEMP, False), _row("db__old_notastamp", "x")]
    out = r.swap_states("db", rows, "db__restore", "db__old")
    assert out == {"closed": False, "kept": ["db__old_20261202_030000"], "temp": True, "foreign": [],
                   "legacy_old": True}


@pytest.mark.parametrize("name", ["db__restore", "db__old"])
def test_swap_states_foreign_databases_with_our_names(name):
    out = r.swap_states("db", [_row(name, "someone else's")], "db__restore", "db__old")
    assert out["foreign"] == [name]


@pytest.mark.parametrize("mark", [r.MARK_CLOSED + " (db__old_20261202_030000)", r.MARK_TEMP,
                                  r.MARK_KEPT + " from db, safety dump pending"])
def test_properties_to_keep_drops_a_restore_mark_from_the_comment(mark):
    props = {"owner": "app", "comment": mark, "settings": [{"role": "", "setting": "a=b"}]}
    out = r.properties_to_keep(props)
    assert out == {"owner": "app", "comment": None, "settings": [{"role": "", "setting": "a=b"}]}
    assert props["comment"] == mark


@pytest.mark.parametrize("comment", [None, "the application's own words",
                                     "fancai.db_runbooks is mentioned, but not as a mark"])
def test_properties_to_keep_keeps_any_other_comment(comment):
    assert r.properties_to_keep({"owner": "app", "comment": comment}) == {"owner": "app", "comment": comment}


@pytest.mark.parametrize("empty", [None, {}])
def test_properties_to_keep_of_no_reading_is_empty(empty):
    assert r.properties_to_keep(empty) == {}


def test_the_filter_keeps_properties_and_refuses_what_is_not_a_reading():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.fancai.db_runbooks.plugins.filter.restore import restore_kept_properties

    assert restore_kept_properties({"comment": r.MARK_CLOSED}) == {"comment": None}
    assert restore_kept_properties(None) == {}
    with pytest.raises(AnsibleFilterError, match="verify_result.properties"):
        restore_kept_properties(["not", "a", "dict"])


# repair_schema's result with apply=false, as the restore role reads it.
def _repair(steps=("index ix_books_title on books",), unrepairable=(), extra=(), failed=False, msg=""):
    out = {"steps": [{"what": w, "online": True} for w in steps], "unrepairable": list(unrepairable),
           "extra": list(extra), "online": True, "violations": []}
    if failed:
        out.update(failed=True, msg=msg)
    return out


_INDEX = _verify(missing=["index ix_books_title: on books using btree ( title )"])


@pytest.mark.parametrize("verify, recreate, repair, plan", [
    # Every finding covered: repaired in place.
    (_INDEX, False, _repair(), "repair"),
    # No plan made (a confirmed run): rebuilt as asked.
    (_INDEX, False, None, "rebuild"),
    # Rebuild asked: the repair is not offered.
    (_INDEX, True, _repair(), "rebuild"),
    # Clean: nothing, whatever the plan says.
    (CLEAN, False, _repair(steps=()), "nothing"),
    # Something the repair cannot fix, or leaves alone.
    (_INDEX, False, _repair(unrepairable=[{"finding": "missing column users.password_hash", "why": "NOT NULL"}]),
     "rebuild"),
    (_verify(extra=["table notes"]), False, _repair(steps=(), extra=["table notes"]), "rebuild"),
    # Rows a new constraint would reject: the plan failed.
    (_INDEX, False, _repair(failed=True, msg="3 rows would violate"), "rebuild"),
    # Outside the catalog: the Alembic stamp, a database-level property.
    (_verify(missing=["index ix_books_title: on books", "alembic revision x: alembic_version has no row"]), False,
     _repair(), "rebuild"),
    (_verify(different=["database bookreader_dev: connection limit is -1, expected 50"]), False,
     _repair(steps=()), "rebuild"),
    # A plan with no step for a finding it does not know.
    (_INDEX, False, _repair(steps=()), "rebuild"),
    # Newer than the source: never repaired to an older schema, never rebuilt.
    (dict(_INDEX, revision_relation="newer"), False, _repair(), "newer"),
])
def test_decide_with_a_repair_plan(verify, recreate, repair, plan):
    assert r.decide("bookreader_dev", True, verify, recreate, repair=repair) == plan


def test_repair_gaps_name_what_stops_the_repair():
    gaps = r.repair_gaps(_INDEX, _repair(
        unrepairable=[{"finding": "missing column users.password_hash", "why": "it is NOT NULL without a default"}],
        extra=["table notes"]))
    assert gaps == ["missing column users.password_hash (it is NOT NULL without a default)",
                    "extra table notes (a repair leaves what the schema does not have alone)"]
    assert r.repair_gaps(_INDEX, None) == ["no repair was planned"]
    assert r.repair_gaps(_INDEX, _repair()) == []


def test_refusal_with_a_repair_plan_says_what_stops_it_and_what_it_would_fix():
    repair = _repair(steps=("index ix_books_title on books",),
                     unrepairable=[{"finding": "missing column users.password_hash", "why": "NOT NULL, no default"}])
    verify = _verify(missing=["index ix_books_title: on books using btree ( title )",
                              "column users.password_hash: character varying(255) NOT NULL"])
    msg = r.refusal("bookreader_dev", "pg", verify, False, 1024, 500, 9, "bookreader_dev__old_x", "/b", repair=repair)
    assert "cannot make it verify: missing column users.password_hash (NOT NULL, no default)" in msg
    assert "It would fix, without a rebuild: index ix_books_title on books" in msg
    assert "-e db_runbooks_confirm_destroy=bookreader_dev" in msg
    assert "Every finding is additive" not in msg


def test_refusal_with_a_failed_repair_plan_gives_its_message():
    verify = _verify(missing=["check constraint books.ck_books_size: CHECK (file_size > 0)",
                              "column books.cover: text NOT NULL"])
    msg = r.refusal("bookreader_dev", "pg", verify, False, 1024, 500, 9, "k", "/b",
                    repair=_repair(failed=True, msg="books: 3 rows would violate ck_books_size"))
    assert "cannot make it verify: books: 3 rows would violate ck_books_size" in msg
    assert "It would fix" not in msg


def test_refusal_of_additive_drift_keeps_the_playbooks_and_adds_what_stops_the_repair():
    verify = _verify(missing=["extension pg_trgm", "alembic revision x: alembic_version has no row"])
    # The Alembic stamp is not the repair's to fix: stamp_alembic.yml is named, no "will stop" line.
    msg = r.refusal("bookreader_dev", "pg", verify, False, 1024, 500, 9, "k", "/b", repair=_repair(steps=("extension pg_trgm",)))
    assert "ansible-playbook playbooks/fix_extensions.yml; then ansible-playbook playbooks/stamp_alembic.yml" in msg
    assert "will stop first" not in msg
    # Rows a new constraint would reject: the playbook is still named, and what stops it.
    msg = r.refusal("bookreader_dev", "pg", _INDEX, False, 1024, 500, 9, "k", "/b",
                    repair=_repair(failed=True, msg="books: 2 rows share the key of ix_books_title"))
    assert "ansible-playbook playbooks/repair.yml" in msg
    assert "playbooks/repair.yml will stop first at: books: 2 rows share the key of ix_books_title." in msg


def test_the_filter_returns_the_repair_steps_and_refuses_a_repair_that_is_not_a_dict():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.fancai.db_runbooks.plugins.filter.restore import restore_plan

    plan = restore_plan(_INDEX, "bookreader_dev", True, repair=_repair())
    assert plan["plan"] == "repair"
    assert plan["repair_steps"] == ["index ix_books_title on books"]
    assert plan["repair_online"] is True
    # Absent: nothing to repair, whatever was passed.
    assert restore_plan(None, "bookreader_dev", False, repair=_repair())["plan"] == "build"
    assert restore_plan(_INDEX, "bookreader_dev", True)["repair_steps"] == []
    with pytest.raises(AnsibleFilterError, match="repair_schema's result"):
        restore_plan(_INDEX, "bookreader_dev", True, repair="yes")
