"""fancai.db_runbooks.alembic: the runner's command line and what its output means (no docker needed)."""

import json

import pytest

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _alembic as al

SECRET = "CanaryPw-unit-alembic-secret"

# `alembic history` of the application double, as alembic prints it (newest first).
CHAIN = (
    "reading_goals_2026 -> progress_index_2026 (head), Completion time; index reading progress\n"
    "enum_checks_2025 -> reading_goals_2026, Reading goals, users.timezone\n"
    "descriptions_priority_2025 -> enum_checks_2025, Enum CHECK constraints\n"
    "initial_2024 -> descriptions_priority_2025, Descriptions type and priority\n"
    "<base> -> initial_2024, Initial schema\n"
)
ORDER = ["initial_2024", "descriptions_priority_2025", "enum_checks_2025", "reading_goals_2026",
         "progress_index_2026"]

# A chain with a branch point and a merge point.
BRANCHED = (
    "c1, c2 -> m (head) (mergepoint), merge the branches\n"
    "b -> c2, second branch\n"
    "b -> c1, first branch\n"
    "a -> b (branchpoint), where it splits\n"
    "<base> -> a, start\n"
)


def _history(text=CHAIN):
    return al.parse_history(text)


# --- the command line ------------------------------------------------------------

def test_runner_command_argv_is_plain_and_secret_free():
    argv, stdin = al.runner_command("fancai-vibe-hackathon-backend-1", ["upgrade", "reading_goals_2026"],
                                    database="bookreader_dev__restore")
    assert argv == ["docker", "exec", "-i", "fancai-vibe-hackathon-backend-1", "python3", "-"]
    assert isinstance(stdin, bytes)
    script = stdin.decode()
    assert "bookreader_dev__restore" in script and "reading_goals_2026" in script
    # The script reads the URL in the container; nothing of a URL is in it.
    assert "postgresql" not in script and "@postgres" not in script
    compile(script, "<runner>", "exec")


@pytest.mark.parametrize("args, steps", [
    (["state"], [["current"], ["heads"], ["history"]]),
    (["upgrade", "head"], [["current"], ["heads"], ["history"], ["upgrade", "head"], ["current"]]),
    (["stamp", "enum_checks_2025"], [["current"], ["heads"], ["history"], ["stamp", "enum_checks_2025"],
                                     ["current"]]),
    (["current"], [["current"]]),
    (["history", "-r", "base:head"], [["history", "-r", "base:head"]]),
])
def test_steps(args, steps):
    assert al._steps(args) == steps


@pytest.mark.parametrize("steps, guarded", [
    ([["current"], ["heads"], ["history"]], None),
    ([["current"], ["heads"], ["history"], ["upgrade", "head"], ["current"]], 3),
])
def test_the_change_is_guarded_by_the_reading_before_it(steps, guarded):
    assert al._guarded(steps) == guarded


@pytest.mark.parametrize("kwargs, word", [
    (dict(container="be", args=[]), "no alembic command"),
    (dict(container="be", args=["upgrade", "head; rm -rf /"]), "not a plain word"),
    (dict(container="be", args=["upgrade", "$(id)"]), "not a plain word"),
    (dict(container="be", args=["state"], database="Bad Name"), "not a plain PostgreSQL identifier"),
    (dict(container="be", args=["state"], url_variable="DATABASE-URL"), "not an environment variable name"),
    (dict(container="be", args=["state"], url_variable=""), "not an environment variable name"),
    (dict(container="-be", args=["state"]), "not a valid docker container name"),
])
def test_runner_command_refuses_bad_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        al.runner_command(**kwargs)


@pytest.mark.parametrize("docker_cli", ["docker", "/usr/local/bin/docker"])
def test_runner_command_uses_the_docker_cli(docker_cli):
    argv, _ = al.runner_command("be", ["state"], docker_cli=docker_cli)
    assert argv[0] == docker_cli


