"""Unit tests for database-level properties (module_utils/_database_properties.py, filter database_properties)."""

import copy

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.filter import database_properties as filters
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _database_properties as dp

HOSTILE = 'app "q\''  # a role named: app "q'


def _acl(*entries):
    return [dict(grantee=g, privilege=p, grantable=bool(o)) for g, p, o in entries]


def _props(**kw):
    base = dict(name="bookreader_dev", encoding="UTF8", collate="C", ctype="C", locale_provider="libc",
                icu_locale=None, icu_rules=None, tablespace="pg_default", owner="postgres",
                connection_limit=-1, comment=None, acl=None, settings=[])
    base.update(kw)
    return base


# What the application's database looks like after its init script, and more.
SOURCE = _props(
    connection_limit=50, comment="it's the source",
    acl=_acl(("public", "TEMPORARY", 0), (HOSTILE, "CONNECT", 0), ("postgres", "CONNECT", 0),
             ("postgres", "CREATE", 0), ("postgres", "TEMPORARY", 0), ("reader", "CONNECT", 1)),
    settings=[dict(role="", name="application_name", value="x=y'z"),
              dict(role="", name="default_text_search_config", value="russian"),
              dict(role=HOSTILE, name="work_mem", value="64MB")])


# ------------------------------------------------------------------ select

@pytest.mark.parametrize("name, literal", [
    ("bookreader_dev", "'bookreader_dev'"),
    ("it's", "'it''s'"),
    ("x'); DROP DATABASE y; --", "'x''); DROP DATABASE y; --'"),
])
def test_select_quotes_the_name_and_is_one_expression(name, literal):
    sql = dp.properties_select_sql(name)
    assert sql.startswith("(SELECT json_build_object(") and sql.endswith(")")
    assert sql.count("WHERE d.datname = ") == 1
    assert ("WHERE d.datname = %s)" % literal) in sql
    assert ";" not in sql.replace(literal, "")


@pytest.mark.parametrize("key", ["name", "encoding", "collate", "ctype", "locale_provider", "icu_locale",
                                 "tablespace", "owner", "connection_limit", "comment", "acl", "settings"])
def test_select_reads_every_property(key):
    assert "'%s', " % key in dp.properties_select_sql("db")


def test_select_reads_all_of_pg_db_role_setting_and_the_raw_acl():
    sql = dp.properties_select_sql("db")
    assert "pg_catalog.pg_db_role_setting" in sql and "WHERE r.setdatabase = d.oid" in sql
    assert "r.setrole = 0 THEN ''" in sql
    # The value is everything after the first '=' (a value may hold '=').
    assert "substr(c.item, pg_catalog.strpos(c.item, '=') + 1)" in sql
    assert "WHEN d.datacl IS NULL THEN NULL" in sql and "aclexplode(d.datacl)" in sql


@pytest.mark.parametrize("bad", [None, "", 5, "a\x00b"])
def test_select_refuses_no_name(bad):
    with pytest.raises(ValueError):
        dp.properties_select_sql(bad)


# ------------------------------------------------------------------ compare

def test_identical_readings_agree_whatever_the_name():
    assert dp.compare_properties(SOURCE, dict(copy.deepcopy(SOURCE), name="bookreader_dev__restore")) == []


@pytest.mark.parametrize("change, line", [
    (dict(encoding="SQL_ASCII"), "encoding: UTF8 expected, SQL_ASCII"),
    (dict(collate="en_US.utf8"), "collation: C expected, en_US.utf8"),
    (dict(ctype="C.UTF-8"), "ctype: C expected, C.UTF-8"),
    (dict(locale_provider="icu", icu_locale="de-DE"), "locale provider: libc expected, icu"),
    (dict(owner="bookreader"), "owner: postgres expected, bookreader"),
    (dict(connection_limit=-1), "connection limit: 50 expected, unlimited"),
    (dict(connection_limit=10), "connection limit: 50 expected, 10"),
    (dict(tablespace="fast"), "tablespace: pg_default expected, fast"),
])
def test_each_scalar_difference_is_one_line(change, line):
    assert line in dp.compare_properties(SOURCE, dict(copy.deepcopy(SOURCE), **change))


def test_collation_never_passes_as_the_cluster_default():
    lines = dp.compare_properties(_props(collate="C", ctype="C"), _props(collate="C.UTF-8", ctype="C.UTF-8"))
    assert lines == ["collation: C expected, C.UTF-8", "ctype: C expected, C.UTF-8"]


