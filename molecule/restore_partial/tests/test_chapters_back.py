"""The partial restore brought the deleted chapters back and touched no other table."""


def _without(sums, name):
    return dict((k, v) for k, v in sums.items() if k != name)


def test_deleted_chapters_are_back_exactly(saved):
    assert saved("deleted_sums.json")["chapters"] != saved("backup_sums.json")["chapters"]
    assert saved("restored_sums.json")["chapters"] == saved("backup_sums.json")["chapters"]


def test_other_tables_untouched(saved):
    assert _without(saved("restored_sums.json"), "chapters") == _without(saved("deleted_sums.json"), "chapters")
    # Their descriptions were deleted with them and were not asked for: still gone.
    assert saved("restored_sums.json")["descriptions"] != saved("backup_sums.json")["descriptions"]
