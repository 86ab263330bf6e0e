"""The action fancai.db_runbooks.alembic with a fake docker host: check mode, changed, messages."""

import ast
import json
import os
import shlex
from unittest import mock

import pytest
import yaml
from ansible.errors import AnsibleActionFail

from ansible_collections.fancai.db_runbooks.plugins.action import alembic as action
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _alembic as al

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHAIN = ("reading_goals_2026 -> progress_index_2026 (head), index\n"
         "enum_checks_2025 -> reading_goals_2026, goals\n"
         "<base> -> enum_checks_2025, base\n")
FAILED = ("INFO  [alembic.runtime.migration] Running upgrade reading_goals_2026 -> progress_index_2026, index\n"
          "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.DuplicateTable) relation "
          "\"idx_reading_progress_user_book\" already exists\n")


def _step(args, rc=0, stdout="", stderr=""):
    return dict(args=args, rc=rc, stdout=stdout, stderr=stderr, timed_out=False, skipped=False)


def _doc(steps, **kw):
    doc = dict(runner=1, problem=None, error=None, url="postgresql+asyncpg://***@postgres:5432/bookreader_dev",
               database="bookreader_dev", workdir="/app", steps=steps)
    doc.update(kw)
    return al.RUNNER_MARKER + "\n" + json.dumps(doc) + "\n"


def _state(current):
    return [_step(["current"], stdout=current + "\n"), _step(["heads"], stdout="progress_index_2026 (head)\n"),
            _step(["history"], stdout=CHAIN)]


class FakeHost:
    """Answers the runner's docker exec with canned output; records what was run."""

    def __init__(self, answer, inspect=(0, "running\n", "")):
        self.answer = answer
        self.inspect = inspect
        self.commands = []
        self.stdins = []

    def __call__(self, cmd, in_data=None, executable=None, **kwargs):
        self.commands.append(cmd)
        self.stdins.append(in_data)
        if " inspect " in cmd:
            rc, out, err = self.inspect
        else:
            rc, out, err = self.answer(in_data) if callable(self.answer) else self.answer
        return dict(rc=rc, stdout=out, stderr=err)


def _run(args, fake, check_mode=False, task_vars=None):
    task = mock.MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    task.action = "fancai.db_runbooks.alembic"
    connection = mock.MagicMock()
    connection._shell.tmpdir = "/tmp/x"
    plugin = action.ActionModule(task, connection, mock.MagicMock(), mock.MagicMock(), mock.MagicMock())
    plugin._low_level_execute_command = fake
    return plugin.run(task_vars=dict({"inventory_hostname": "db1"}, **(task_vars or {})))