def test_comment_and_name_are_ignored_by_default_and_compared_on_request():
    other = dict(copy.deepcopy(SOURCE), name="x", comment=None)
    assert dp.compare_properties(SOURCE, other) == []
    assert dp.compare_properties(SOURCE, other, ignore=("name",)) == ["comment: 'it''s the source' expected, none"]


def test_before_postgresql_15_the_provider_is_libc():
    assert dp.compare_properties(_props(locale_provider=None), _props(locale_provider="libc")) == []


@pytest.mark.parametrize("actual_settings, line", [
    ([], "database setting default_text_search_config: 'russian' expected, not set"),
    ([dict(role="", name="default_text_search_config", value="english")],
     "database setting default_text_search_config: 'russian' expected, 'english'"),
    ([dict(role="", name="default_text_search_config", value="russian"),
      dict(role="", name="work_mem", value="1MB")],
     "database setting work_mem: not set expected, '1MB'"),
    ([dict(role="app", name="default_text_search_config", value="russian")],
     "setting default_text_search_config for role app: not set expected, 'russian'"),
])
def test_settings_differences(actual_settings, line):
    expected = _props(settings=[dict(role="", name="default_text_search_config", value="russian")])
    assert line in dp.compare_properties(expected, _props(settings=actual_settings))


def test_a_per_role_setting_is_not_a_database_setting():
    lines = dp.compare_properties(SOURCE, dict(copy.deepcopy(SOURCE), settings=SOURCE["settings"][:2]))
    assert lines == ["setting work_mem for role %s: '64MB' expected, not set" % HOSTILE]


def test_a_value_holding_equals_signs_and_quotes_is_compared_whole():
    a = _props(settings=[dict(role="", name="application_name", value="x=y'z")])
    b = _props(settings=[dict(role="", name="application_name", value="x")])
    assert dp.compare_properties(a, b) == ["database setting application_name: 'x=y''z' expected, 'x'"]


def test_null_acl_equals_an_explicit_default():
    explicit = _props(acl=_acl(("public", "CONNECT", 0), ("public", "TEMPORARY", 0), ("postgres", "CREATE", 0),
                               ("postgres", "CONNECT", 0), ("postgres", "TEMPORARY", 0)))
    assert dp.compare_properties(_props(acl=None), explicit) == []
    assert dp.compare_properties(explicit, _props(acl=None)) == []


def test_null_acl_follows_its_own_owner():
    # Each reading's NULL acl stands for its own owner's default privileges.
    lines = dp.compare_properties(_props(acl=None), _props(acl=None, owner="bookreader"), ignore=("name", "owner"))
    assert lines == ["privilege CONNECT to role bookreader: not granted expected, granted",
                     "privilege CREATE to role bookreader: not granted expected, granted",
                     "privilege TEMPORARY to role bookreader: not granted expected, granted",
                     "privilege CONNECT to role postgres: granted expected, not granted",
                     "privilege CREATE to role postgres: granted expected, not granted",
                     "privilege TEMPORARY to role postgres: granted expected, not granted"]


def test_revoked_connect_from_public_is_a_difference_against_the_default():
    lines = dp.compare_properties(SOURCE, dict(copy.deepcopy(SOURCE), acl=None))
    assert lines == ["privilege CONNECT to PUBLIC: not granted expected, granted",
                     "privilege CONNECT to role %s: granted expected, not granted" % HOSTILE,
                     "privilege CONNECT to role reader: granted with grant option expected, not granted"]


def test_grant_option_is_compared():
    a = _props(acl=_acl(("reader", "CONNECT", 1)))
    b = _props(acl=_acl(("reader", "CONNECT", 0)))
    assert dp.compare_properties(a, b) == [
        "privilege CONNECT to role reader: granted with grant option expected, granted"]


def test_a_role_named_PUBLIC_is_not_the_pseudo_role():
    a = _props(acl=_acl(("PUBLIC", "CONNECT", 0)))
    b = _props(acl=_acl(("public", "CONNECT", 0)))
    assert dp.compare_properties(a, b) == [
        "privilege CONNECT to PUBLIC: not granted expected, granted",
        "privilege CONNECT to role PUBLIC: granted expected, not granted"]


@pytest.mark.parametrize("ignored, prefix", [
    ("acl", "privilege "), ("settings", "database setting "), ("owner", "owner:"),
    ("connection_limit", "connection limit:"), ("collate", "collation:")])
def test_ignore_leaves_a_key_out(ignored, prefix):
    other = _props(acl=[], settings=[dict(role="", name="x", value="1")], owner="o", connection_limit=3,
                   collate="POSIX")
    every = dp.compare_properties(_props(), other)
    assert any(line.startswith(prefix) for line in every)
    assert dp.compare_properties(_props(), other, ignore=("name", ignored)) == [
        line for line in every if not line.startswith(prefix)]


