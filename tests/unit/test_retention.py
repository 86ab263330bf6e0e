"""The gfs_retention filter: which backups a daily/weekly/monthly policy keeps."""

import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.filter.retention import (
    FilterModule,
    gfs_retention,
)

DIR = "/var/backups/db_runbooks/bookreader_dev"


def dump(stamp, series="bookreader_dev", ext="dump"):
    return "%s/%s-%s.%s" % (DIR, series, stamp, ext)


def verified(*stamps, **kw):
    """A verified backup: the dump and both sidecars."""
    out = []
    for s in stamps:
        p = dump(s, **kw)
        out += [p, p + ".sha256", p + ".json"]
    return out


def daily_series(start, days, hour=2):
    """One verified backup a day at <hour>:00 UTC, from start backwards."""
    stamps = []
    for i in range(days):
        t = start - datetime.timedelta(days=i)
        stamps.append(t.strftime("%Y%m%dT") + "%02d0000Z" % hour)
    return stamps


def names(paths):
    return [p.rsplit("/", 1)[1] for p in paths]


def test_filter_is_registered():
    assert FilterModule().filters()["gfs_retention"] is gfs_retention


def test_empty_directory():
    plan = gfs_retention([], "bookreader_dev")
    assert plan["keep"] == [] and plan["delete"] == [] and plan["newest_verified"] is None


@pytest.mark.parametrize("daily,weekly,monthly,kept", [
    # 40 daily backups, 2024-03-31 (a Sunday) back to 2024-02-21.
    # daily=7: the 7 newest days.
    (7, 0, 0, ["20240331", "20240330", "20240329", "20240328", "20240327", "20240326", "20240325"]),
    # weekly=4: the newest of ISO weeks 13, 12, 11, 10 (each ends on a Sunday).
    (0, 4, 0, ["20240331", "20240324", "20240317", "20240310"]),
    # monthly=6: only March and February have backups.
    (0, 0, 6, ["20240331", "20240229"]),
    # Together: slots overlap (03-31 is daily, weekly and monthly at once).
    (7, 4, 6, ["20240331", "20240330", "20240329", "20240328", "20240327", "20240326", "20240325",
               "20240324", "20240317", "20240310", "20240229"]),
    # Everything 0: the newest verified backup is still kept.
    (0, 0, 0, ["20240331"]),
])
def test_gfs_slots(daily, weekly, monthly, kept):
    stamps = daily_series(datetime.datetime(2024, 3, 31), 40)
    plan = gfs_retention(verified(*stamps), "bookreader_dev", "dump", daily, weekly, monthly)
    assert [n.split("-")[1][:8] for n in names(plan["keep"])] == kept
    assert len(plan["keep"]) + len(plan["delete"]) == 40
    assert set(plan["keep"]).isdisjoint(plan["delete"])


def test_newest_of_a_day_fills_the_slot():
    files = verified("20240331T010000Z", "20240331T230000Z", "20240330T120000Z")
    plan = gfs_retention(files, "bookreader_dev", daily=2, weekly=0, monthly=0)
    assert names(plan["keep"]) == ["bookreader_dev-20240331T230000Z.dump", "bookreader_dev-20240330T120000Z.dump"]
    assert names(plan["delete"]) == ["bookreader_dev-20240331T010000Z.dump"]


def test_iso_week_spans_a_year_boundary():
    # 2024-12-30 (Mon) and 2025-01-05 (Sun) are both in ISO week 2025-W01.
    files = verified("20250105T020000Z", "20241230T020000Z", "20241229T020000Z")
    plan = gfs_retention(files, "bookreader_dev", daily=0, weekly=2, monthly=0)
    assert names(plan["keep"]) == ["bookreader_dev-20250105T020000Z.dump", "bookreader_dev-20241229T020000Z.dump"]


def test_reasons_name_every_slot():
    plan = gfs_retention(verified("20240331T020000Z"), "bookreader_dev")
    assert plan["reasons"][dump("20240331T020000Z")] == ["newest verified", "daily", "weekly", "monthly"]


