"""alembic_status.yml: current against heads, naming both; read-only."""

from migrate_state import flat, recap, run_log


def test_status_fails_naming_current_and_head():
    text = flat(run_log("01-status-behind"))
    assert "bookreader_dev is at reading_goals_2026, not at a head of the application's chain " \
           "(head: progress_index_2026)" in text
    assert "Run playbooks/migrate.yml" in text
    assert recap(text) == (0, 1)


def test_status_takes_the_shared_lock():
    assert "Hold the run lock shared on " in flat(run_log("01-status-behind"))


def test_a_missing_backend_is_named_with_the_variable(inventory_vars):
    text = flat(run_log("05-status-missing-backend"))
    assert ("the backend container '%s-missing' does not exist on this docker host"
            % inventory_vars["db_runbooks_backend_container"]) in text
    assert "set db_runbooks_backend_container" in text
    assert recap(text) == (0, 1)