def test_nothing_expected_compares_nothing_and_an_absent_database_says_so():
    assert dp.compare_properties({}, SOURCE) == []
    assert dp.compare_properties(None, SOURCE) == []
    assert dp.compare_properties(SOURCE, {}) == ["database bookreader_dev is absent"]


# ------------------------------------------------------------------ create

def test_create_statements_reproduce_everything_but_the_comment():
    assert dp.create_statements("bookreader_dev__restore", SOURCE) == [
        "CREATE DATABASE \"bookreader_dev__restore\" OWNER \"postgres\" TEMPLATE template0 ENCODING 'UTF8' "
        "LOCALE_PROVIDER 'libc' LC_COLLATE 'C' LC_CTYPE 'C' CONNECTION LIMIT 50",
        "ALTER DATABASE \"bookreader_dev__restore\" SET \"application_name\" = 'x=y''z'",
        "ALTER DATABASE \"bookreader_dev__restore\" SET \"default_text_search_config\" = 'russian'",
        "ALTER ROLE \"app \"\"q'\" IN DATABASE \"bookreader_dev__restore\" SET \"work_mem\" = '64MB'",
        "REVOKE ALL ON DATABASE \"bookreader_dev__restore\" FROM PUBLIC",
        "REVOKE ALL ON DATABASE \"bookreader_dev__restore\" FROM \"postgres\"",
        "GRANT TEMPORARY ON DATABASE \"bookreader_dev__restore\" TO PUBLIC",
        "GRANT CONNECT ON DATABASE \"bookreader_dev__restore\" TO \"app \"\"q'\"",
        "GRANT CREATE, CONNECT, TEMPORARY ON DATABASE \"bookreader_dev__restore\" TO \"postgres\"",
        "GRANT CONNECT ON DATABASE \"bookreader_dev__restore\" TO \"reader\" WITH GRANT OPTION",
    ]
    assert not any("COMMENT" in s or "source" in s for s in dp.create_statements("x", SOURCE))


def test_null_acl_is_left_the_default():
    sql = dp.create_statements("copy", _props())
    assert sql == ["CREATE DATABASE \"copy\" OWNER \"postgres\" TEMPLATE template0 ENCODING 'UTF8' "
                   "LOCALE_PROVIDER 'libc' LC_COLLATE 'C' LC_CTYPE 'C' CONNECTION LIMIT -1"]


def test_an_empty_explicit_acl_revokes_everything():
    assert dp.create_statements("copy", _props(acl=[]))[1:] == [
        'REVOKE ALL ON DATABASE "copy" FROM PUBLIC', 'REVOKE ALL ON DATABASE "copy" FROM "postgres"']


@pytest.mark.parametrize("missing", ["encoding", "collate", "ctype"])
@pytest.mark.parametrize("value", [None, ""])
def test_no_locale_means_a_clear_refusal_never_the_cluster_default(missing, value):
    with pytest.raises(ValueError, match="never created with the cluster default"):
        dp.create_statements("copy", _props(**{missing: value}))


@pytest.mark.parametrize("bad", [None, {}, "props"])
def test_create_needs_a_reading(bad):
    with pytest.raises(ValueError, match="properties_select_sql"):
        dp.create_statements("copy", bad)


def test_the_owner_argument_wins_and_is_the_one_revoked():
    sql = dp.create_statements("copy", _props(acl=[]), owner="it's")
    assert sql[0].startswith("CREATE DATABASE \"copy\" OWNER \"it's\" ")
    assert sql[2] == "REVOKE ALL ON DATABASE \"copy\" FROM \"it's\""


def test_without_any_owner_the_login_user_is_revoked_as_current_user():
    sql = dp.create_statements("copy", _props(owner=None, acl=[]))
    assert " OWNER " not in sql[0]
    assert sql[2] == 'REVOKE ALL ON DATABASE "copy" FROM CURRENT_USER'


@pytest.mark.parametrize("props, clause", [
    (_props(locale_provider=None), " ENCODING 'UTF8' LC_COLLATE"),
    (_props(locale_provider="icu", icu_locale="de-DE"), " LOCALE_PROVIDER 'icu' ICU_LOCALE 'de-DE' LC_COLLATE"),
    (_props(tablespace="fast"), " CONNECTION LIMIT -1"),
    (_props(connection_limit=None), " CONNECTION LIMIT -1"),
    (_props(collate="it's", ctype="x'y"), " LC_COLLATE 'it''s' LC_CTYPE 'x''y' "),
])
def test_create_clauses(props, clause):
    assert clause in dp.create_statements("copy", props)[0]