def test_delete_files_lists_the_dump_before_its_sidecars():
    files = verified("20240331T020000Z", "20240330T020000Z")
    plan = gfs_retention(files, "bookreader_dev", daily=1, weekly=0, monthly=0)
    old = dump("20240330T020000Z")
    assert plan["delete_files"] == [old, old + ".sha256", old + ".json"]


class TestNeverDeleteTheNewestVerified:
    def test_newest_verified_kept_when_newer_ones_are_unverified(self):
        # The two newest dumps lack sidecars: the newest verified must stay even with daily=1.
        files = verified("20240329T020000Z", "20240328T020000Z") + [
            dump("20240331T020000Z"), dump("20240330T020000Z")]
        plan = gfs_retention(files, "bookreader_dev", daily=1, weekly=0, monthly=0)
        assert plan["newest_verified"] == dump("20240329T020000Z")
        assert dump("20240329T020000Z") in plan["keep"]
        assert dump("20240328T020000Z") in plan["delete"]

    @pytest.mark.parametrize("counts", [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (7, 4, 6)])
    def test_for_any_counts(self, counts):
        stamps = daily_series(datetime.datetime(2024, 3, 31), 100)
        plan = gfs_retention(verified(*stamps), "bookreader_dev", "dump", *counts)
        assert plan["newest_verified"] == dump(stamps[0])
        assert plan["newest_verified"] in plan["keep"]
        assert plan["newest_verified_time"] == stamps[0]


class TestUnverified:
    def test_unverified_never_fills_a_slot(self):
        # An unverified backup on 03-30 must not take the day's slot from the verified one.
        files = verified("20240330T010000Z", "20240331T020000Z") + [dump("20240330T230000Z")]
        plan = gfs_retention(files, "bookreader_dev", daily=2, weekly=0, monthly=0)
        assert dump("20240330T010000Z") in plan["keep"]
        assert dump("20240330T230000Z") in plan["delete"]
        assert plan["unverified"] == [dump("20240330T230000Z")]

    def test_one_sidecar_is_not_enough(self):
        p = dump("20240330T020000Z")
        files = verified("20240331T020000Z") + [p, p + ".sha256"]
        plan = gfs_retention(files, "bookreader_dev")
        assert plan["unverified"] == [p]
        assert plan["delete_files"] == [p, p + ".sha256"]

    def test_unverified_newer_than_every_verified_is_kept(self):
        files = verified("20240330T020000Z") + [dump("20240331T020000Z")]
        plan = gfs_retention(files, "bookreader_dev", daily=1, weekly=0, monthly=0)
        assert plan["delete"] == []
        assert "unverified" in plan["reasons"][dump("20240331T020000Z")][0]

    def test_nothing_deleted_without_any_verified_backup(self):
        files = [dump("20240331T020000Z"), dump("20240330T020000Z"), dump("20230101T020000Z")]
        plan = gfs_retention(files, "bookreader_dev", daily=1, weekly=0, monthly=0)
        assert plan["delete"] == [] and plan["delete_files"] == []
        assert plan["newest_verified"] is None


@pytest.mark.parametrize("stranger", [
    DIR + "/notes.txt",
    DIR + "/schema_backup.sql",
    DIR + "/.lock",
    DIR + "/.bookreader_dev-20200101T000000Z.dump.partial",
    DIR + "/bookreader_dev-20200101T000000Z.dump.bak",
    DIR + "/bookreader_dev-20200101.dump",
    DIR + "/bookreader_dev-20201399T000000Z.dump",     # no 13th month
    DIR + "/bookreader_dev_old-20200101T000000Z.dump",  # another series
    DIR + "/bookreader-20200101T000000Z.dump",
    DIR + "/xbookreader_dev-20200101T000000Z.dump",
    DIR + "/bookreader_dev-20200101T000000Z.sql",       # another extension
])
def test_strangers_are_never_deleted(stranger):
    files = verified("20240331T020000Z", "20240330T020000Z") + [stranger]
    plan = gfs_retention(files, "bookreader_dev", daily=1, weekly=0, monthly=0)
    assert stranger not in plan["delete_files"]
    assert stranger in plan["ignored"]


def test_sidecars_of_known_backups_are_not_reported_as_strangers():
    plan = gfs_retention(verified("20240331T020000Z"), "bookreader_dev")
    assert plan["ignored"] == []


