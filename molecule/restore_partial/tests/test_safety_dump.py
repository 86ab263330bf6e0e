"""The partial restore took a safety dump of the chapters' rows first, and only of them."""

import json
import os
import shlex


def _safety(inventory_vars):
    d = os.path.join(inventory_vars["db_runbooks_backup_dir"], "bookreader_dev", "safety")
    return d, sorted(f for f in os.listdir(d) if f.endswith(".dump"))


def test_one_safety_dump_of_the_chapters(inventory_vars):
    d, dumps = _safety(inventory_vars)
    # converge took one; the idempotence run and the refused runs took none.
    assert len(dumps) == 1, dumps
    with open(os.path.join(d, dumps[0] + ".json"), encoding="utf-8") as f:
        manifest = json.load(f)
    assert manifest["tables"] == ["public.chapters"]
    assert list(manifest["row_counts"]) == ["public.chapters"]
    assert manifest["context"]["made_by"] == "fancai.db_runbooks.restore tables"


def test_it_holds_the_rows_before_the_restore(host, inventory_vars):
    d, dumps = _safety(inventory_vars)
    res = host.run("docker exec -i %s pg_restore --list < %s" % (
        shlex.quote(inventory_vars["db_runbooks_container"]), shlex.quote(os.path.join(d, dumps[0]))))
    assert res.rc == 0
    data = [line for line in res.stdout.splitlines() if " TABLE DATA " in line]
    assert len(data) == 1 and "chapters" in data[0], data


def test_its_checksum_matches(host, inventory_vars):
    d, dumps = _safety(inventory_vars)
    assert host.run("cd %s && sha256sum --check --strict %s.sha256" % (shlex.quote(d), shlex.quote(dumps[0]))).rc == 0