def test_a_tablespace_other_than_the_default_is_kept():
    assert ' TABLESPACE "fast" ' in dp.create_statements("copy", _props(tablespace="fast"))[0]
    assert "TABLESPACE" not in dp.create_statements("copy", _props())[0]


@pytest.mark.parametrize("props, match", [
    (_props(locale_provider="icu", icu_locale=None), "ICU locale"),
    (_props(locale_provider="icu", icu_locale="de", icu_rules="&a < b"), "ICU collation rules"),
    (_props(locale_provider="builtin"), "locale provider 'builtin'"),
])
def test_unreproducible_locales_are_refused_clearly(props, match):
    with pytest.raises(ValueError, match=match):
        dp.create_statements("copy", props)


@pytest.mark.parametrize("entry", [
    dict(grantee="x", privilege="ALL; DROP DATABASE y", grantable=False),
    dict(grantee="x", privilege="SELECT", grantable=False),
    dict(grantee="", privilege="CONNECT", grantable=False),
])
def test_privileges_are_checked_not_pasted(entry):
    with pytest.raises(ValueError):
        dp.create_statements("copy", _props(acl=[entry]))


@pytest.mark.parametrize("name", ['my"db', "it's", "a b"])
def test_hostile_database_names_are_quoted_everywhere(name):
    quoted = '"%s"' % name.replace('"', '""')
    for stmt in dp.create_statements(name, SOURCE):
        assert quoted in stmt


# ------------------------------------------------------------------ settings

@pytest.mark.parametrize("name, value, rhs", [
    ("default_text_search_config", "pg_catalog.russian", "'pg_catalog.russian'"),
    ("application_name", "a=b=c", "'a=b=c'"),
    ("application_name", "it's", "'it''s'"),
    ("statement_timeout", "5s", "'5s'"),
    ("search_path", '"$user", public', "'$user', 'public'"),
    ("search_path", '"a,b", "c""d", e', "'a,b', 'c\"d', 'e'"),
    ("search_path", '""', "''"),
    ("SEARCH_PATH", "x", "'x'"),
    ("temp_tablespaces", "", "''"),
    ("app.setting", '"$user", public', "'\"$user\", public'"),
])
def test_setting_values_are_stored_unchanged(name, value, rhs):
    assert dp.setting_value_sql(name, value) == rhs


@pytest.mark.parametrize("value, items", [
    ("", []),
    ("  ", []),
    ("public", ["public"]),
    ("a, b,c", ["a", "b", "c"]),
    ('"$user", public', ["$user", "public"]),
    ('"a ""b"" c"', ['a "b" c']),
    ('"x,y" , z', ["x,y", "z"]),
])
def test_split_guc_list(value, items):
    assert dp.split_guc_list(value) == items


@pytest.mark.parametrize("value", ['"open', "a,,b", "a b", "a,"])
def test_split_guc_list_refuses_what_postgresql_would_not_store(value):
    with pytest.raises(ValueError):
        dp.split_guc_list(value)


def test_settings_from_dict_are_database_wide():
    assert dp.settings_statements("db", dp.settings_from_dict({"default_text_search_config": "russian", "b": 1})) == [
        'ALTER DATABASE "db" SET "b" = \'1\'',
        'ALTER DATABASE "db" SET "default_text_search_config" = \'russian\'']


@pytest.mark.parametrize("setting", [dict(role="", name="", value="1"), dict(role="", name="x", value=None)])
def test_a_setting_needs_a_name_and_a_value(setting):
    with pytest.raises(ValueError):
        dp.settings_statements("db", [setting])


# ------------------------------------------------------------------ comment

@pytest.mark.parametrize("props, sql", [
    (dict(comment="it's"), "COMMENT ON DATABASE \"db\" IS 'it''s'"),
    (dict(comment=None), 'COMMENT ON DATABASE "db" IS NULL'),
    ({}, ""),
    (None, ""),
])
def test_comment_statement(props, sql):
    assert dp.comment_statement("db", props) == sql


# ------------------------------------------------------------------ alter

def test_nothing_to_alter_when_they_agree():
    assert dp.alter_statements("copy", SOURCE, dict(copy.deepcopy(SOURCE), name="copy", comment="other")) == []
    assert dp.alter_statements("copy", {}, SOURCE) == []


@pytest.mark.parametrize("change", [dict(collate="POSIX"), dict(encoding="LATIN1"), dict(ctype="POSIX"),
                                    dict(locale_provider="icu", icu_locale="de"), dict(tablespace="fast")])
