"""After every refused operation, the data is exactly where it was."""


def test_refused_drop_kept_the_database(pg):
    assert "bookreader_dev" in pg.databases()


def test_refused_drop_kept_every_row(pg):
    assert pg.value("SELECT count(*) FROM keep_me") == 1000
    assert pg.value("SELECT sum(id) FROM keep_me") == 500500


def test_refused_extension_created_nothing(pg):
    # The failing extensions run asked for pg_trgm too: it must not be there.
    assert pg.value("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == 0


def test_confirmed_drop_dropped_only_its_database(pg):
    assert "scratch_drop" not in pg.databases()
    assert "bookreader_dev" in pg.databases()


def test_stopped_container_was_not_started(host, inventory_vars):
    name = inventory_vars["db_runbooks_container"] + "-stopped"
    state = host.run("docker inspect -f '{{.State.Running}}' %s" % name)
    assert state.rc == 0 and state.stdout.strip() == "false"
