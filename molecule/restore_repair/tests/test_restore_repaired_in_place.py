"""restore.yml repaired the database in place: no copy built, nothing swapped or kept aside, rows intact."""

from repair_state import playbook, state


def test_the_restore_planned_a_repair_of_every_finding():
    decision = state("restore_decision")
    assert decision["plan"] == "repair"
    assert len(decision["repair_steps"]) > 10
    assert any("ix_books_title" in s for s in decision["repair_steps"])


def test_nothing_was_built_swapped_or_kept_aside(pg):
    names = [r["datname"] for r in pg.rows(
        "SELECT datname FROM pg_database WHERE starts_with(datname, 'bookreader_dev') ORDER BY 1")]
    assert names == ["bookreader_dev"]


def test_the_same_database_kept_its_oid(pg):
    # A rebuild gives a new database (new oid); a repair keeps the one prepare filled.
    before = [d["oid"] for d in state("broken")["databases"] if d["name"] == "bookreader_dev"]
    assert before and pg.value("SELECT oid::text FROM pg_database WHERE datname = 'bookreader_dev'") == before[0]


def test_restore_yml_now_finds_nothing_to_do(inventory_vars):
    rc, out = playbook(inventory_vars, "restore.yml", "--check")
    assert rc == 0, out[-3000:]
    assert "verifies clean" in out and "changed=0" in out, out[-3000:]
