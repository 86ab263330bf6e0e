"""The repaired database verifies clean; every index is valid, every constraint validated."""

import pytest

from repair_state import playbook


@pytest.fixture(scope="module")
def verify_run(inventory_vars):
    return playbook(inventory_vars, "verify.yml")


def test_verify_yml_is_clean(verify_run):
    rc, out = verify_run
    assert rc == 0, out[-3000:]
    assert "matches" in out and "does NOT match" not in out, out[-3000:]


def test_every_index_is_valid(pg):
    assert pg.rows("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                   "WHERE c.relnamespace = 'public'::regnamespace AND NOT i.indisvalid") == []


def test_every_constraint_is_validated(pg):
    assert pg.rows("SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
                   "AND NOT convalidated") == []


def test_the_enum_has_its_labels_in_order(pg):
    labels = pg.value("SELECT json_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum "
                      "WHERE enumtypid = 'subscriptionstatus'::regtype")
    assert labels == ["ACTIVE", "EXPIRED", "CANCELLED", "PENDING"]


def test_the_replaced_view_lost_its_own_index_and_has_the_schemas(pg):
    names = [r["indexname"] for r in pg.rows(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'reading_sessions_daily_stats' ORDER BY 1")]
    assert names == ["idx_daily_stats_date", "idx_daily_stats_user_date"]


def test_a_second_check_run_plans_nothing(inventory_vars):
    rc, out = playbook(inventory_vars, "repair.yml", "--check", "--diff")
    assert rc == 0, out[-3000:]
    assert "nothing to repair: it matches its schema" in out, out[-3000:]
    assert "changed=0" in out
