"""Unit tests for the application role's grants (module_utils/_runbooks.py, filter privileges_sql)."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.filter.privileges import privileges_sql
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _runbooks as rb

DML = ["SELECT", "INSERT", "UPDATE", "DELETE"]
SEQ = ["USAGE", "SELECT", "UPDATE"]


def _schema(name="public", usage=True, tables=(), sequences=(), default_tables=True, default_sequences=True):
    return dict(schema=name, exists=True, usage=usage, tables=list(tables), sequences=list(sequences),
                default_tables=default_tables, default_sequences=default_sequences)


def _state(connect=True, schemas=None, not_owned=()):
    return dict(connect=connect, schemas=schemas if schemas is not None else [_schema()],
                not_owned=list(not_owned))


def _sql(state, **kw):
    args = dict(role="bookreader", database="bookreader_dev", for_role="postgres",
                table_privileges=DML, sequence_privileges=SEQ)
    args.update(kw)
    return rb.privileges_statements(state, **args)


def test_nothing_missing_means_no_statement():
    assert _sql(_state()) == []


def test_missing_tables_get_one_grant_naming_each():
    sql = _sql(_state(schemas=[_schema(tables=["books", "users"])]))
    assert sql == ['GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE books, users TO "bookreader"']


def test_missing_sequences_get_their_own_privileges():
    sql = _sql(_state(schemas=[_schema(sequences=["notes_id_seq"])]))
    assert sql == ['GRANT USAGE, SELECT, UPDATE ON SEQUENCE notes_id_seq TO "bookreader"']


def test_connect_and_usage_come_first():
    sql = _sql(_state(connect=False, schemas=[_schema(usage=False, tables=["books"])]))
    assert sql[:2] == ['GRANT CONNECT ON DATABASE "bookreader_dev" TO "bookreader"',
                       'GRANT USAGE ON SCHEMA "public" TO "bookreader"']


def test_default_privileges_for_the_login_user():
    sql = _sql(_state(schemas=[_schema(default_tables=False, default_sequences=False)]))
    assert sql == [
        'ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "public" '
        'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "bookreader"',
        'ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "public" '
        'GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "bookreader"']


def test_default_privileges_can_be_turned_off():
    state = _state(schemas=[_schema(default_tables=False, default_sequences=False)])
    assert _sql(state, default_privileges=False) == []


def test_no_sequence_privileges_asked_means_no_sequence_statement():
    state = _state(schemas=[_schema(sequences=["s"], default_sequences=False)])
    assert _sql(state, sequence_privileges=[]) == []


def test_owner_first_and_owned_objects_need_no_grant():
    state = _state(schemas=[_schema(tables=["books", "users"])],
                   not_owned=[dict(kind="TABLE", name="books"), dict(kind="TYPE", name="mood")])
    sql = _sql(state, owner=True)
    assert sql == ['ALTER TABLE books OWNER TO "bookreader"',
                   'ALTER TYPE mood OWNER TO "bookreader"',
                   'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE users TO "bookreader"']


def test_not_owned_objects_are_ignored_without_owner():
    state = _state(not_owned=[dict(kind="TABLE", name="books")])
    assert _sql(state) == []


def test_privileges_are_normalised_and_deduplicated():
    sql = _sql(_state(schemas=[_schema(tables=["books"])]), table_privileges=["select", "SELECT"])
    assert sql == ['GRANT SELECT ON TABLE books TO "bookreader"']


@pytest.mark.parametrize("kw", [dict(table_privileges=["ALL"]), dict(table_privileges=["SELECT; DROP"]),
                                dict(sequence_privileges=["DELETE"])])
def test_unknown_privilege_is_refused(kw):
    with pytest.raises(ValueError):
        _sql(_state(schemas=[_schema(tables=["books"])]), **kw)


def test_unknown_object_kind_is_refused():
    with pytest.raises(ValueError):
        _sql(_state(not_owned=[dict(kind="DATABASE; DROP", name="x")]), owner=True)


def test_role_is_quoted():
    sql = _sql(_state(schemas=[_schema(tables=["books"])]), role='we"ird')
    assert sql[0].endswith('TO "we""ird"')


def test_filter_wraps_errors():
    with pytest.raises(AnsibleFilterError):
        privileges_sql("not a dict", role="r", database="d", for_role="postgres")
    with pytest.raises(AnsibleFilterError):
        privileges_sql(_state(), role="r", database="d", for_role="postgres", table_privileges=["ALL"])


def test_filter_passes_through():
    assert privileges_sql(_state(schemas=[_schema(tables=["books"])]), role="r", database="d",
                          for_role="postgres", table_privileges=["SELECT"]) == ['GRANT SELECT ON TABLE books TO "r"']
