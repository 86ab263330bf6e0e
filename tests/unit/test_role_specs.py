"""Every role's meta/argument_specs.yml matches its defaults/main.yml, key for key and value for value."""

import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(d for d in os.listdir(os.path.join(ROOT, "roles"))
               if os.path.isdir(os.path.join(ROOT, "roles", d)))


def _load(role, *parts):
    path = os.path.join(ROOT, "roles", role, *parts)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


@pytest.mark.parametrize("role", ROLES)
def test_role_has_argument_specs(role):
    assert _load(role, "meta", "argument_specs.yml"), "%s has no meta/argument_specs.yml" % role


@pytest.mark.parametrize("role", ROLES)
def test_specs_match_defaults(role):
    defaults = _load(role, "defaults", "main.yml") or {}
    options = _load(role, "meta", "argument_specs.yml")["argument_specs"]["main"].get("options", {})
    assert sorted(defaults) == sorted(k for k, v in options.items() if "default" in v), \
        "%s: defaults and argument_specs name different variables" % role
    for name, value in defaults.items():
        assert options[name]["default"] == value, "%s: %s default differs" % (role, name)
        assert options[name].get("description"), "%s: %s has no description" % (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_public_variables_are_prefixed(role):
    defaults = _load(role, "defaults", "main.yml") or {}
    for name in defaults:
        assert name.startswith(role + "_"), "%s: %s is not prefixed with the role name" % (role, name)


@pytest.mark.parametrize("role", ROLES)
def test_internal_variables_are_double_underscored(role):
    for name in _load(role, "vars", "main.yml") or {}:
        assert name.startswith("__" + role + "_"), "%s: internal %s is not __%s_*" % (role, name, role)


def test_common_defaults_agree_across_roles():
    """The shared db_runbooks_* variables fall back to the same value in every role."""
    seen = {}
    for role in ROLES:
        for name, value in (_load(role, "defaults", "main.yml") or {}).items():
            if isinstance(value, str) and "db_runbooks_" in value and "default(" in value:
                common = value.split("db_runbooks_", 1)[1].split()[0]
                seen.setdefault(common, set()).add(value.split("default(", 1)[1])
    for common, fallbacks in seen.items():
        assert len(fallbacks) == 1, "db_runbooks_%s falls back to different values: %s" % (common, fallbacks)
