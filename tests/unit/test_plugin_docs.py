"""Module documentation parses and covers the options the action plugin accepts."""

import ast
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = os.path.join(ROOT, "plugins", "modules")


def _fragment_options():
    from ansible_collections.fancai.db_runbooks.plugins.doc_fragments.connection import ModuleDocFragment

    return yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]


def _options(doc):
    """A module's options with those of the collection's connection fragment merged in."""
    options = dict(doc.get("options", {}))
    if "fancai.db_runbooks.connection" in doc.get("extends_documentation_fragment", []):
        options.update(_fragment_options())
    return options


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
    options = _options(doc)
    assert set(options) == set(psql._ARGSPEC)
    for name, spec in psql._ARGSPEC.items():
        assert options[name]["type"] == spec["type"], name
        assert options[name].get("default", None) == spec.get("default", None), name


@pytest.mark.parametrize("name", ["verify_schema", "alembic_version", "alembic"])
def test_other_modules_docs_match_their_argspec(name):
    import importlib

    action = importlib.import_module("ansible_collections.fancai.db_runbooks.plugins.action." + name)
    options = _options(_docs(os.path.join(MODULES, name + ".py"))["DOCUMENTATION"])
    assert set(options) == set(action._ARGSPEC)
    for opt, spec in action._ARGSPEC.items():
        assert options[opt]["type"] == spec["type"], opt
        assert options[opt].get("default", None) == spec.get("default", None), opt
