"""The database restored from the .dump.zst: every row back, the copies gone."""

import shlex


def test_converge_restored_every_table_exactly(saved):
    # Computed from PostgreSQL right after converge (side_effect.yml) and after the backup (prepare.yml).
    assert saved("converged_sums.json") == saved("expected_sums.json")


def test_partial_restore_out_of_the_zst_brought_the_rows_back(saved, pg):
    assert saved("partial_sums.json") == saved("expected_sums.json")
    assert pg.table_sums() == saved("expected_sums.json")


def test_dropped_table_is_back_with_rows(pg):
    assert pg.value("SELECT count(*) FROM generated_images") > 0
    assert pg.value("SELECT count(*) FROM reading_sessions") > 0


def test_no_copy_of_the_dump_left_in_the_container(host, inventory_vars):
    res = host.run("docker exec %s sh -c 'ls -A /tmp'" % shlex.quote(inventory_vars["db_runbooks_container"]))
    assert res.rc == 0 and "db_runbooks_restore" not in res.stdout, res.stdout
