"""Choosing the backup a data restore takes (module_utils/_backup_pick.py, action backup_pick)."""

import json

import pytest

from ansible_collections.fancai.db_runbooks.plugins.action import backup_pick as action
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _backup_pick as bp

DIR = "/var/backups/db_runbooks/bookreader_dev"
SHA_A = "a" * 64
SHA_B = "b" * 64


def _files(*stamps, safety=(), drill=True, sidecars=True):
    out = []
    for s in stamps:
        p = "%s/bookreader_dev-%s.dump" % (DIR, s)
        out += [p] + ([p + ".sha256", p + ".json"] if sidecars else []) + ([p + ".drill.json"] if drill else [])
    for s in safety:
        p = "%s/safety/bookreader_dev-safety-%s.dump" % (DIR, s)
        out += [p, p + ".sha256", p + ".json"]
    return out


def _manifest(sha=SHA_A, **kw):
    data = {"manifest_format": bp.MANIFEST_FORMAT, "verified": True, "kind": "full", "sha256": sha,
            "row_counts": {"public.books": 3, "public.chapters": 12}, "rows": 15,
            "alembic_revision": "enum_checks_2025", "started": "2026-12-02T02:00:00Z"}
    data.update(kw)
    return json.dumps(data)


def _texts(item, manifest=None, sha=SHA_A, drill=None):
    out = {item["path"] + ".json": manifest if manifest is not None else _manifest(sha),
           item["path"] + ".sha256": "%s  %s" % (sha, item["file"])}
    if drill is not False:
        out[item["path"] + ".drill.json"] = drill if drill is not None else json.dumps(
            {"passed": True, "sha256": sha, "when": "2026-12-02T02:01:00Z"})
    return out


# --- requests ----------------------------------------------------------------

@pytest.mark.parametrize("text,kind", [
    ("latest", "latest"), ("20261202T040000Z", "stamp"),
    (DIR + "/bookreader_dev-20261202T040000Z.dump", "path"), ("/tmp/x.dump", "path")])
def test_requests_understood(text, kind):
    assert bp.parse_request(text)["kind"] == kind


@pytest.mark.parametrize("text", ["", "newest", "2026-12-02", "relative.dump", "/a/../b.dump", "/a/b.sql",
                                  "/a/b c.dump", None])
def test_bad_requests_name_the_value_and_the_forms(text):
    with pytest.raises(ValueError) as err:
        bp.parse_request(text)
    assert "db_runbooks_restore_from=" in str(err.value)
    assert "latest" in str(err.value) and "20261202T040000Z" in str(err.value)


# --- listing -----------------------------------------------------------------

def test_listing_newest_first_nightly_before_safety_same_stamp():
    files = _files("20261201T020000Z", "20261202T020000Z", safety=["20261202T020000Z", "20261130T010000Z"])
    files += [DIR + "/otherdb-20261203T020000Z.dump", DIR + "/schema_backup-20261202T020002Z.sql", DIR + "/notes"]
    got = bp.list_backups(files, DIR, "bookreader_dev")
    assert [(b["stamp"], b["class"]) for b in got] == [
        ("20261202T020000Z", "nightly"), ("20261202T020000Z", "safety"),
        ("20261201T020000Z", "nightly"), ("20261130T010000Z", "safety")]
    assert got[0]["has_drill"] and not got[1]["has_drill"]


def test_latest_takes_nightly_only():
    backups = bp.list_backups(_files("20261201T020000Z", safety=["20261202T040000Z"]), DIR, "bookreader_dev")
    todo, refusal = bp.candidates(backups, bp.parse_request("latest"), "bookreader_dev", DIR)
    assert refusal == "" and [b["class"] for b in todo] == ["nightly"]


def test_latest_without_nightly_points_at_safety_and_backup():
    backups = bp.list_backups(_files(safety=["20261202T040000Z"]), DIR, "bookreader_dev")
    todo, refusal = bp.candidates(backups, bp.parse_request("latest"), "bookreader_dev", DIR)
    assert todo == [] and "playbooks/backup.yml" in refusal and DIR + "/safety" in refusal


def test_stamp_matches_either_class_and_refuses_ambiguity():
    files = _files("20261201T020000Z", safety=["20261202T040000Z", "20261201T020000Z"])
    backups = bp.list_backups(files, DIR, "bookreader_dev")
    todo, _ = bp.candidates(backups, bp.parse_request("20261202T040000Z"), "bookreader_dev", DIR)
    assert [b["class"] for b in todo] == ["safety"]
    todo, refusal = bp.candidates(backups, bp.parse_request("20261201T020000Z"), "bookreader_dev", DIR)
    assert todo == [] and "Two backups" in refusal and "path" in refusal


def test_unknown_stamp_lists_the_nearest():
    backups = bp.list_backups(_files("20261201T020000Z"), DIR, "bookreader_dev")
    _, refusal = bp.candidates(backups, bp.parse_request("20261130T020000Z"), "bookreader_dev", DIR)
    assert "20261201T020000Z" in refusal and "Nothing was touched" in refusal