@pytest.mark.parametrize("args, database, queries", [
    (["state"], None, ["alembic current", "alembic heads", "alembic history"]),
    (["upgrade", "head"], "scratch_db", [
        "alembic current  # DATABASE_URL pointed at database scratch_db",
        "alembic heads  # DATABASE_URL pointed at database scratch_db",
        "alembic history  # DATABASE_URL pointed at database scratch_db",
        "alembic upgrade head  # DATABASE_URL pointed at database scratch_db",
        "alembic current  # DATABASE_URL pointed at database scratch_db"]),
])
def test_describe_command(args, database, queries):
    assert al.describe_command(args, database=database) == queries


# --- alembic's output --------------------------------------------------------------

@pytest.mark.parametrize("stdout, revs", [
    ("", []),
    ("reading_goals_2026\n", ["reading_goals_2026"]),
    ("progress_index_2026 (head)\n", ["progress_index_2026"]),
    ("c1 (effective head)\nc2 (head)\n", ["c1", "c2"]),
    ("INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\nenum_checks_2025\n", ["enum_checks_2025"]),
    ("m (head) (mergepoint)\n", ["m"]),
    ("Current revision(s) for postgresql://***@postgres/x:\nabc123\n", ["abc123"]),
])
def test_parse_current(stdout, revs):
    assert al.parse_current(stdout) == revs


def test_parse_history_base_first():
    history = _history()
    assert [e["revision"] for e in history] == ORDER
    assert history[0]["down_revisions"] == []
    assert history[3]["down_revisions"] == ["enum_checks_2025"]
    assert history[-1]["head"] is True and history[-1]["doc"].startswith("Completion time; index")
    assert not any(e["head"] for e in history[:-1])


def test_parse_history_merge_and_branch_points():
    history = _history(BRANCHED)
    revs = [e["revision"] for e in history]
    assert revs[0] == "a" and revs[1] == "b" and revs[-1] == "m"
    assert set(revs[2:4]) == {"c1", "c2"}
    by = dict((e["revision"], e) for e in history)
    assert by["m"]["down_revisions"] == ["c1", "c2"]
    assert by["m"]["mergepoint"] and by["m"]["head"]
    assert by["b"]["branchpoint"] and not by["b"]["head"]


@pytest.mark.parametrize("line, revision, downs, extra", [
    ("<base> -> initial_2024, Initial schema", "initial_2024", [], {"doc": "Initial schema"}),
    ("a -> b (head), doc with -> an arrow, and commas", "b", ["a"], {"doc": "doc with -> an arrow, and commas"}),
    ("a, b -> c (head) (mergepoint), merge", "c", ["a", "b"], {"mergepoint": True}),
    ("a (dep1, dep2) -> c, with dependencies", "c", ["a"], {"dependencies": ["dep1", "dep2"]}),
    ("a -> b (feature) (head), labelled", "b", ["a"], {"branch_labels": ["feature"], "head": True}),
    ("a -> b (effective head)", "b", ["a"], {"head": False, "doc": ""}),
])
def test_parse_history_lines(line, revision, downs, extra):
    (entry,) = al.parse_history(line + "\n")
    assert entry["revision"] == revision
    assert entry["down_revisions"] == downs
    for key, value in extra.items():
        assert entry[key] == value, key


@pytest.mark.parametrize("text", ["", "INFO  [alembic] nothing\n", "FAILED: No config file 'alembic.ini' found\n"])
def test_parse_history_ignores_other_lines(text):
    assert al.parse_history(text) == []


@pytest.mark.parametrize("revision, reference, relation", [
    ("enum_checks_2025", "enum_checks_2025", "same"),
    ("reading_goals_2026", "enum_checks_2025", "newer"),
    ("progress_index_2026", "initial_2024", "newer"),
    ("enum_checks_2025", "reading_goals_2026", "older"),
    ("initial_2024", "progress_index_2026", "older"),
    ("nowhere_2030", "enum_checks_2025", "unknown"),
    ("enum_checks_2025", "nowhere_2030", "unknown"),
    ("nowhere_2030", "nowhere_2030", "unknown"),
])
def test_revision_relation(revision, reference, relation):
    assert al.revision_relation(_history(), revision, reference) == relation


