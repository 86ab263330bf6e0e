"""Safety dumps: their own pruning (safety_retention), the history of both classes (backup_history)
and the row-count drop backup_check warns about (backup_row_drop)."""

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.filter.retention import (
    FilterModule,
    backup_history,
    backup_row_drop,
    gfs_retention,
    safety_retention,
)

SERIES_DIR = "/var/backups/db_runbooks/bookreader_dev"
SAFETY_DIR = SERIES_DIR + "/safety"
NOW = "20261202T120000Z"


def safety(stamp, series="bookreader_dev"):
    return "%s/%s-safety-%s.dump" % (SAFETY_DIR, series, stamp)


def nightly(stamp, series="bookreader_dev"):
    return "%s/%s-%s.dump" % (SERIES_DIR, series, stamp)


def with_sidecars(*paths):
    out = []
    for p in paths:
        out += [p, p + ".sha256", p + ".json"]
    return out


def test_filters_are_registered():
    filters = FilterModule().filters()
    assert filters["safety_retention"] is safety_retention
    assert filters["backup_history"] is backup_history
    assert filters["backup_row_drop"] is backup_row_drop


class TestSafetyRetention:
    def test_keeps_what_is_younger_than_keep_days(self):
        files = with_sidecars(safety("20261201T040000Z"), safety("20261103T120000Z"), safety("20261101T040000Z"))
        plan = safety_retention(files, "bookreader_dev", keep_days=30, now=NOW)
        assert plan["keep"] == [safety("20261201T040000Z"), safety("20261103T120000Z")]
        assert plan["delete"] == [safety("20261101T040000Z")]
        assert plan["cutoff"] == "20261102T120000Z"

    def test_exactly_keep_days_old_is_kept(self):
        files = with_sidecars(safety("20261202T040000Z"), safety("20261102T120000Z"))
        plan = safety_retention(files, "bookreader_dev", keep_days=30, now=NOW)
        assert plan["delete"] == []

    @pytest.mark.parametrize("keep_days", [0, 1, 30])
    def test_never_the_newest(self, keep_days):
        # Every dump is years old: the newest one stays whatever keep_days says.
        files = with_sidecars(safety("20200103T000000Z"), safety("20200102T000000Z"), safety("20200101T000000Z"))
        plan = safety_retention(files, "bookreader_dev", keep_days=keep_days, now=NOW)
        assert plan["keep"] == [safety("20200103T000000Z")]
        assert plan["reasons"][safety("20200103T000000Z")] == ["newest", "newest verified"]
        assert plan["newest"] == plan["newest_verified"] == safety("20200103T000000Z")

    def test_keep_days_zero_keeps_only_the_newest(self):
        files = with_sidecars(safety("20261202T110000Z"), safety("20261202T100000Z"), safety("20261130T000000Z"))
        plan = safety_retention(files, "bookreader_dev", keep_days=0, now=NOW)
        assert plan["keep"] == [safety("20261202T110000Z")]
        assert plan["delete"] == [safety("20261202T100000Z"), safety("20261130T000000Z")]

    def test_the_newest_verified_stays_when_the_newest_lost_a_sidecar(self):
        newest = safety("20261202T110000Z")
        files = [newest, newest + ".sha256"] + with_sidecars(safety("20261130T000000Z"), safety("20261129T000000Z"))
        plan = safety_retention(files, "bookreader_dev", keep_days=0, now=NOW)
        assert plan["keep"] == [newest, safety("20261130T000000Z")]
        assert plan["newest_verified"] == safety("20261130T000000Z")
        assert plan["delete"] == [safety("20261129T000000Z")]

    def test_delete_files_list_each_dump_before_its_sidecars(self):
        old = safety("20261001T000000Z")
        files = with_sidecars(safety("20261202T000000Z"), old)
        plan = safety_retention(files, "bookreader_dev", keep_days=30, now=NOW)
        assert plan["delete_files"] == [old, old + ".sha256", old + ".json"]

    @pytest.mark.parametrize("stranger", [
        SAFETY_DIR + "/notes.txt",
        SAFETY_DIR + "/.bookreader_dev-safety-20200101T000000Z.dump.partial",
        SAFETY_DIR + "/bookreader_dev-20200101T000000Z.dump",          # a nightly name
        SAFETY_DIR + "/otherdb-safety-20200101T000000Z.dump",          # another series
        SAFETY_DIR + "/bookreader_dev-safety-20200101T000000Z.dump.bak",
        SAFETY_DIR + "/bookreader_dev-safety-20201399T000000Z.dump",   # no 13th month
    ])
    def test_strangers_are_never_deleted(self, stranger):
        files = with_sidecars(safety("20261202T000000Z")) + [stranger]
        plan = safety_retention(files, "bookreader_dev", keep_days=0, now=NOW)
        assert stranger not in plan["delete_files"]
        assert stranger in plan["ignored"]

    def test_empty_directory(self):
        plan = safety_retention([], "bookreader_dev", keep_days=0, now=NOW)
        assert plan["keep"] == plan["delete"] == [] and plan["newest"] is None

    def test_find_results_and_input_order(self):
        paths = with_sidecars(safety("20261202T000000Z"), safety("20261001T000000Z"))
        as_find = [{"path": p} for p in reversed(paths)]
        assert safety_retention(as_find, "bookreader_dev", 30, NOW) == safety_retention(paths, "bookreader_dev", 30, NOW)

    def test_two_directories_are_refused(self):
        files = with_sidecars(safety("20261202T000000Z")) + ["/elsewhere/bookreader_dev-safety-20261001T000000Z.dump"]
        with pytest.raises(AnsibleFilterError, match="several directories"):
            safety_retention(files, "bookreader_dev", 30, NOW)

    @pytest.mark.parametrize("kwargs,message", [
        ({"keep_days": -1}, "keep_days must be a whole number"),
        ({"keep_days": "30"}, "keep_days must be a whole number"),
        ({"keep_days": True}, "keep_days must be a whole number"),
        ({"now": None}, "now must be a UTC time stamp"),
        ({"now": "2026-12-02"}, "now must be a UTC time stamp"),
        ({"series": "bad/name"}, "not a backup name prefix"),
    ])
    def test_bad_arguments(self, kwargs, message):
        args = {"series": "bookreader_dev", "keep_days": 30, "now": NOW}
        args.update(kwargs)
        with pytest.raises(AnsibleFilterError, match=message):
            safety_retention(with_sidecars(safety("20261202T000000Z")), **args)


