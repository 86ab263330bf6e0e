"""A database created or changed with the source's properties has all of them (catalogs compared)."""

import pytest

from props_catalog import COPIED

HOSTILE_ROLE = '"app ""q\'"'


def test_the_source_is_not_made_of_defaults(raw):
    src = raw("props_source")
    assert (src["collate"], src["ctype"], src["connection_limit"]) == ("C", "C", 50)
    assert src["acl_is_default"] is False
    assert "bookreader=c/postgres" in src["acl"]
    assert not any(a.startswith("=") and "c" in a.split("/")[0] for a in src["acl"]), "PUBLIC may connect"
    by_role = {s["role"]: s["config"] for s in src["settings"]}
    assert by_role[""] == ["application_name=a=b=c'd", "default_text_search_config=russian",
                           'search_path="$user", public, "a ""b"']
    assert by_role["bookreader"] == ["work_mem=64MB"]
    assert by_role["app \"q'"] == ["statement_timeout=5s"]


@pytest.mark.parametrize("database", ["props_copy", "props_drifted"])
@pytest.mark.parametrize("prop", COPIED)
def test_property_is_the_source_s(raw, database, prop):
    assert raw(database)[prop] == raw("props_source")[prop]


def test_the_comment_is_not_copied(raw):
    assert raw("props_source")["comment"] == "the source's comment"
    assert raw("props_copy")["comment"] is None


def test_the_hostile_role_keeps_its_grant_option(raw):
    assert HOSTILE_ROLE + "=T*c*/postgres" in raw("props_copy")["acl"]


def test_the_drifted_database_lost_what_the_source_does_not_have(raw):
    drifted = raw("props_drifted")
    assert not any(a.startswith("bookreader=C") for a in drifted["acl"])
    assert all("work_mem=1MB" not in s["config"] for s in drifted["settings"])
