"""The preflight role's input checks, one call on every include (plugins/filter/preflight.py)."""

import pytest

from ansible_collections.fancai.db_runbooks.plugins.filter.preflight import FilterModule
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _runbooks as R

GOOD = dict(database="bookreader_dev", lock="exclusive", lock_wait="0", lock_max_seconds="21600", lock_dir="")


def problem(container="fancai-vibe-hackathon-postgres-1", login_user="postgres", **kw):
    args = dict(GOOD)
    args.update(kw)
    return R.preflight_problem(container, login_user, **args)


def test_the_filter_is_the_shared_function():
    assert FilterModule().filters()["preflight_problem"] is R.preflight_problem


@pytest.mark.parametrize("kw", [
    {},
    dict(lock="shared"),
    dict(lock="none", database=""),
    dict(lock_wait=30, lock_max_seconds=1),
    dict(lock_dir="/run/lock/db_runbooks"),
    dict(database="bookreader_dev__restore"),
])
def test_usable_inputs_pass(kw):
    assert problem(**kw) == ""


@pytest.mark.parametrize("container, login_user", [
    ("db 1", "postgres"),
    ("-db", "postgres"),
    ("db\n", "postgres"),
    ("", "postgres"),
    (None, "postgres"),
    ("db", "Postgres"),
    ("db", "postgres; drop"),
    ("db", 5),
])
def test_bad_names_are_named(container, login_user):
    msg = problem(container, login_user)
    assert msg.startswith("db_runbooks_container=")
    assert "is not a valid name" in msg and "docker ps --format '{{.Names}}'" in msg
    shown = container if isinstance(container, str) else str(container)
    assert R.json.dumps(shown) in msg


@pytest.mark.parametrize("kw, shown", [
    (dict(lock="exclusiv"), '"exclusiv"'),
    (dict(lock="exclusive", database=""), 'preflight_database=""'),
    (dict(lock_wait="-1"), '"-1"'),
    (dict(lock_wait="abc"), '"abc"'),
    (dict(lock_wait=True), '"True"'),
    (dict(lock_max_seconds="0"), "db_runbooks_lock_max_seconds=\"0\""),
    (dict(lock_max_seconds="1.5"), '"1.5"'),
    (dict(lock_dir="relative/dir"), '"relative/dir"'),
    (dict(lock_dir="/tmp/a b"), '"/tmp/a b"'),
    (dict(database=7), 'preflight_database="7"'),
])
def test_bad_lock_requests_are_named(kw, shown):
    msg = problem(**kw)
    assert msg.startswith("preflight_lock=") and msg.endswith("Nothing was touched.")
    assert shown in msg


def test_names_come_before_the_lock_request():
    assert problem("db 1", lock="bogus").startswith("db_runbooks_container=")


def test_a_database_name_without_room_is_refused_with_the_shared_message():
    name = "a" * (R.MAX_DATABASE_NAME + 1)
    assert problem(database=name) == R.database_name_problem(name) + " Nothing was touched."
    assert problem(database="Bookreader").startswith("database name 'Bookreader' is not a plain")


def test_no_database_is_not_checked_for_room():
    assert problem(database="", lock="none") == ""
