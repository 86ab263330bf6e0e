"""No process's arguments held the password while the runs went on (ps -ww -eo args every 0.2 s)."""

import os

from canary_search import TEST_DIR, leaks, read

SAMPLES = os.path.join(TEST_DIR, "ps-samples.txt")


def test_the_sampler_saw_the_runs():
    text = read(SAMPLES)
    assert text.count("@@ sample ") > 100
    assert "@@ end " in text  # it stopped when told, not at its time limit
    assert "ansible-playbook -vvv playbooks/restore.yml" in text
    assert "ansible-runner run" in text
    assert "docker exec -i" in text and "psql -X" in text
    assert "pg_dump" in text


def test_no_process_argument_holds_the_password(canary):
    assert leaks(canary, [SAMPLES]) == []