def _steps_sent(stdin):
    """The alembic steps a runner script asks for."""
    script = stdin.decode()
    line = [ln for ln in script.splitlines() if ln.startswith("CONFIG = json.loads(")][0]
    return json.loads(ast.literal_eval(line[len("CONFIG = json.loads("):-1]))["steps"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_state_runs_in_check_mode_too(check_mode):
    fake = FakeHost((0, _doc(_state("reading_goals_2026")), ""))
    res = _run({"container": "be"}, fake, check_mode=check_mode)
    assert not res.get("failed") and res["changed"] is False
    assert res["current"] == ["reading_goals_2026"] and res["heads"] == ["progress_index_2026"]
    assert res["queries"] == ["alembic current", "alembic heads", "alembic history"]
    assert res["cmd"] == ["docker", "exec", "-i", "be", "python3", "-"]
    assert fake.commands[0].startswith("timeout -k 5 3615 docker exec -i be python3 -")


def test_upgrade_in_check_mode_is_not_run_and_says_what_it_would_do():
    fake = FakeHost((0, _doc(_state("enum_checks_2025")), ""))
    res = _run({"container": "be", "command": "upgrade", "revision": "reading_goals_2026"}, fake, check_mode=True)
    assert res["skipped"] is True and res["changed"] is False
    assert res["pending"] == ["reading_goals_2026"]
    assert "would run `alembic upgrade reading_goals_2026`" in res["msg"]
    assert "now at enum_checks_2025" in res["msg"] and "it would apply reading_goals_2026" in res["msg"]
    assert len(fake.commands) == 1 and _steps_sent(fake.stdins[0]) == [["current"], ["heads"], ["history"]]


def test_upgrade_in_check_mode_at_the_target_is_not_changed():
    fake = FakeHost((0, _doc(_state("progress_index_2026")), ""))
    res = _run({"container": "be", "command": "upgrade"}, fake, check_mode=True)
    assert not res.get("skipped") and res["changed"] is False
    assert "already at progress_index_2026" in res["msg"]


def test_upgrade_changed_only_when_the_revision_moved():
    moved = FakeHost((0, _doc(_state("enum_checks_2025") + [_step(["upgrade", "reading_goals_2026"]),
                                                             _step(["current"], stdout="reading_goals_2026\n")]), ""))
    res = _run({"container": "be", "command": "upgrade", "revision": "reading_goals_2026"}, moved)
    assert res["changed"] is True and not res.get("failed")
    assert res["previous"] == ["enum_checks_2025"] and res["current"] == ["reading_goals_2026"]
    assert "upgraded from enum_checks_2025 to reading_goals_2026" in res["msg"]
    assert _steps_sent(moved.stdins[0])[3] == ["upgrade", "reading_goals_2026"]

    still = FakeHost((0, _doc(_state("reading_goals_2026") + [_step(["upgrade", "reading_goals_2026"]),
                                                               _step(["current"], stdout="reading_goals_2026\n")]), ""))
    res = _run({"container": "be", "command": "upgrade", "revision": "reading_goals_2026"}, still)
    assert res["changed"] is False and "already at reading_goals_2026" in res["msg"]


def test_failed_upgrade_names_revision_error_and_that_nothing_moved():
    fake = FakeHost((1, _doc(_state("reading_goals_2026") + [_step(["upgrade", "head"], rc=1, stderr=FAILED),
                                                              _step(["current"], stdout="reading_goals_2026\n")]), ""))
    res = _run({"container": "be", "command": "upgrade"}, fake)
    assert res["failed"] is True and res["changed"] is False
    assert res["failed_revision"] == "progress_index_2026"
    assert res["error"] == 'psycopg2.errors.DuplicateTable: relation "idx_reading_progress_user_book" already exists'
    assert "in revision progress_index_2026" in res["msg"]
    assert "is still at reading_goals_2026" in res["msg"]


@pytest.mark.parametrize("answer, words", [
    ((1, "", "Error response from daemon: No such container: be"), ["'be'", "db_runbooks_backend_container"]),
    ((1, "", "Error response from daemon: Container be is not running"), ["docker start be"]),
    ((126, "", 'exec: "python3": executable file not found in $PATH'), ["no python3"]),
    ((3, _doc([], problem="no_url", error="DATABASE_URL is not set"), ""), ["no DATABASE_URL", "url_variable"]),
    ((4, _doc([], problem="no_alembic", error="alembic is not on the PATH"), ""), ["no alembic command"]),
])
def test_backend_problems_fail_clearly(answer, words):
    res = _run({"container": "be"}, FakeHost(answer))
    assert res["failed"] is True and res["changed"] is False
    for word in words:
        assert word in res["msg"], (word, res["msg"])


@pytest.mark.parametrize("state, words", [("paused", "docker unpause be"), (None, "docker info")])
def test_host_timeout_says_what_hung(state, words):
    fake = FakeHost((124, "", ""), inspect=(0, state + "\n", "") if state else (1, "", ""))
    res = _run({"container": "be", "timeout": 20}, fake)
    assert res["failed"] is True and res["problem"] == "timeout"
    assert "did not finish within 20 s" in res["msg"] and words in res["msg"]
    assert fake.commands[0].startswith("timeout -k 5 35 ")


def test_timeout_zero_means_no_bound_and_step_timeout_is_the_default():
    fake = FakeHost((0, _doc(_state("a")), ""))
    _run({"container": "be", "timeout": 0}, fake)
    assert fake.commands[0].startswith("docker exec")
    fake = FakeHost((0, _doc(_state("a")), ""))
    _run({"container": "be"}, fake, task_vars={"db_runbooks_step_timeout": 100,
                                                 "preflight_target": {"docker_cli": "/opt/docker"}})
    assert shlex.split(fake.commands[0])[:5] == ["timeout", "-k", "5", "115", "/opt/docker"]


@pytest.mark.parametrize("args, word", [
    ({"container": "be", "revision": "head; id"}, "is not an Alembic revision"),
    ({"container": "be", "database": "Bad-Name"}, "not a plain PostgreSQL identifier"),
    ({"container": "be", "url_variable": "A-B"}, "not an environment variable name"),
    ({"container": "be bad"}, "not a valid docker container name"),
    ({"container": "be", "timeout": -1}, "not a number of seconds"),
])
def test_bad_input_is_refused_before_anything_runs(args, word):
    fake = FakeHost((0, "", ""))
    with pytest.raises(AnsibleActionFail, match=word):
        _run(args, fake)
    assert fake.commands == []


def _docs():
    tree = ast.parse(open(os.path.join(ROOT, "plugins", "modules", "alembic.py"), encoding="utf-8").read())
    return dict((n.targets[0].id, yaml.safe_load(n.value.value)) for n in tree.body
                if isinstance(n, ast.Assign) and n.targets[0].id in ("DOCUMENTATION", "EXAMPLES", "RETURN"))


def test_docs_match_the_argspec():
    options = _docs()["DOCUMENTATION"]["options"]
    assert set(options) == set(action._ARGSPEC)
    for name, spec in action._ARGSPEC.items():
        assert options[name]["type"] == spec["type"], name
        assert options[name].get("default") == spec.get("default"), name
        assert options[name].get("choices") == spec.get("choices"), name
        assert bool(options[name].get("required")) == bool(spec.get("required")), name


def test_return_docs_cover_the_result():
    fake = FakeHost((0, _doc(_state("a")), ""))
    res = _run({"container": "be", "command": "upgrade"}, fake, check_mode=True)
    documented = set(_docs()["RETURN"])
    internal = {"changed", "failed", "msg", "skipped", "skipped_reason", "container", "command", "revision"}
    assert set(res) - internal <= documented


@pytest.mark.parametrize("current, revision, target, pending, relation", [
    ("enum_checks_2025", "head", ["progress_index_2026"], ["reading_goals_2026", "progress_index_2026"], "older"),
    ("enum_checks_2025", "reading_goals_2026", ["reading_goals_2026"], ["reading_goals_2026"], "older"),
    ("reading_goals_2026", "reading_goals_2026", ["reading_goals_2026"], [], "same"),
    ("progress_index_2026", "reading_goals_2026", ["reading_goals_2026"], [], "newer"),
    ("stranger_2030", "head", ["progress_index_2026"], ["enum_checks_2025", "reading_goals_2026",
                                                         "progress_index_2026"], "unknown"),
    ("", "head", ["progress_index_2026"], ["enum_checks_2025", "reading_goals_2026", "progress_index_2026"], "older"),
    ("enum_checks_2025", "nowhere_2030", None, None, None),
])
def test_state_tells_target_pending_and_relation(current, revision, target, pending, relation):
    fake = FakeHost((0, _doc(_state(current)), ""))
    res = _run({"container": "be", "revision": revision}, fake)
    assert (res["target"], res["pending"], res["relation"]) == (target, pending, relation)
