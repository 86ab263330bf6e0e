"""Which schema is the truth (module_utils/_schema_source.py): resolution and the reference chosen."""

import pytest

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _schema_source as ss
from ansible_collections.fancai.db_runbooks.plugins.filter.restore import restore_plan

CHAIN = [
    {"revision": "initial_2024", "down_revisions": []},
    {"revision": "descriptions_priority_2025", "down_revisions": ["initial_2024"]},
    {"revision": "enum_checks_2025", "down_revisions": ["descriptions_priority_2025"]},
    {"revision": "reading_goals_2026", "down_revisions": ["enum_checks_2025"]},
    {"revision": "progress_index_2026", "down_revisions": ["reading_goals_2026"]},
]
RUNNING = {"container": "backend", "path": "/app/alembic/schema_backup.sql", "exists": True,
           "running": True, "has_file": True}


@pytest.mark.parametrize("source, path, backend, kind, why", [
    ("auto", "/tmp/s.sql", RUNNING, "file", "db_runbooks_schema_file is set"),
    ("auto", "", RUNNING, "backend", "runs and holds /app/alembic/schema_backup.sql"),
    ("auto", "", dict(RUNNING, has_file=False), "guide", "has no /app/alembic/schema_backup.sql"),
    ("auto", "", dict(RUNNING, running=False), "guide", "is not running"),
    ("auto", "", dict(RUNNING, running=False, exists=False), "guide", "no backend container backend"),
    ("auto", "", {}, "guide", "no backend container"),
    ("backend", "", RUNNING, "backend", "db_runbooks_schema_source=backend"),
    ("alembic", "", RUNNING, "alembic", "db_runbooks_schema_source=alembic"),
    ("guide", "/tmp/s.sql", RUNNING, "guide", "db_runbooks_schema_source=guide"),
    ("file", "/tmp/s.sql", {}, "file", "db_runbooks_schema_source=file"),
])
def test_resolve_source(source, path, backend, kind, why):
    got = ss.resolve_source(source, path, backend)
    assert got["kind"] == kind
    assert why in got["why"]


@pytest.mark.parametrize("source, path, revision, fragment", [
    ("sometimes", "", "enum_checks_2025", "is not one of"),
    ("file", "", "enum_checks_2025", "needs db_runbooks_schema_file"),
    ("alembic", "", "", "needs db_runbooks_alembic_revision"),
])
def test_source_problem_names_the_value_and_the_fix(source, path, revision, fragment):
    msg = ss.source_problem(source, path, revision)
    assert fragment in msg and "Nothing was touched" in msg


@pytest.mark.parametrize("source", ["auto", "backend", "guide"])
def test_source_problem_accepts_good_inputs(source):
    assert ss.source_problem(source, "", "enum_checks_2025") is None


def test_labels_say_where_the_schema_comes_from():
    assert ss.source_label("file", "/tmp/s.sql") == "/tmp/s.sql"
    assert ss.source_label("file", "/app/x.sql", "backend") == "backend:/app/x.sql"
    assert "backend's /app/alembic/schema_backup.sql (container b)" in ss.source_label(
        "backend", backend_container="b", backend_path="/app/alembic/schema_backup.sql")
    assert "alembic upgrade reading_goals_2026" in ss.source_label("alembic", backend_container="b",
                                                                   revision="reading_goals_2026")
    assert "guide's hand-written DDL" in ss.source_label("guide")
    assert "not the application's schema" in ss.GUIDE_WARNING


@pytest.mark.parametrize("revision, reference, expected", [
    ("enum_checks_2025", "enum_checks_2025", "same"),
    ("reading_goals_2026", "enum_checks_2025", "newer"),
    ("progress_index_2026", "initial_2024", "newer"),
    ("initial_2024", "enum_checks_2025", "older"),
    ("somebody_elses", "enum_checks_2025", "unknown"),
    (None, "enum_checks_2025", "none"),
])
def test_relation(revision, reference, expected):
    assert ss.relation(CHAIN, revision, reference) == expected