def test_what_only_a_rebuild_changes_is_refused(change):
    with pytest.raises(ValueError, match="only a rebuild changes .*database_state=recreated"):
        dp.alter_statements("copy", SOURCE, dict(copy.deepcopy(SOURCE), **change))


def test_alter_sets_resets_and_regrants():
    current = _props(connection_limit=-1, settings=[dict(role="", name="work_mem", value="1MB")],
                     acl=_acl(("public", "CONNECT", 0), ("gone", "CREATE", 1)))
    assert dp.alter_statements("copy", SOURCE, current) == [
        'ALTER DATABASE "copy" WITH CONNECTION LIMIT 50',
        "ALTER DATABASE \"copy\" SET \"application_name\" = 'x=y''z'",
        "ALTER DATABASE \"copy\" SET \"default_text_search_config\" = 'russian'",
        'ALTER DATABASE "copy" RESET "work_mem"',
        "ALTER ROLE \"app \"\"q'\" IN DATABASE \"copy\" SET \"work_mem\" = '64MB'",
        'REVOKE ALL ON DATABASE "copy" FROM PUBLIC CASCADE',
        'REVOKE ALL ON DATABASE "copy" FROM "gone" CASCADE',
        'REVOKE ALL ON DATABASE "copy" FROM "postgres" CASCADE',
        'GRANT TEMPORARY ON DATABASE "copy" TO PUBLIC',
        "GRANT CONNECT ON DATABASE \"copy\" TO \"app \"\"q'\"",
        'GRANT CREATE, CONNECT, TEMPORARY ON DATABASE "copy" TO "postgres"',
        'GRANT CONNECT ON DATABASE "copy" TO "reader" WITH GRANT OPTION',
    ]


def test_alter_back_to_the_default_acl_grants_it_explicitly():
    sql = dp.alter_statements("copy", _props(), _props(acl=[]))
    assert sql[-2:] == ['GRANT CONNECT, TEMPORARY ON DATABASE "copy" TO PUBLIC',
                        'GRANT CREATE, CONNECT, TEMPORARY ON DATABASE "copy" TO "postgres"']


def test_alter_needs_the_database():
    with pytest.raises(ValueError, match="does not exist"):
        dp.alter_statements("copy", SOURCE, {})


# ------------------------------------------------------------------ filters

def test_filter_sql_creates_alters_or_sets():
    assert filters.database_properties_sql("copy", SOURCE) == dp.create_statements("copy", SOURCE)
    assert filters.database_properties_sql("copy", SOURCE, owner="o")[0].startswith('CREATE DATABASE "copy" OWNER "o"')
    assert filters.database_properties_sql("copy", SOURCE, current=SOURCE) == []
    assert filters.database_properties_sql("copy", {}, settings={"default_text_search_config": "russian"}) == [
        "ALTER DATABASE \"copy\" SET \"default_text_search_config\" = 'russian'"]
    assert filters.database_properties_sql("copy", {}) == []
    assert filters.database_properties_sql("copy", {}, current=SOURCE) == []


@pytest.mark.parametrize("args, kwargs, match", [
    (("copy", _props(collate="")), {}, "collation"),
    (("copy", "nope"), {}, "must be a dict"),
    (("", SOURCE), {}, "database name"),
    (("copy", {}), dict(settings=["x"]), "settings must be a dict"),
    (("copy", SOURCE), dict(current=dict(copy.deepcopy(SOURCE), ctype="POSIX")), "only a rebuild"),
])
def test_filter_sql_errors_name_the_problem(args, kwargs, match):
    with pytest.raises(AnsibleFilterError, match=match):
        filters.database_properties_sql(*args, **kwargs)


def test_filter_diff_and_select():
    assert filters.database_properties_diff(SOURCE, dict(copy.deepcopy(SOURCE), connection_limit=-1)) == [
        "connection limit: 50 expected, unlimited"]
    assert filters.database_properties_diff(SOURCE, dict(copy.deepcopy(SOURCE), comment="x"), ignore="name") == [
        "comment: 'it''s the source' expected, 'x'"]
    assert filters.database_properties_select("db") == dp.properties_select_sql("db")
    with pytest.raises(AnsibleFilterError):
        filters.database_properties_select(None)
    with pytest.raises(AnsibleFilterError):
        filters.database_properties_diff(SOURCE, [1])


def test_filters_are_registered():
    assert set(filters.FilterModule().filters()) == {
        "database_properties_sql", "database_properties_diff", "database_properties_select"}
