"""The .dump.zst a nightly backup writes, its sidecars, its drill, and retention over both kinds of file."""

import json
import os
import shlex


def _json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _series_dir(inventory_vars):
    return os.path.join(inventory_vars["db_runbooks_backup_dir"], "bookreader_dev")


def test_the_backup_is_a_zst_with_a_manifest_that_says_so(saved):
    b = saved("zstd_backup.json")["backup"]
    assert b["file"].endswith(".dump.zst"), b["file"]
    manifest = _json(b["path"] + ".json")
    assert manifest["compression"] == "zstd:3" and manifest["compressed_on"] == "docker host"
    assert manifest["size"] == os.path.getsize(b["path"])
    # Decompressed, it is bigger than the file (the seed's prose compresses), and exactly what zstd gives.
    assert manifest["uncompressed_size"] > manifest["size"]
    assert manifest["checks"] == ["pg_dump", "full_read", "toc", "sha256"]
    assert manifest["toc_entries"] > 20


def test_its_checksum_file_matches_the_file(host, saved):
    b = saved("zstd_backup.json")["backup"]
    res = host.run("cd %s && sha256sum --check --strict %s" % (
        shlex.quote(os.path.dirname(b["path"])), shlex.quote(b["file"] + ".sha256")))
    assert res.rc == 0, res.stderr


def test_zstd_decompresses_it_to_a_custom_archive_of_the_manifests_size(host, saved):
    b = saved("zstd_backup.json")["backup"]
    res = host.run("zstd -q -d -c -- %s | head -c 5" % shlex.quote(b["path"]))
    assert res.stdout == "PGDMP", res.stdout
    size = host.run("zstd -q -d -c -- %s | wc -c" % shlex.quote(b["path"]))
    assert int(size.stdout) == _json(b["path"] + ".json")["uncompressed_size"]


def test_its_drill_restored_it_and_passed(saved):
    b = saved("zstd_backup.json")["backup"]
    drill = _json(b["path"] + ".drill.json")
    assert drill["passed"] is True and drill["sha256"] == b["sha256"], drill
    assert drill["row_counts_match"] is True


def test_retention_took_dump_and_zst_as_one_series(inventory_vars, saved):
    day = saved("zstd_backup.json")["yesterday"]
    files = set(os.listdir(_series_dir(inventory_vars)))
    older = "bookreader_dev-%sT010000Z.dump" % day
    newer = "bookreader_dev-%sT020000Z.dump" % day
    assert not any(f.startswith(older) for f in files), sorted(files)
    assert {newer, newer + ".sha256", newer + ".json"} <= files, sorted(files)


def test_backup_playbook_took_a_zst_at_level_1_and_said_so(inventory_vars, saved):
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "backup_playbook.out"), encoding="utf-8") as f:
        out = " ".join(f.read().split())
    assert "on the docker host" in out and "with zstd -1" in out, out[-3000:]
    first = saved("zstd_backup.json")["backup"]["file"]
    zst = sorted(f for f in os.listdir(_series_dir(inventory_vars)) if f.endswith(".dump.zst"))
    assert len(zst) == 2 and zst[0] == first, zst
    assert _json(os.path.join(_series_dir(inventory_vars), zst[1] + ".json"))["compression"] == "zstd:1"
    assert os.path.exists(os.path.join(_series_dir(inventory_vars), zst[1] + ".drill.json"))


def test_safety_dumps_stay_dump_files_pg_restore_reads_alone(host, inventory_vars):
    safety = os.path.join(_series_dir(inventory_vars), "safety")
    names = sorted(os.listdir(safety))
    dumps = [f for f in names if f.endswith(".dump")]
    assert dumps and not any(".zst" in f for f in names), names
    for f in dumps:
        res = host.run("docker exec -i %s pg_restore --list < %s" % (
            shlex.quote(inventory_vars["db_runbooks_container"]), shlex.quote(os.path.join(safety, f))))
        assert res.rc == 0 and "TABLE DATA" in res.stdout, res.stderr
