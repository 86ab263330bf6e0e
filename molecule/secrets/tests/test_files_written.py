"""No file the runs wrote (backups, manifests, safety dump, schema_backup.sql, verify report) holds the password."""

import glob
import os

from canary_search import BACKUP_DIR, TEST_DIR, files_under, leaks

REPORT = os.path.join(TEST_DIR, "verify-report.json")


def test_the_runs_wrote_what_is_searched():
    dumps = glob.glob(os.path.join(BACKUP_DIR, "bookreader_dev", "**", "*.dump"), recursive=True)
    assert dumps, "no dump was written under %s" % BACKUP_DIR
    assert glob.glob(os.path.join(BACKUP_DIR, "bookreader_dev", "**", "*.json"), recursive=True)
    assert os.path.getsize(REPORT) > 0


def test_no_file_written_holds_the_password(canary):
    paths = files_under(BACKUP_DIR) + [REPORT]
    assert leaks(canary, paths) == []


def test_check_mode_schedule_wrote_nothing():
    assert files_under(os.path.join(TEST_DIR, "cron")) == []