def test_nightly_retention_never_takes_a_safety_dump():
    # Even if one were put in the nightly directory by hand, its name is not a nightly name.
    stray = SERIES_DIR + "/bookreader_dev-safety-20261201T040000Z.dump"
    files = with_sidecars(nightly("20261202T020000Z"), stray)
    plan = gfs_retention(files, "bookreader_dev", daily=0, weekly=0, monthly=0)
    assert stray not in plan["delete_files"] and stray in plan["ignored"]


class TestBackupHistory:
    def test_both_classes_newest_first(self):
        files = (with_sidecars(nightly("20261202T050000Z"), nightly("20261201T020000Z"), safety("20261202T040000Z"))
                 + [SERIES_DIR + "/schema_backup-20261202T050001Z.sql", SERIES_DIR + "/.lock"])
        history = backup_history(files, SERIES_DIR + "/", "bookreader_dev")
        assert [(b["class"], b["stamp"]) for b in history] == [
            ("nightly", "20261202T050000Z"), ("safety", "20261202T040000Z"), ("nightly", "20261201T020000Z")]
        assert all(b["verified"] for b in history)
        assert history[1]["file"] == "bookreader_dev-safety-20261202T040000Z.dump"

    @pytest.mark.parametrize("path", [
        SERIES_DIR + "/bookreader_dev-safety-20261202T040000Z.dump",   # a safety name outside safety/
        SAFETY_DIR + "/bookreader_dev-20261202T040000Z.dump",          # a nightly name inside safety/
        "/elsewhere/bookreader_dev-20261202T040000Z.dump",
        SERIES_DIR + "/otherdb-20261202T040000Z.dump",
    ])
    def test_only_the_right_name_in_the_right_folder(self, path):
        assert backup_history(with_sidecars(path), SERIES_DIR, "bookreader_dev") == []

    def test_unverified_is_marked(self):
        history = backup_history([safety("20261202T040000Z")], SERIES_DIR, "bookreader_dev")
        assert history[0]["verified"] is False

    @pytest.mark.parametrize("directory", ["relative/dir", "", None])
    def test_bad_directory(self, directory):
        with pytest.raises(AnsibleFilterError, match="absolute path"):
            backup_history([], directory, "bookreader_dev")


def manifest(rows=None, row_counts=None):
    data = {"verified": True}
    if rows is not None:
        data["rows"] = rows
    if row_counts is not None:
        data["row_counts"] = row_counts
    return json.dumps(data)


