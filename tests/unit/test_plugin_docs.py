"""Module documentation parses and covers the options the action plugin accepts."""

import ast
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = os.path.join(ROOT, "plugins", "modules")


def _docs(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
            out[node.targets[0].id] = yaml.safe_load(node.value.value)
    return out


@pytest.mark.parametrize("name", sorted(f for f in os.listdir(MODULES) if f.endswith(".py")))
def test_docs_complete(name):
    docs = _docs(os.path.join(MODULES, name))
    assert set(docs) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    doc = docs["DOCUMENTATION"]
    assert doc["module"] == name[:-3]
    assert doc.get("version_added")
    assert {"check_mode", "diff_mode"} <= set(doc["attributes"])
    assert "queries" in docs["RETURN"], "every module returns the queries it ran"
    for note in doc.get("notes", []) + doc["description"]:
        assert isinstance(note, str), "a ': ' made this line a mapping: %r" % (note,)
    for task in docs["EXAMPLES"]:
        assert any(k.startswith("fancai.db_runbooks.") for k in task), "examples use FQCNs"


def test_psql_docs_match_action_argspec():
    from ansible_collections.fancai.db_runbooks.plugins.action import psql

    doc = _docs(os.path.join(MODULES, "psql.py"))["DOCUMENTATION"]
    assert set(doc["options"]) == set(psql._ARGSPEC)
    for name, spec in psql._ARGSPEC.items():
        assert doc["options"][name]["type"] == spec["type"], name
        assert doc["options"][name].get("default", None) == spec.get("default", None), name
