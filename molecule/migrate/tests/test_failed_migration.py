"""migrate.yml to head: the broken chain is named, the database is unchanged, and the run fails."""

import os
import re

import pytest

from migrate_state import flat, recap, run_log


@pytest.fixture(scope="module")
def text():
    return flat(run_log("03-migrate-head"))


def test_names_the_failing_revision_and_the_database_error(text):
    assert "Migration of bookreader_dev to progress_index_2026 FAILED in revision progress_index_2026: " \
           "psycopg2.errors.DuplicateTable: relation \"idx_reading_progress_user_book\" already exists." in text


def test_says_unchanged_after_reading_it_again(text):
    assert "The database is unchanged: Alembic ran the upgrade in one transaction and PostgreSQL rolled it back; " \
           "`alembic current` still shows reading_goals_2026 and so does its alembic_version." in text
    assert "Read alembic_version after the failed migration" in text


def test_says_it_still_verifies_at_its_revision(text):
    assert "It still verifies at reading_goals_2026 (schema from " in text


def test_names_the_safety_dump_which_exists(text):
    found = re.search(r"The safety dump taken before the attempt is at (\S+\.dump)\.", text)
    assert found, text[-3000:]
    assert os.path.exists(found.group(1))
    assert os.path.exists(found.group(1) + ".sha256")


def test_says_a_rebuild_would_not_help(text):
    assert "A rebuild (restore.yml) would not help: the migration chain itself is broken" in text
    assert "Fix that migration in the application, then run playbooks/migrate.yml again." in text


def test_takes_the_exclusive_lock(text):
    assert "Hold the run lock exclusive on " in text


def test_fails(text):
    changed, failed = recap(text)
    assert failed == 1
    # The safety dump is the one change it made.
    assert changed >= 1
