"""Database name limits: derived once from the longest suffix the collection appends."""

import pytest

from ansible_collections.fancai.db_runbooks.plugins.filter.names import FilterModule
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _runbooks as R


def test_limit_is_derived_from_the_longest_suffix():
    assert R.LONGEST_DATABASE_SUFFIX == "__old_YYYYMMDD_HHMMSS"
    assert len(R.LONGEST_DATABASE_SUFFIX) == 21
    assert R.MAX_DATABASE_NAME == 63 - 21 == 42
    assert R.RESTORE_TEMP_SUFFIX in R.DATABASE_SUFFIXES
    import datetime

    stamp = datetime.datetime(2026, 11, 25, 3, 0, 0).strftime(R.RESTORE_OLD_SUFFIX_FORMAT)
    assert stamp == "__old_20261125_030000" and len(stamp) == len(R.RESTORE_OLD_SUFFIX_SHAPE)
    assert R.restore_kept_name("bookreader_dev", datetime.datetime(2026, 11, 25, 3, 0, 0)) == \
        "bookreader_dev__old_20261125_030000"


@pytest.mark.parametrize("name", [
    "bookreader_dev",
    "a",
    "a" * 42,
    "a" * 42 + "__restore",                 # the restore's temporary copy of a name that fits
    "a" * 42 + "__old_20261125_030000",     # 63: the old database kept aside
    "a" * 10 + "__restore__restore",        # short: fits whatever it is
    "postgres",
])
def test_names_that_fit(name):
    assert R.database_name_problem(name) == ""


@pytest.mark.parametrize("name, length", [
    ("a" * 43, 43),
    ("a" * 63, 63),
    ("b" * 50, 50),
])
def test_too_long_names_are_refused_with_the_fix(name, length):
    msg = R.database_name_problem(name)
    assert msg.startswith("database name %r is %d characters; " % (name, length))
    assert "the collection appends '__old_YYYYMMDD_HHMMSS' (21) to it during a restore" in msg
    assert "so at most 42 fit PostgreSQL's 63" in msg
    assert "rename it" in msg


@pytest.mark.parametrize("name", [
    "a" * 43 + "__restore",
    "a" * 50 + "__restore",
])
def test_derived_names_are_judged_by_their_base(name):
    base = name[:-len("__restore")]
    msg = R.database_name_problem(name)
    assert "made by the collection from %r" % base in msg
    assert "is %d characters" % len(base) in msg


@pytest.mark.parametrize("name", [
    "a" * 45 + "__restore__restore",             # two suffixes: a base of 54 is not the collection's
    "a" * 30 + "__old_20261125T030000Z__restore",  # a stamp with capitals inside a plain name
    "Bookreader",
    "book reader",
    "",
    None,
    42,
    "a" * 64,
])
def test_other_names_are_refused(name):
    assert R.database_name_problem(name) != ""


def test_not_an_identifier_says_so():
    assert "is not a plain PostgreSQL identifier" in R.database_name_problem("Bookreader")


def test_filter_is_the_same_function():
    assert FilterModule().filters()["database_name_problem"] is R.database_name_problem


@pytest.mark.parametrize("name, family", [
    ("bookreader_dev", "bookreader_dev"),
    ("bookreader_dev__restore", "bookreader_dev"),
    ("bookreader_dev__old_20261202_030000", "bookreader_dev"),
    ("bookreader_dev__old", "bookreader_dev__old"),        # not a name the collection makes now
    ("a__restore__restore", "a__restore__restore"),        # two suffixes: not ours
    ("postgres", "postgres"),
])
def test_database_family(name, family):
    assert R.database_family(name) == family