def test_path_outside_the_series_and_missing_path():
    other = "/srv/copies/bookreader_dev-20261101T020000Z.dump"
    present = [other, other + ".sha256", other + ".json"]
    todo, refusal = bp.candidates([], bp.parse_request(other), "bookreader_dev", DIR, present)
    assert refusal == "" and todo[0]["class"] == "nightly" and todo[0]["has_manifest"]
    _, refusal = bp.candidates([], bp.parse_request("/srv/none.dump"), "bookreader_dev", DIR, present)
    assert "does not exist" in refusal and "/srv/none.dump" in refusal


# --- judging -----------------------------------------------------------------

def _item(stamp="20261202T020000Z", cls="nightly"):
    files = _files(stamp) if cls == "nightly" else _files(safety=[stamp])
    return bp.list_backups(files, DIR, "bookreader_dev")[0]


def test_good_nightly_passes():
    item = _item()
    v = bp.judge(item, _texts(item), named=False)
    assert v["problem"] == "" and v["manifest"]["rows"] == 15


def test_missing_sidecar():
    item = _item()
    texts = _texts(item)
    del texts[item["path"] + ".sha256"]
    assert "has no bookreader_dev-20261202T020000Z.dump.sha256" in bp.judge(item, texts, False)["problem"]


def test_manifest_and_checksum_file_disagree():
    item = _item()
    texts = _texts(item, manifest=_manifest(SHA_B))
    assert "disagree" in bp.judge(item, texts, False)["problem"]


def test_failed_drill_is_a_problem_named_or_not():
    item = _item()
    texts = _texts(item, drill=json.dumps({"passed": False, "error": "counts differ", "when": "2026-12-02"}))
    for named in (False, True):
        assert "drill failed on 2026-12-02: counts differ" in bp.judge(item, texts, named)["problem"]


def test_missing_drill_skips_latest_but_a_named_one_gets_a_note():
    item = _item()
    texts = _texts(item, drill=False)
    assert "drill never ran" in bp.judge(item, texts, False)["problem"]
    v = bp.judge(item, texts, True)
    assert v["problem"] == "" and "no drill result" in v["warnings"][0]


def test_drill_of_another_file():
    item = _item()
    texts = _texts(item, drill=json.dumps({"passed": True, "sha256": SHA_B}))
    assert "another file" in bp.judge(item, texts, False)["problem"]


def test_safety_dump_needs_no_drill():
    item = _item("20261202T040000Z", "safety")
    assert bp.judge(item, _texts(item, drill=False), True)["problem"] == ""


def test_partial_dump_refused_for_a_whole_restore_and_taken_for_its_tables():
    item = _item("20261202T040000Z", "safety")
    texts = _texts(item, manifest=_manifest(tables=["public.chapters"]), drill=False)
    problem = bp.judge(item, texts, True)["problem"]
    assert "only the table(s) public.chapters" in problem and "db_runbooks_restore_tables=public.chapters" in problem
    assert bp.judge(item, texts, True, tables=["chapters"])["problem"] == ""
    assert "holds no table users" in bp.judge(item, texts, True, tables=["users"])["problem"]


def test_not_verified_or_not_full():
    item = _item()
    assert "verified full dump" in bp.judge(item, _texts(item, manifest=_manifest(kind="schema")), False)["problem"]
    assert "not a JSON object" in bp.judge(item, _texts(item, manifest="{oops"), False)["problem"]


def test_checksum_problem_names_the_file():
    item = _item()
    assert bp.checksum_problem(item, 0, "") == ""
    text = bp.checksum_problem(item, 1, "bookreader_dev-20261202T020000Z.dump: FAILED\nsha256sum: WARNING")
    assert "bookreader_dev-20261202T020000Z.dump.sha256" in text and "FAILED" in text


def test_split_files():
    out = "\n%s/a.json\n{\"x\": 1}\n\n%s/a.sha256\nabc  a\n" % (bp.FILE_MARK, bp.FILE_MARK)
    assert bp.split_files(out) == {"/a.json": '{"x": 1}', "/a.sha256": "abc  a"}


def test_refusals_name_file_and_fix():
    item = _item()
    text = bp.refusal(item, "its checksum does not match x", {}, DIR)
    assert item["path"] in text and "db_runbooks_restore_from=latest" in text
    text = bp.none_left("bookreader_dev", DIR, [{"file": "f1.dump", "why": "w1"}])
    assert "f1.dump: w1" in text and "Nothing was touched" in text


# --- the action, with the docker host faked ----------------------------------

class FakeHost:
    """Files by path; sha256sum fails for the paths in *corrupt*."""

    def __init__(self, files, corrupt=()):
        self.files = files
        self.corrupt = set(corrupt)
        self.calls = []

    def __call__(self, argv, in_data=None):
        self.calls.append(argv)
        script = argv[2]
        if script == action._LIST_SH:
            return 0, "".join(p + "\n" for p in sorted(self.files)), ""
        if script == action._READ_SH:
            out = ""
            for f in argv[4:]:
                if f in self.files:
                    out += "\n%s%s\n%s" % (bp.FILE_MARK, f, self.files[f])
            return 0, out, ""
        if script == action._CHECK_SH:
            dump = argv[4] + "/" + argv[5][:-len(".sha256")]
            return (1, "%s: FAILED" % dump, "") if dump in self.corrupt else (0, "", "")
        raise AssertionError(argv)


