"""Where the secrets scenario's runs left things, and the search for the canary."""

import json
import os

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
TEST_DIR = os.path.join(EPHEMERAL, "secrets")
RUNS_DIR = os.path.join(TEST_DIR, "runs")
AWX_DIR = os.path.join(TEST_DIR, "awx")
BACKUP_DIR = os.path.join(EPHEMERAL, "backups")


def runs():
    """The runs converge made (runs.json), or none when converge did not get that far."""
    path = os.path.join(TEST_DIR, "runs.json")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def files_under(*roots):
    """Every regular file under *roots*, sorted."""
    out = []
    for root in roots:
        for dirpath, _dirs, names in os.walk(root):
            out += [os.path.join(dirpath, n) for n in names if os.path.isfile(os.path.join(dirpath, n))]
    return sorted(out)


def leaks(canary, paths):
    """The files among *paths* whose bytes contain the canary (as text or JSON-escaped, it has no escapes)."""
    needle = canary.encode()
    found = []
    for path in paths:
        with open(path, "rb") as f:
            if needle in f.read():
                found.append(path)
    return found




def canary_value():
    """CanaryPw-<random>-secret: the random part is the password lookup's file (molecule.yml)."""
    with open(os.path.join(EPHEMERAL, "canary"), encoding="utf-8") as f:
        middle = f.read().strip()
    assert len(middle) == 20, "the canary's random part is missing or short: %r" % middle
    return "CanaryPw-%s-secret" % middle
