"""The AWX job (ansible-runner at -vvv) stored no password in its events, stdout or other artifacts."""

import glob
import json
import os

from canary_search import AWX_DIR, files_under, leaks, read

ARTIFACTS = os.path.join(AWX_DIR, "artifacts", "backup")


def test_the_job_succeeded():
    assert read(os.path.join(ARTIFACTS, "status")).strip() == "successful"


def test_the_events_hold_the_container_check_result():
    # AWX stores each task's result: the container inspection is among them, without the environment.
    results = []
    for path in glob.glob(os.path.join(ARTIFACTS, "job_events", "*.json")):
        with open(path, encoding="utf-8") as f:
            data = json.load(f).get("event_data", {})
        if data.get("task") == "Inspect the container" and "res" in data:
            results.append(data["res"])
    assert results, "no event for the container inspection"
    assert all(r.get("exists") is True and r.get("up") is True for r in results), results
    assert all("container" not in r for r in results)


def test_no_artifact_holds_the_password(canary):
    paths = files_under(os.path.join(AWX_DIR, "artifacts"))
    assert len(glob.glob(os.path.join(ARTIFACTS, "job_events", "*.json"))) > 20
    assert os.path.join(ARTIFACTS, "stdout") in paths
    assert leaks(canary, paths) == []
