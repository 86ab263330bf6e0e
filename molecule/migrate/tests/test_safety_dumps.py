"""A verified safety dump before each migration that ran (converge, the failed head), none in check mode."""

import hashlib
import os

import pytest

from migrate_state import SEEDED, safety_manifests


@pytest.fixture(scope="module")
def manifests():
    return safety_manifests()


def test_one_dump_per_attempt(manifests):
    # check (before converge) and the side effect's --check wrote none; idempotence had nothing to migrate.
    assert [(m["context"]["from_revision"], m["context"]["to_revision"]) for m in manifests] == [
        ("enum_checks_2025", "reading_goals_2026"), ("reading_goals_2026", "progress_index_2026")]


@pytest.mark.parametrize("index, revision", [(0, "enum_checks_2025"), (1, "reading_goals_2026")])
def test_dump_holds_the_database_before_the_attempt(manifests, index, revision):
    m = manifests[index]
    assert m["class"] == "safety" and m["verified"] is True
    assert m["alembic_revision"] == revision
    assert m["context"]["made_by"] == "fancai.db_runbooks.alembic_migrate"
    for table, rows in SEEDED.items():
        assert m["row_counts"]["public." + table] == rows, table


@pytest.mark.parametrize("index", [0, 1])
def test_dump_matches_its_checksum(manifests, index):
    m = manifests[index]
    with open(m["path"], "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == m["sha256"]
    with open(m["path"] + ".sha256", encoding="utf-8") as f:
        assert f.read().split()[0] == m["sha256"]
    assert oct(os.stat(m["path"]).st_mode & 0o777) == "0o600"