@pytest.mark.parametrize("revision, reference, relation", [
    ("m", "c1", "newer"),
    ("m", "a", "newer"),
    ("c2", "m", "older"),
    ("c1", "c2", "unknown"),
    ("c2", "b", "newer"),
])
def test_revision_relation_across_branches(revision, reference, relation):
    assert al.revision_relation(_history(BRANCHED), revision, reference) == relation


def test_revision_relation_without_history():
    assert al.revision_relation([], "a", "a") == "unknown"
    assert al.revision_relation(None, "a", "b") == "unknown"


@pytest.mark.parametrize("heads, target, resolved", [
    (["progress_index_2026"], "head", ["progress_index_2026"]),
    (["c1", "c2"], "head", None),
    (["c1", "c2"], "heads", ["c1", "c2"]),
    (["progress_index_2026"], "reading_goals_2026", ["reading_goals_2026"]),
    (["progress_index_2026"], "base", []),
    (["progress_index_2026"], "+1", None),
])
def test_resolve_target(heads, target, resolved):
    assert al.resolve_target(_history(), heads, target) == resolved


@pytest.mark.parametrize("current, targets, path", [
    (["enum_checks_2025"], ["reading_goals_2026"], ["reading_goals_2026"]),
    (["enum_checks_2025"], ["progress_index_2026"], ["reading_goals_2026", "progress_index_2026"]),
    ([], ["enum_checks_2025"], ["initial_2024", "descriptions_priority_2025", "enum_checks_2025"]),
    (["reading_goals_2026"], ["reading_goals_2026"], []),
    (["progress_index_2026"], ["enum_checks_2025"], []),
])
def test_upgrade_path(current, targets, path):
    assert al.upgrade_path(_history(), current, targets) == path


# --- a failed upgrade ------------------------------------------------------------------

# What alembic 1.x with SQLAlchemy 2 and psycopg2 prints when progress_index_2026 fails.
FAILED_UPGRADE = """\
INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.
INFO  [alembic.runtime.migration] Will assume transactional DDL.
INFO  [alembic.runtime.migration] Running upgrade enum_checks_2025 -> reading_goals_2026, Reading goals
INFO  [alembic.runtime.migration] Running upgrade reading_goals_2026 -> progress_index_2026, Completion time
Traceback (most recent call last):
  File "/usr/local/lib/python3.11/dist-packages/sqlalchemy/engine/base.py", line 1967, in _exec_single_context
    self.dialect.do_execute(
psycopg2.errors.DuplicateTable: relation "idx_reading_progress_user_book" already exists


The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/usr/local/bin/alembic", line 8, in <module>
    sys.exit(main())
sqlalchemy.exc.ProgrammingError: (psycopg2.errors.DuplicateTable) relation "idx_reading_progress_user_book" already exists

[SQL: CREATE INDEX idx_reading_progress_user_book ON reading_progress (user_id, book_id)]
(Background on this error at: https://sqlalche.me/e/20/f405)
"""


@pytest.mark.parametrize("text, error", [
    (FAILED_UPGRADE, 'psycopg2.errors.DuplicateTable: relation "idx_reading_progress_user_book" already exists'),
    ('sqlalchemy.exc.ProgrammingError: (psycopg2.errors.UndefinedObject) index "x" does not exist\n[SQL: DROP]\n',
     'psycopg2.errors.UndefinedObject: index "x" does not exist'),
    ("  ERROR [alembic.util.messaging] Can't locate revision identified by 'nope'\n"
     "  FAILED: Can't locate revision identified by 'nope'\n", "FAILED: Can't locate revision identified by 'nope'"),
    ("Traceback (most recent call last):\nKeyError: 'x'\n", "KeyError: 'x'"),
    ("sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) could not translate host name\n",
     "psycopg2.OperationalError: could not translate host name"),
    ("something odd\n", "something odd"),
    ("", ""),
])
def test_error_line(text, error):
    assert al._error_line(text) == error


