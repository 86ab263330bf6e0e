"""Fixtures of the run-lock tests (helpers: run_lock_helpers.py)."""

import pytest

from run_lock_helpers import Holder, Log, as_cron, cron_command


@pytest.fixture(scope="module")
def cron_line(host, inventory_vars):
    """The schedule's cron line, as the shell line that runs it the way cron does."""
    return as_cron(cron_command(host, inventory_vars))


@pytest.fixture
def cron_log(inventory_vars):
    """The schedule's log, marked at the test's start."""
    return Log(inventory_vars["matview_refresh_log_file"])


@pytest.fixture
def hold(inventory_vars, tmp_path):
    """Start hold_lock.yml in a mode (exclusive: a restore; shared: a verify); ended after the test."""
    holders = []

    def start(mode):
        h = Holder(inventory_vars["db_runbooks_container"], mode, tmp_path)
        holders.append(h)
        return h

    yield start
    for h in holders:
        h.end()
