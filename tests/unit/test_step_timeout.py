"""The step timeout of every psql call: the bound, and the words when it is hit."""

import pytest

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    TIMEOUT_RCS,
    describe_failure,
    describe_timeout,
    with_timeout,
)


@pytest.mark.parametrize("seconds, expected", [
    (0, "docker exec -i c psql"),
    (None, "docker exec -i c psql"),
    (30, "timeout -k 5 30 docker exec -i c psql"),
    ("7", "timeout -k 5 7 docker exec -i c psql"),
])
def test_with_timeout(seconds, expected):
    assert with_timeout("docker exec -i c psql", seconds) == expected


@pytest.mark.parametrize("state, words", [
    ("paused", "the container is paused: `docker unpause pg`"),
    ("exited", "the container is exited: `docker start pg`"),
    ("running", "did not finish (a lock held by another session?"),
    (None, "the docker engine did not answer either"),
])
def test_describe_timeout_says_what_hung(state, words):
    msg = describe_timeout("pg", "bookreader_dev", 30, state)
    assert msg.startswith("psql in container 'pg' (database 'bookreader_dev') did not finish within 30 s")
    assert "db_runbooks_step_timeout" in msg
    assert words in msg


@pytest.mark.parametrize("rc", TIMEOUT_RCS)
def test_describe_failure_passes_the_timeout_words_on(rc):
    words = describe_timeout("pg", "postgres", 5, "paused")
    assert describe_failure(rc, "db_runbooks step timeout: " + words, "pg", "postgres", "postgres") == words


def test_a_plain_exit_124_is_not_taken_for_a_timeout():
    msg = describe_failure(124, "something else", "pg", "postgres", "postgres")
    assert "did not finish within" not in msg


def test_a_paused_container_is_told_to_unpause():
    msg = describe_failure(1, "Error response from daemon: Container abc is paused, unpause the container "
                              "before exec", "pg", "postgres", "postgres")
    assert "is paused" in msg and "docker unpause pg" in msg


def test_long_statements_are_shown_by_their_head():
    from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import shorten_statement

    assert shorten_statement("SELECT 1") == "SELECT 1"
    text = "CREATE TABLE t (id int);\n" * 1000
    shown = shorten_statement(text)
    assert shown.startswith("CREATE TABLE t (id int);\n")
    assert shown.endswith("-- … %d more characters (1001 lines in all) not shown" % (len(text) - 2000))
    assert len(shown) < 2100
