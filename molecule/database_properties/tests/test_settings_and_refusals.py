"""database_settings reach a new database; refusals leave nothing behind."""


def test_settings_only_database_gets_its_settings(raw):
    props = raw("props_settings")
    assert props["settings"] == [{"role": "", "config": ['default_text_search_config=russian',
                                                         'search_path="$user", public']}]
    # No properties given: the role's defaults (UTF8, the cluster's locale, the default ACL).
    assert props["encoding"] == "UTF8"
    assert props["acl_is_default"] is True


def test_a_refused_collation_change_touched_nothing(raw):
    posix = raw("props_utf8")
    assert (posix["collate"], posix["ctype"]) == ("C.UTF-8", "C.UTF-8")
    assert posix["settings"] == [] and posix["acl_is_default"] is True and posix["connection_limit"] == -1


def test_refused_inputs_created_nothing(pg):
    assert "props_never" not in pg.databases()


def test_a_failed_creation_was_dropped_again(pg):
    assert "props_badvalue" not in pg.databases()
