"""The extensions role enables uuid-ossp and pg_trgm, and they work."""

import pytest


@pytest.mark.parametrize("name", ["uuid-ossp", "pg_trgm"])
def test_extension_installed(pg, name):
    assert pg.value("SELECT count(*) FROM pg_extension WHERE extname = '%s'" % name) == 1


def test_uuid_generate_v4_works(pg):
    assert len(pg.value("SELECT uuid_generate_v4()::text")) == 36


def test_trigram_similarity_works(pg):
    assert pg.value("SELECT similarity('bookreader', 'bookreaders') > 0.5") is True


def test_only_asked_extensions(pg):
    # plpgsql comes with every database; nothing else was added.
    names = sorted(r["extname"] for r in pg.rows("SELECT extname FROM pg_extension"))
    assert names == ["pg_trgm", "plpgsql", "uuid-ossp"]
