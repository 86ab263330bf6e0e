"""Every seeded row is still there after the migration, its second run and the failed one."""

import pytest

from migrate_state import SEEDED


@pytest.mark.parametrize("table, rows", sorted(SEEDED.items()))
def test_rows_survive(pg, table, rows):
    assert pg.value("SELECT count(*) FROM %s" % table) == rows


def test_reading_progress_still_points_at_its_books(pg):
    assert pg.value("SELECT count(*) FROM reading_progress p JOIN books b ON b.id = p.book_id") == SEEDED["reading_progress"]
