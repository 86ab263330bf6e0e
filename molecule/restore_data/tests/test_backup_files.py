"""The files a data restore reads and writes: drill results, the damaged dump left alone, the record, no copy left."""

import json
import os
import shlex


def _json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def test_each_nightly_dump_has_a_passed_drill_result(saved):
    for name in ("first_backup.json", "damaged_backup.json"):
        dump = saved(name)
        drill = _json(dump["path"] + ".drill.json")
        assert drill["passed"] is True and drill["sha256"] == dump["sha256"], drill
        assert drill["row_counts_match"] is True


def test_damaged_dump_is_still_there_and_still_fails_its_checksum(host, saved):
    dump = saved("damaged_backup.json")
    res = host.run("cd %s && sha256sum --check --strict --quiet %s" % (
        shlex.quote(os.path.dirname(dump["path"])), shlex.quote(dump["file"] + ".sha256")))
    assert res.rc != 0


def test_record_names_the_rollback_source(inventory_vars, pg, saved):
    record = _json(os.path.join(inventory_vars["db_runbooks_backup_dir"], "bookreader_dev", ".last_data_restore.json"))
    assert record["dump"] == saved("rollback.json")["safety"]
    assert record["oid"] == pg.value("SELECT oid::bigint FROM pg_database WHERE datname = 'bookreader_dev'", "postgres")


def test_no_copy_of_a_dump_left_in_the_container(host, inventory_vars):
    res = host.run("docker exec %s sh -c 'ls -A /tmp'" % shlex.quote(inventory_vars["db_runbooks_container"]))
    assert res.rc == 0 and "db_runbooks_restore" not in res.stdout, res.stdout


def test_safety_dumps_of_each_replaced_copy(inventory_vars):
    safety = os.path.join(inventory_vars["db_runbooks_backup_dir"], "bookreader_dev", "safety")
    dumps = sorted(f for f in os.listdir(safety) if f.endswith(".dump"))
    assert len(dumps) == 3, dumps
    contexts = [_json(os.path.join(safety, f + ".json"))["context"] for f in dumps]
    assert all(c["restored_from"] for c in contexts), contexts