def _host_files(stamps, corrupt_drill=()):
    files = {}
    for i, s in enumerate(stamps):
        sha = ("%x" % (i + 1)) * 64
        p = "%s/bookreader_dev-%s.dump" % (DIR, s)
        files[p] = "binary"
        files[p + ".sha256"] = "%s  %s" % (sha, p.rsplit("/", 1)[1])
        files[p + ".json"] = _manifest(sha)
        files[p + ".drill.json"] = json.dumps({"passed": s not in corrupt_drill, "sha256": sha})
    return files


def _run(monkeypatch, host, request, tables=()):
    mod = action.ActionModule.__new__(action.ActionModule)
    monkeypatch.setattr(mod, "_begin", lambda tmp, tv, spec: (
        {}, {}, {"backup_dir": "/var/backups/db_runbooks", "series": "bookreader_dev", "request": request,
                 "tables": list(tables)}), raising=False)
    monkeypatch.setattr(mod, "_host_run", host, raising=False)
    return mod.run(None, {})


def test_action_latest_skips_corrupted_newest(monkeypatch):
    stamps = ["20261201T020000Z", "20261202T020000Z"]
    host = FakeHost(_host_files(stamps), corrupt=[DIR + "/bookreader_dev-20261202T020000Z.dump"])
    res = _run(monkeypatch, host, "latest")
    assert not res.get("failed"), res
    assert res["backup"]["file"] == "bookreader_dev-20261201T020000Z.dump"
    assert res["skipped_backups"][0]["file"] == "bookreader_dev-20261202T020000Z.dump"
    assert "checksum does not match" in res["skipped_backups"][0]["why"]
    assert res["changed"] is False and len(res["queries"]) == 5


def test_action_named_corrupted_is_refused(monkeypatch):
    stamps = ["20261201T020000Z", "20261202T020000Z"]
    host = FakeHost(_host_files(stamps), corrupt=[DIR + "/bookreader_dev-20261202T020000Z.dump"])
    res = _run(monkeypatch, host, "20261202T020000Z")
    assert res["failed"] and "bookreader_dev-20261202T020000Z.dump cannot be restored" in res["msg"]
    assert "checksum does not match" in res["msg"]


def test_action_latest_none_good(monkeypatch):
    stamps = ["20261201T020000Z"]
    host = FakeHost(_host_files(stamps, corrupt_drill=stamps))
    res = _run(monkeypatch, host, "latest")
    assert res["failed"] and "drill failed" in res["msg"]
    # The drill failed: the checksum was never needed.
    assert not any(c[2] == action._CHECK_SH for c in host.calls)


def test_action_bad_request(monkeypatch):
    res = _run(monkeypatch, FakeHost({}), "yesterday")
    assert res["failed"] and '"yesterday"' in res["msg"] and res["queries"] == []


def test_retention_removes_a_drill_result_with_its_dump():
    from ansible_collections.fancai.db_runbooks.plugins.filter.retention import gfs_retention

    files = _files("20261101T020000Z", "20261202T020000Z")
    got = gfs_retention(files, "bookreader_dev", daily=1, weekly=0, monthly=0)
    old = DIR + "/bookreader_dev-20261101T020000Z.dump"
    assert got["delete_files"] == [old, old + ".sha256", old + ".json", old + ".drill.json"]
    assert got["ignored"] == []


# --- dumps compressed on the docker host (.dump.zst) --------------------------

def test_zstd_path_is_a_request_and_a_zstd_sql_is_not():
    assert bp.parse_request(DIR + "/bookreader_dev-20261202T040000Z.dump.zst")["kind"] == "path"
    for text in ("/a/b.zst", "/a/b.dump.zst.json", "/a/b.dump.gz"):
        with pytest.raises(ValueError):
            bp.parse_request(text)


def test_zstd_nightly_is_listed_and_chosen_with_its_sizes():
    p = DIR + "/bookreader_dev-20261203T020000Z.dump.zst"
    files = _files("20261202T020000Z") + [p, p + ".sha256", p + ".json", p + ".drill.json"]
    backups = bp.list_backups(files, DIR, "bookreader_dev")
    assert [b["file"] for b in backups] == ["bookreader_dev-20261203T020000Z.dump.zst",
                                            "bookreader_dev-20261202T020000Z.dump"]
    item = backups[0]
    verdict = bp.judge(item, _texts(item, manifest=_manifest(size=100, uncompressed_size=350,
                                                              compression="zstd:3")), named=False)
    assert verdict["problem"] == ""
    got = bp.chosen(item, verdict)
    assert got["zstd"] is True and got["archive_size"] == 350 and got["size"] == 100
    assert got["compression"] == "zstd:3"


def test_a_dump_archive_size_is_its_size():
    item = _item()
    got = bp.chosen(item, bp.judge(item, _texts(item, manifest=_manifest(size=120)), named=False))
    assert got["zstd"] is False and got["archive_size"] == 120