def test_schema_series():
    files = verified("20240331T020000Z", "20240330T020000Z", series="schema_backup", ext="sql") + [
        DIR + "/schema_backup.sql"] + verified("20240331T020000Z")
    plan = gfs_retention(files, "schema_backup", "sql", daily=1, weekly=0, monthly=0)
    assert names(plan["keep"]) == ["schema_backup-20240331T020000Z.sql"]
    assert names(plan["delete"]) == ["schema_backup-20240330T020000Z.sql"]
    assert DIR + "/schema_backup.sql" in plan["ignored"]
    assert dump("20240331T020000Z") in plan["ignored"]


def test_find_results_are_accepted():
    files = [{"path": p, "size": 1} for p in verified("20240331T020000Z", "20240330T020000Z")]
    plan = gfs_retention(files, "bookreader_dev", daily=1, weekly=0, monthly=0)
    assert names(plan["delete"]) == ["bookreader_dev-20240330T020000Z.dump"]


def test_result_does_not_depend_on_input_order():
    files = verified(*daily_series(datetime.datetime(2024, 3, 31), 30))
    assert gfs_retention(files, "bookreader_dev") == gfs_retention(list(reversed(files)), "bookreader_dev")


def test_backups_from_two_directories_are_refused():
    files = verified("20240331T020000Z") + ["/elsewhere/bookreader_dev-20240330T020000Z.dump"]
    with pytest.raises(AnsibleFilterError, match="several directories"):
        gfs_retention(files, "bookreader_dev")


@pytest.mark.parametrize("kwargs,message", [
    ({"daily": -1}, "daily must be a whole number"),
    ({"weekly": "4"}, "weekly must be a whole number"),
    ({"monthly": True}, "monthly must be a whole number"),
    ({"series": "bad/name"}, "not a backup name prefix"),
    ({"series": ""}, "not a backup name prefix"),
    ({"extension": ".dump"}, "not a file extension"),
])
def test_bad_arguments(kwargs, message):
    args = {"series": "bookreader_dev"}
    args.update(kwargs)
    with pytest.raises(AnsibleFilterError, match=message):
        gfs_retention(verified("20240331T020000Z"), **args)


@pytest.mark.parametrize("bad", [None, [None], [""], [{"size": 1}], "a-string"])
def test_bad_input(bad):
    with pytest.raises(AnsibleFilterError):
        gfs_retention(bad, "bookreader_dev")


def test_zstd_dumps_are_one_series_with_the_others():
    # A .dump.zst (compressed on the docker host) fills the same slots as a .dump:
    # switching backup_compressor keeps one policy, not two.
    files = verified("20240331T020000Z", ext="dump.zst") + verified("20240330T020000Z", "20240329T020000Z")
    plan = gfs_retention(files, "bookreader_dev", daily=2, weekly=0, monthly=0)
    assert names(plan["keep"]) == ["bookreader_dev-20240331T020000Z.dump.zst", "bookreader_dev-20240330T020000Z.dump"]
    assert names(plan["delete"]) == ["bookreader_dev-20240329T020000Z.dump"]
    assert plan["newest_verified"] == dump("20240331T020000Z", ext="dump.zst")
    assert plan["ignored"] == []


def test_an_old_zstd_dump_goes_with_its_sidecars():
    files = verified("20240331T020000Z") + verified("20240330T020000Z", ext="dump.zst")
    plan = gfs_retention(files, "bookreader_dev", daily=1, weekly=0, monthly=0)
    zst = dump("20240330T020000Z", ext="dump.zst")
    assert plan["delete_files"] == [zst, zst + ".sha256", zst + ".json"]


@pytest.mark.parametrize("stranger", [
    DIR + "/bookreader_dev-20200101T000000Z.zst",
    DIR + "/bookreader_dev-20200101T000000Z.dump.gz",
    DIR + "/bookreader_dev-20200101T000000Z.dump.zst.bak",
])
def test_other_compressed_names_are_strangers(stranger):
    files = verified("20240331T020000Z", "20240330T020000Z") + [stranger]
    plan = gfs_retention(files, "bookreader_dev", daily=1, weekly=0, monthly=0)
    assert stranger in plan["ignored"] and stranger not in plan["delete_files"]