def drop(entries, max_drop=0.5):
    """entries: (path, manifest text or None), newest first."""
    files = with_sidecars(*[p for p, _ in entries])
    history = backup_history(files, SERIES_DIR, "bookreader_dev")
    texts = {p + ".json": t for p, t in entries if t is not None}
    return backup_row_drop(history, texts, max_drop)


class TestRowDrop:
    def test_restore_then_nightly_of_an_empty_database_warns(self):
        # The case: the safety dump holds the data, the nightly dump after it almost nothing.
        result = drop([(nightly("20261202T050000Z"), manifest(5)), (safety("20261202T040000Z"), manifest(300000))])
        assert result["checked"] and result["warn"]
        assert result["drop"] == pytest.approx(1 - 5 / 300000.0, abs=1e-4)
        message = result["message"]
        assert "bookreader_dev-20261202T050000Z.dump (nightly, 5 rows)" in message
        assert "bookreader_dev-safety-20261202T040000Z.dump (safety, 300000 rows)" in message
        assert "still in %s" % safety("20261202T040000Z") in message
        assert "prune_safety_dumps.yml" in message

    def test_against_the_previous_nightly(self):
        result = drop([(nightly("20261202T020000Z"), manifest(10)), (nightly("20261201T020000Z"), manifest(1000))])
        assert result["warn"] and result["previous"]["class"] == "nightly"
        assert "retention keeps it" in result["message"]

    @pytest.mark.parametrize("new,old,max_drop,warn", [
        (500, 1000, 0.5, False),   # exactly the limit
        (499, 1000, 0.5, True),
        (1000, 1000, 0.0, False),
        (999, 1000, 0.0, True),
        (2000, 1000, 0.5, False),  # growth
        (0, 0, 0.5, False),        # empty then empty
        (0, 1, 1.0, False),        # 1.0 never warns
    ])
    def test_threshold(self, new, old, max_drop, warn):
        result = drop([(nightly("20261202T020000Z"), manifest(new)), (nightly("20261201T020000Z"), manifest(old))],
                      max_drop)
        assert result["checked"] and result["warn"] is warn

    def test_row_counts_when_a_manifest_has_no_total(self):
        # Manifests written before "rows" existed.
        result = drop([(nightly("20261202T020000Z"), manifest(row_counts={"public.a": 1})),
                       (nightly("20261201T020000Z"), manifest(row_counts={"public.a": 900, "public.b": 100}))])
        assert result["previous"]["rows"] == 1000 and result["warn"]

    @pytest.mark.parametrize("bad", ["", "not json", "[]", '{"rows": "many"}', '{"row_counts": {"a": "x"}}', None])
    def test_unreadable_previous_manifests_are_passed_over(self, bad):
        result = drop([(nightly("20261203T020000Z"), manifest(1)), (nightly("20261202T020000Z"), bad),
                       (safety("20261201T020000Z"), manifest(1000))])
        assert result["previous"]["path"] == safety("20261201T020000Z")
        assert result["skipped"] == [nightly("20261202T020000Z")]
        assert result["warn"]

    def test_unreadable_newest_is_not_compared(self):
        result = drop([(nightly("20261203T020000Z"), ""), (nightly("20261202T020000Z"), manifest(1000))])
        assert not result["checked"] and not result["warn"]
        assert "no row count" in result["message"]

    def test_a_single_backup_is_not_compared(self):
        result = drop([(nightly("20261203T020000Z"), manifest(1))])
        assert not result["checked"] and not result["warn"]

    def test_unverified_backups_do_not_count(self):
        files = with_sidecars(nightly("20261202T020000Z")) + [safety("20261203T020000Z")]
        history = backup_history(files, SERIES_DIR, "bookreader_dev")
        result = backup_row_drop(history, {nightly("20261202T020000Z") + ".json": manifest(5),
                                           safety("20261203T020000Z") + ".json": manifest(0)})
        assert result["newest"]["path"] == nightly("20261202T020000Z")

    def test_nothing_at_all(self):
        assert backup_row_drop([], {})["checked"] is False

    @pytest.mark.parametrize("args,message", [
        (([], {}, 1.5), "max_drop must be a fraction"),
        (([], {}, -0.1), "max_drop must be a fraction"),
        (([], {}, True), "max_drop must be a fraction"),
        (([{"no": "path"}], {}, 0.5), "needs backup_history's list"),
        (([], [], 0.5), "needs a dict"),
    ])
    def test_bad_arguments(self, args, message):
        with pytest.raises(AnsibleFilterError, match=message):
            backup_row_drop(*args)