@pytest.mark.parametrize("text, revision", [
    (FAILED_UPGRADE, "progress_index_2026"),
    ("INFO  [alembic.runtime.migration] Running upgrade  -> initial_2024, Initial schema\n", "initial_2024"),
    ("INFO  [alembic.runtime.migration] Running upgrade c1, c2 -> m, merge\n", "m"),
    ("INFO  [alembic.runtime.migration] Running downgrade b -> a, x\n", "a"),
    ("nothing ran\n", None),
])
def test_failed_revision(text, revision):
    assert al.failed_revision(text) == revision


# --- the runner's document ---------------------------------------------------------------

def _doc(steps, **kw):
    doc = dict(runner=1, problem=None, error=None, url="postgresql+asyncpg://***@postgres:5432/bookreader_dev",
               database="bookreader_dev", workdir="/app", steps=steps)
    doc.update(kw)
    return al.RUNNER_MARKER + "\n" + json.dumps(doc) + "\n"


def _step(args, rc=0, stdout="", stderr="", **kw):
    return dict(dict(args=args, rc=rc, stdout=stdout, stderr=stderr, timed_out=False, skipped=False), **kw)


def test_parse_runner_state():
    out = _doc([_step(["current"], stdout="reading_goals_2026\n"), _step(["heads"], stdout="progress_index_2026 (head)\n"),
                _step(["history"], stdout=CHAIN)])
    res = al.parse_runner(0, out, "")
    assert res["ok"] is True and res["problem"] is None and res["error"] is None
    assert res["current"] == ["reading_goals_2026"] and res["previous"] is None
    assert res["heads"] == ["progress_index_2026"]
    assert [e["revision"] for e in res["history"]] == ORDER
    assert res["output"].startswith("$ alembic current\nreading_goals_2026\n$ alembic heads\n")
    assert res["database"] == "bookreader_dev"
    assert set(["ok", "rc", "output", "current", "heads", "history", "failed_revision", "error"]) <= set(res)


def test_parse_runner_failed_upgrade_keeps_the_reading_before_and_after():
    out = _doc([_step(["current"], stdout="reading_goals_2026\n"), _step(["heads"], stdout="progress_index_2026 (head)\n"),
                _step(["history"], stdout=CHAIN), _step(["upgrade", "head"], rc=1, stderr=FAILED_UPGRADE),
                _step(["current"], stdout="reading_goals_2026\n")])
    res = al.parse_runner(1, out, "")
    assert res["ok"] is False and res["problem"] == "alembic"
    assert res["failed_revision"] == "progress_index_2026"
    assert res["error"] == 'psycopg2.errors.DuplicateTable: relation "idx_reading_progress_user_book" already exists'
    assert res["previous"] == ["reading_goals_2026"] and res["current"] == ["reading_goals_2026"]


def test_parse_runner_unreadable_after_is_none_not_before():
    out = _doc([_step(["current"], stdout="a\n"), _step(["heads"]), _step(["history"]),
                _step(["upgrade", "head"], rc=1, stderr="psycopg2.OperationalError: gone\n"),
                _step(["current"], rc=1, stderr="psycopg2.OperationalError: gone\n")])
    res = al.parse_runner(1, out, "")
    assert res["previous"] == ["a"] and res["current"] is None


def test_parse_runner_skipped_change_is_not_the_failure():
    out = _doc([_step(["current"], rc=1, stderr="sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) "
                                                 "connection refused\n"),
                _step(["heads"], stdout="h (head)\n"), _step(["history"], stdout="<base> -> h (head), x\n"),
                _step(["upgrade", "head"], rc=None, skipped=True), _step(["current"], rc=1, stderr="x\n")])
    res = al.parse_runner(1, out, "")
    assert res["problem"] == "alembic" and res["error"] == "psycopg2.OperationalError: connection refused"
    assert res["failed_revision"] is None
    assert res["heads"] == ["h"] and res["current"] is None


