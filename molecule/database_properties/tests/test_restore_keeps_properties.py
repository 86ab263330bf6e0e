"""playbooks/restore.yml rebuilt bookreader_dev (side_effect): it keeps every database-level property."""

import pytest

from props_catalog import COPIED


@pytest.fixture(scope="module")
def kept(pg):
    names = [d for d in pg.databases() if d.startswith("bookreader_dev__old_")]
    assert len(names) == 1, "expected one kept database, found %s" % names
    return names[0]


def test_the_rebuilt_database_is_a_new_one(pg, kept):
    # side_effect dropped this index; the kept database (closed to connections) is without it.
    index = "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_descriptions_chapter_priority'"
    assert pg.value(index) == 1
    assert pg.value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'books'") == 1


@pytest.mark.parametrize("prop", COPIED)
def test_property_survives_the_rebuild(raw, kept, prop):
    assert raw("bookreader_dev")[prop] == raw(kept)[prop]


def test_the_application_s_properties_are_there(raw):
    props = raw("bookreader_dev")
    assert (props["collate"], props["ctype"], props["connection_limit"]) == ("C", "C", 50)
    by_role = {s["role"]: s["config"] for s in props["settings"]}
    assert "default_text_search_config=russian" in by_role.get("", [])
    assert "application_name=a=b'c" in by_role.get("", [])
    assert by_role.get("bookreader") == ["work_mem=64MB"]
    assert "bookreader=c/postgres" in (props["acl"] or [])
    assert not any(a.startswith("=") and "c" in a.split("/")[0] for a in props["acl"] or []), "PUBLIC may connect"


def test_the_comment_survives_the_rebuild(raw):
    assert raw("bookreader_dev")["comment"] == "bookreader's database"
