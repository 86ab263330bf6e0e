"""What ansible-runner (AWX's engine) recorded for each job, and what the jobs left behind."""

import glob
import json
import os

import pytest

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
ROOT = os.path.join(EPHEMERAL, "awx")
BACKUPS = os.path.join(EPHEMERAL, "awx-backups", "bookreader_dev")


def artifact(ident, name):
    with open(os.path.join(ROOT, "artifacts", ident, name), encoding="utf-8") as f:
        return f.read()


def test_project_is_a_bare_checkout():
    # Nothing that `make venv` creates: the playbooks find the collection on their own.
    project = os.path.join(ROOT, "project")
    assert os.path.exists(os.path.join(project, "playbooks", "backup.yml"))
    assert not os.path.exists(os.path.join(project, ".collections"))
    assert not os.path.exists(os.path.join(project, ".venv"))


@pytest.mark.parametrize("ident", ["backup", "backup-check", "prune-safety"])
def test_scheduled_jobs_succeeded(ident):
    assert artifact(ident, "status").strip() == "successful"
    assert artifact(ident, "rc").strip() == "0"


def test_backup_job_printed_its_summary():
    stdout = artifact("backup", "stdout")
    assert "db1" in stdout
    assert "full_read" in stdout
    assert "failed=0" in stdout


def test_backup_job_wrote_a_verified_dump():
    dumps = glob.glob(os.path.join(BACKUPS, "bookreader_dev-*.dump"))
    assert len(dumps) == 1, dumps
    assert os.path.exists(dumps[0] + ".sha256")
    with open(dumps[0] + ".json", encoding="utf-8") as f:
        manifest = json.load(f)
    assert manifest["verified"] is True
    assert manifest["row_counts"]["public.users"] == 120


def test_prune_job_found_nothing_to_remove():
    # No restore ran: no safety dump, nothing removed, and the nightly dump untouched (see above).
    stdout = " ".join(artifact("prune-safety", "stdout").split())
    assert "kept for 30 days" in stdout
    assert "removed 0" in stdout
    assert "failed=0" in stdout


def test_check_job_type_succeeded_in_check_mode():
    # The check-mode job ran before the nightly one; only the nightly dump exists (see above).
    assert artifact("backup-check-mode", "status").strip() == "successful"
    assert "CHECK MODE" in artifact("backup-check-mode", "stdout")


def test_failed_job_tells_the_on_call_what_to_do():
    assert artifact("backup-wrong-container", "status").strip() == "failed"
    stdout = artifact("backup-wrong-container", "stdout")
    assert "fancai-vibe-hackathon-postgres-9" in stdout
    assert "does not exist" in stdout
    assert "db_runbooks_container" in stdout