def test_parse_runner_timeout():
    out = _doc([_step(["current"], stdout="a\n"), _step(["heads"]), _step(["history"]),
                _step(["upgrade", "head"], rc=124, timed_out=True,
                      stderr="INFO  [alembic.runtime.migration] Running upgrade a -> b, slow\n")])
    res = al.parse_runner(124, out, "")
    assert res["problem"] == "timeout" and res["timed_out"] is True
    assert res["failed_revision"] == "b"


@pytest.mark.parametrize("problem", ["no_url", "bad_url", "no_alembic"])
def test_parse_runner_problems_of_the_runner(problem):
    res = al.parse_runner(3, _doc([], problem=problem, error="what"), "")
    assert res["ok"] is False and res["problem"] == problem and res["error"] == "what"


@pytest.mark.parametrize("rc, stderr, problem", [
    (1, "Error response from daemon: No such container: be", "missing"),
    (1, "Error response from daemon: container 4f3a is not running", "stopped"),
    (1, "Error response from daemon: Container 4f3a is restarting, wait until the container is running", "stopped"),
    (1, "Error response from daemon: Container be is paused, unpause the container before exec", "paused"),
    (126, 'OCI runtime exec failed: exec failed: unable to start container process: exec: "python3": '
          'executable file not found in $PATH: unknown', "no_python"),
    (127, "python3: not found", "no_python"),
    (1, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?", "docker"),
    (0, "", "garbled"),
])
def test_parse_runner_docker_problems(rc, stderr, problem):
    res = al.parse_runner(rc, "", stderr)
    assert res["problem"] == problem and res["ok"] is False


def test_parse_runner_reads_the_runtime_error_docker_prints_on_stdout():
    out = ('OCI runtime exec failed: exec failed: unable to start container process: exec: "python3": '
           'executable file not found in $PATH: unknown\n')
    res = al.parse_runner(126, out, "")
    assert res["problem"] == "no_python" and res["error"].startswith("OCI runtime exec failed")


def test_parse_runner_garbled_json():
    res = al.parse_runner(0, al.RUNNER_MARKER + "\n{not json", "")
    assert res["problem"] == "garbled"


@pytest.mark.parametrize("problem, words", [
    ("missing", ["'be'", "does not exist", "db_runbooks_backend_container"]),
    ("stopped", ["'be'", "not running", "docker start be", "db_runbooks_backend_container"]),
    ("paused", ["'be'", "paused", "docker unpause be"]),
    ("no_python", ["'be'", "no python3", "db_runbooks_backend_container"]),
    ("no_alembic", ["'be'", "no alembic", "db_runbooks_backend_container"]),
    ("no_url", ["'be'", "no APP_DB_URL", "url_variable"]),
    ("bad_url", ["APP_DB_URL", "'be'", "url_variable"]),
    ("timeout", ["'be'", "did not finish within 30 s", "rolled back"]),
    ("alembic", ["alembic failed in revision progress_index_2026", "'be'", "DuplicateTable"]),
])
def test_describe_problem_names_the_container_and_the_fix(problem, words):
    res = dict(problem=problem, error="psycopg2.errors.DuplicateTable: x", rc=1,
               failed_revision="progress_index_2026" if problem == "alembic" else None)
    msg = al.describe_problem(res, "be", url_variable="APP_DB_URL", timeout=30)
    for word in words:
        assert word in msg, (word, msg)


@pytest.mark.parametrize("state, words", [
    ("paused", "docker unpause be"),
    ("exited", "docker start be"),
    ("running", "raise db_runbooks_step_timeout"),
    (None, "docker info"),
])
def test_describe_timeout(state, words):
    msg = al.describe_timeout("be", 60, state)
    assert msg.startswith("alembic in the backend container 'be' did not finish within 60 s")
    assert words in msg


@pytest.mark.parametrize("revisions, text", [
    (None, "unknown"), ([], "<base> (no revision)"), (["a"], "a"), (["a", "b"], "a, b")])
def test_fmt_revisions(revisions, text):
    assert al.fmt_revisions(revisions) == text
