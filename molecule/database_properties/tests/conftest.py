"""Fixtures of the database_properties scenario (helpers: props_catalog.py)."""

import pytest

from props_catalog import RAW


@pytest.fixture(scope="module")
def raw(pg):
    """raw(database) -> the catalog's view of its properties, or None when it does not exist."""
    def read(database):
        assert "'" not in database
        rows = pg.rows(RAW % database, "postgres")
        return rows[0] if rows else None
    return read
