"""What the migrate scenario's harness left: the runs' output, the safety dumps, the canary."""

import glob
import json
import os

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")

# The seed's rows (files/seed.sql): every one must survive every run.
SEEDED = {
    "users": 8, "subscriptions": 2, "books": 4, "chapters": 8, "descriptions": 8,
    "generated_images": 4, "reading_progress": 4, "reading_sessions": 4,
}
# Runs of side_effect.yml, in order.
RUNS = ["01-status-behind", "02-migrate-head-check", "03-migrate-head", "04-migrate-unknown-revision",
        "05-status-missing-backend"]


def run_log(name):
    """The output of the child run <name> (runs/<name>.log), whitespace collapsed, as one line."""
    path = os.path.join(EPHEMERAL, "runs", name + ".log")
    assert os.path.exists(path), "side_effect did not get to %s" % name
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def flat(text):
    """*text* with whitespace collapsed and the YAML callback's doubled quotes undone."""
    return " ".join(text.split()).replace("''", "'")


def recap(text):
    """(changed, failed) of the run's play recap."""
    import re

    found = re.findall(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", text)
    assert found, "no play recap in the run's output"
    return int(found[-1][0]), int(found[-1][1])


def safety_manifests():
    """The manifests of the safety dumps written, oldest first."""
    pattern = os.path.join(EPHEMERAL, "backups", "bookreader_dev", "safety", "bookreader_dev-safety-*.dump.json")
    out = []
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as f:
            out.append(json.load(f))
    return out


def canary():
    """The password of the server and of the backend's DATABASE_URL."""
    with open(os.path.join(EPHEMERAL, "canary"), encoding="utf-8") as f:
        middle = f.read().strip()
    assert len(middle) == 20, "the canary's random part is missing or short: %r" % middle
    return "CanaryPw-%s-secret" % middle