def test_relation_without_a_chain_is_unknown_unless_equal():
    assert ss.relation(None, "reading_goals_2026", "enum_checks_2025") == "unknown"
    assert ss.relation(None, "enum_checks_2025", "enum_checks_2025") == "same"


@pytest.mark.parametrize("versions, expected", [
    (None, None), ([], None), (["a"], "a"), (["a", "b"], None),
])
def test_database_revision(versions, expected):
    assert ss.database_revision(versions) == expected


@pytest.mark.parametrize("kind, versions, history, build, revision, relation", [
    # At the file's revision: the file.
    ("backend", ["enum_checks_2025"], CHAIN, "sql", "enum_checks_2025", "same"),
    # Newer, and the chain knows it: what the application builds at that revision.
    ("backend", ["reading_goals_2026"], CHAIN, "alembic", "reading_goals_2026", "newer"),
    ("file", ["reading_goals_2026"], CHAIN, "alembic", "reading_goals_2026", "newer"),
    # Older: the chain too.
    ("backend", ["initial_2024"], CHAIN, "alembic", "initial_2024", "older"),
    # Without the chain, or a revision it does not know: the source at its own revision.
    ("file", ["reading_goals_2026"], None, "sql", "enum_checks_2025", "unknown"),
    ("backend", ["garbage"], CHAIN, "sql", "enum_checks_2025", "unknown"),
    ("backend", None, CHAIN, "sql", "enum_checks_2025", "none"),
    ("backend", ["a", "b"], CHAIN, "sql", "enum_checks_2025", "none"),
    # The guide is the guide: never the chain.
    ("guide", ["reading_goals_2026"], CHAIN, "sql", "enum_checks_2025", "newer"),
    # Method 2: always the chain, at the database's revision when it knows it.
    ("alembic", ["reading_goals_2026"], CHAIN, "alembic", "reading_goals_2026", "newer"),
    ("alembic", None, CHAIN, "alembic", "enum_checks_2025", "none"),
    ("alembic", ["garbage"], CHAIN, "alembic", "enum_checks_2025", "unknown"),
])
def test_choose_reference(kind, versions, history, build, revision, relation):
    ref = ss.choose_reference(kind, "enum_checks_2025", versions, history)
    assert (ref["build"], ref["revision"], ref["relation"]) == (build, revision, relation)
    assert ref["why"]


def _verify(ok, relation, revision="reading_goals_2026"):
    return {"ok": ok, "summary": ["tables 9/9 ✓"], "missing": [] if ok else ["index idx_x: on t"],
            "extra": [], "different": [], "revision_relation": relation, "database_revision": revision,
            "expected_revision": revision, "schema_label": "the backend's /app/alembic/schema_backup.sql"}


@pytest.mark.parametrize("ok, recreate", [(False, False), (True, True), (False, True)])
def test_a_newer_database_is_never_offered_for_destruction(ok, recreate):
    plan = restore_plan(_verify(ok, "newer"), "bookreader_dev", True, recreate=recreate,
                        container="pg", source_revision="enum_checks_2025")
    assert plan["plan"] == "newer"
    text = plan["refusal"]
    assert "newer" in text and "reading_goals_2026" in text and "enum_checks_2025" in text
    assert "migrate.yml" in text
    assert "db_runbooks_confirm_destroy" not in text


def test_a_clean_newer_database_is_left_alone():
    plan = restore_plan(_verify(True, "newer"), "bookreader_dev", True, source_revision="enum_checks_2025")
    assert plan["plan"] == "nothing"


def test_an_unplaceable_revision_is_said_in_the_refusal():
    plan = restore_plan(_verify(False, "unknown", "somebody_elses"), "bookreader_dev", True,
                        container="pg", source_revision="enum_checks_2025")
    assert plan["plan"] == "rebuild"
    assert "somebody_elses" in plan["refusal"] and "cannot place" in plan["refusal"]


def test_newer_refusal_names_both_revisions_and_method_2():
    text = ss.newer_refusal("bookreader_dev", "pg", "reading_goals_2026", "enum_checks_2025", "x")
    assert "Nothing was touched" in text
    assert "db_runbooks_schema_source=alembic -e db_runbooks_alembic_revision=reading_goals_2026" in text
