"""A restore of the chapters of a book that no longer exists is refused, and nothing changes."""


def test_nothing_changed_by_the_refused_restores(pg, saved):
    assert pg.table_sums() == saved("before_fk_sums.json")


def test_every_chapter_still_has_its_book(pg):
    assert pg.value("SELECT count(*) FROM chapters c WHERE NOT EXISTS (SELECT 1 FROM books b WHERE b.id = c.book_id)") == 0
