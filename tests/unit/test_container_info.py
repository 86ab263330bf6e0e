"""fancai.db_runbooks.container_info: docker argv, parsing and messages (no docker needed)."""

import json
import os
import shlex
from unittest import mock

import pytest
import yaml
from ansible.errors import AnsibleActionFail

from ansible_collections.fancai.db_runbooks.plugins.action import container_info as action
from ansible_collections.fancai.db_runbooks.plugins.module_utils import _docker as dk

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What a full `docker inspect` of the bookreader's container holds besides the
# fields asked for: the secrets the action must never pass on.
SECRET = "CanaryPw-unit-secret"
FULL_INSPECT = {
    "Id": "5697c8d1" * 8,
    "Name": "/fancai-vibe-hackathon-postgres-1",
    "Image": "postgres:15.7-alpine",
    "Labels": {"com.docker.compose.project": "fancai-vibe-hackathon"},
    "State": {"Status": "running", "Running": True, "Paused": False, "Restarting": False,
              "ExitCode": 0, "StartedAt": "2025-11-25T03:00:00Z", "Pid": 4242},
    "Config": {"Env": ["POSTGRES_PASSWORD=" + SECRET]},
    "Args": ["-c", "password=" + SECRET],
    "Env": ["POSTGRES_PASSWORD=" + SECRET],
    "Mounts": [{"Source": "/srv/" + SECRET}],
}


def _state(status, running, paused=False, restarting=False, exit_code=0):
    return dict(FULL_INSPECT, State=dict(Status=status, Running=running, Paused=paused,
                                         Restarting=restarting, ExitCode=exit_code, StartedAt=""))


# --- the template ------------------------------------------------------------

@pytest.mark.parametrize("labels", [False, True])
def test_format_asks_only_for_whitelisted_fields(labels):
    fmt = dk.inspect_format(labels=labels)
    for forbidden in ("Env", "Args", "Cmd", "Mounts", "Entrypoint", "HostConfig", "{{json .}}", "{{json .Config}}"):
        assert forbidden not in fmt
    for wanted in (".State.Status", ".State.Running", ".State.Paused", ".State.Restarting",
                   ".State.ExitCode", ".State.StartedAt", ".Id", ".Name", ".Config.Image"):
        assert "{{json %s}}" % wanted in fmt
    assert (".Config.Labels" in fmt) == labels


def test_format_renders_to_json():
    # Substitute every {{json …}} the way docker would: the result must be one JSON object.
    fmt = dk.inspect_format(labels=True)
    rendered = fmt
    for key, path in dk._TOP_FIELDS + (dk._LABELS_FIELD,) + dk._STATE_FIELDS:
        rendered = rendered.replace("{{json %s}}" % path, json.dumps("x"))
    obj = json.loads(rendered)
    assert set(obj) == {"Id", "Name", "Image", "Labels", "State"}
    assert set(obj["State"]) == {"Status", "Running", "Paused", "Restarting", "ExitCode", "StartedAt"}


# --- argv ----------------------------------------------------------------------

def test_inspect_argv_runs_under_timeout():
    argv = dk.build_inspect_argv("pg", timeout=30)
    assert argv[:4] == ["timeout", "-k", "5", "30"]
    assert argv[4:8] == ["docker", "inspect", "--type", "container"]
    assert argv[8] == "--format" and argv[9] == dk.inspect_format()
    assert argv[-1] == "pg"


@pytest.mark.parametrize("timeout, prefix", [(0, []), (1, ["timeout", "-k", "5", "1"]), ("7", ["timeout", "-k", "5", "7"])])
def test_timeout_prefix(timeout, prefix):
    argv = dk.build_inspect_argv("pg", docker_cli="/usr/bin/docker", timeout=timeout)
    assert argv[:len(prefix)] == prefix
    assert argv[len(prefix)] == "/usr/bin/docker"


def test_negative_timeout_refused():
    with pytest.raises(ValueError):
        dk.with_timeout(["docker"], -1)


def test_ps_argv_lists_names_and_images_only():
    argv = dk.build_ps_argv("docker", timeout=30)
    assert argv[4:] == ["docker", "ps", "-a", "--no-trunc", "--format", "{{.Names}}\\t{{.Image}}"]
    # The shell gets the template as one literal word.
    assert shlex.split(" ".join(shlex.quote(a) for a in argv))[-1] == "{{.Names}}\\t{{.Image}}"


# --- parsing -------------------------------------------------------------------

@pytest.mark.parametrize("raw, up, status, fields", [
    (_state("running", True), True, "running", {"running": True, "paused": False}),
    (_state("paused", True, paused=True), False, "paused", {"running": True, "paused": True}),
    (_state("restarting", True, restarting=True), False, "restarting", {"restarting": True}),
    (_state("exited", False, exit_code=137), False, "exited", {"running": False, "exit_code": 137}),
    (_state("created", False), False, "created", {"running": False}),
])
def test_parse_inspect_states(raw, up, status, fields):
    res = dk.parse_inspect(json.dumps(raw))
    assert res["exists"] is True
    assert res["up"] is up
    assert res["status"] == status
    for key, value in fields.items():
        assert res[key] == value, key
    assert res["name"] == "fancai-vibe-hackathon-postgres-1"  # docker's leading slash dropped
    assert res["image"] == "postgres:15.7-alpine"
    assert res["id"] == FULL_INSPECT["Id"]


@pytest.mark.parametrize("labels", [False, True])
def test_parse_inspect_keeps_whitelisted_fields_only(labels):
    # Even if docker printed the whole object, no secret reaches the result.
    res = dk.parse_inspect(json.dumps(FULL_INSPECT), labels=labels)
    assert SECRET not in json.dumps(res)
    assert ("labels" in res) == labels
    if labels:
        assert res["labels"] == {"com.docker.compose.project": "fancai-vibe-hackathon"}


@pytest.mark.parametrize("stdout", ["", "   \n", "[]", "not json"])
def test_parse_inspect_refuses_garbage(stdout):
    with pytest.raises(ValueError):
        dk.parse_inspect(stdout)


def test_missing_result_has_the_same_keys():
    present = dk.parse_inspect(json.dumps(FULL_INSPECT), labels=True)
    missing = dk.missing_result(labels=True)
    assert set(missing) == set(present)
    assert missing["exists"] is False and missing["up"] is False


def test_parse_ps_keeps_postgres_looking_containers():
    out = ("fancai-vibe-hackathon-backend-1\tfancai/backend:latest\n"
           "fancai-vibe-hackathon-postgres-1\tpostgres:15.7-alpine\n"
           "old-pg,web/db\tbitnami/PostgreSQL:13\n"
           "\n"
           "lead-pg\tfancai-db-runbooks/postgres:15\n")
    assert dk.parse_ps(out) == [
        {"name": "fancai-vibe-hackathon-postgres-1", "image": "postgres:15.7-alpine"},
        {"name": "lead-pg", "image": "fancai-db-runbooks/postgres:15"},
        {"name": "old-pg", "image": "bitnami/PostgreSQL:13"},
    ]


@pytest.mark.parametrize("out", ["", "redis\tredis:7\n", "garbage line\n"])
def test_parse_ps_nothing_found(out):
    assert dk.parse_ps(out) == []


def test_parse_ps_literal_tab_escape():
    assert dk.parse_ps("pg\\tpostgres:15") == [{"name": "pg", "image": "postgres:15"}]


@pytest.mark.parametrize("rc, stderr, missing", [
    (1, "Error response from daemon: No such container: pg", True),
    (1, "Error: No such container: pg", True),
    (1, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.", False),
    (124, "", False),
])
def test_is_missing_container(rc, stderr, missing):
    """Only docker's own answer means the container is missing."""
    assert dk.is_missing_container(rc, stderr) is missing


# --- messages ------------------------------------------------------------------

@pytest.mark.parametrize("rc, stderr, words", [
    (124, "", ["db1", "within 30 s", "hung or paused", "systemctl status docker"]),
    (137, "Killed", ["db1", "within 30 s", "with KILL", "hung or paused"]),
    (127, "timeout: failed to run command 'docker': No such file or directory",
     ["'docker'", "db1", "install the Docker CLI", "preflight_docker_cli"]),
    (127, "sh: 1: docker: not found", ["'docker'", "db1", "preflight_docker_cli"]),
    (127, "sh: 1: timeout: not found", ["db1", "timeout", "coreutils", "timeout option to 0"]),
    (1, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
     ["Docker engine on db1 did not answer", "systemctl start docker", "Cannot connect"]),
    (1, "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock",
     ["db1", "docker group", "become"]),
    (1, "something else entirely", ["db1", "exited with 1", "something else entirely"]),
])
def test_describe_docker_failure(rc, stderr, words):
    """Each failure names the docker host and the fix."""
    msg = dk.describe_docker_failure(rc, stderr, "db1", "docker", 30)
    for word in words:
        assert word in msg, (word, msg)


# --- the action, with a fake docker host ---------------------------------------

class FakeHost:
    """Answers _low_level_execute_command by the docker subcommand it was given."""

    def __init__(self, inspect=(0, "", ""), ps=(0, "", "")):
        self.answers = {"inspect": inspect, "ps": ps}
        self.commands = []

    def __call__(self, cmd, in_data=None, executable=None, **kwargs):
        self.commands.append(cmd)
        argv = shlex.split(cmd)
        sub = "inspect" if "inspect" in argv else "ps"
        rc, out, err = self.answers[sub]
        return dict(rc=rc, stdout=out, stderr=err)


def _run(args, fake, check_mode=False, task_vars=None):
    task = mock.MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    task.action = "fancai.db_runbooks.container_info"
    connection = mock.MagicMock()
    connection._shell.tmpdir = "/tmp/x"
    plugin = action.ActionModule(task, connection, mock.MagicMock(), mock.MagicMock(), mock.MagicMock())
    plugin._low_level_execute_command = fake
    return plugin.run(task_vars=dict({"inventory_hostname": "db1"}, **(task_vars or {})))


@pytest.mark.parametrize("check_mode", [False, True])
def test_action_running_container(check_mode):
    fake = FakeHost(inspect=(0, json.dumps(FULL_INSPECT) + "\n", ""))
    res = _run({"name": "fancai-vibe-hackathon-postgres-1"}, fake, check_mode=check_mode)
    assert res["changed"] is False and not res.get("failed")
    assert res["exists"] and res["up"] and res["status"] == "running"
    assert res["postgres_containers"] == []
    assert "labels" not in res
    assert len(fake.commands) == 1 and res["queries"] == fake.commands
    assert res["cmd"] == shlex.split(fake.commands[0])
    assert SECRET not in json.dumps(res)


def test_action_missing_container_lists_postgres_ones():
    fake = FakeHost(inspect=(1, "", "Error response from daemon: No such container: pg-9"),
                    ps=(0, "pg-1\tpostgres:15\nweb\tnginx\n", ""))
    res = _run({"name": "pg-9", "labels": True}, fake)
    assert not res.get("failed")
    assert res["exists"] is False and res["labels"] == {}
    assert res["postgres_containers"] == [{"name": "pg-1", "image": "postgres:15"}]
    assert len(res["queries"]) == 2 and " ps -a " in res["queries"][1]


@pytest.mark.parametrize("inspect, ps, words", [
    ((124, "", ""), None, ["within 7 s", "db1"]),
    ((1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock."), None,
     ["Docker engine on db1"]),
    ((1, "", "Error: No such container: pg"), (124, "", ""), ["within 7 s"]),
    ((0, "garbage", ""), None, ["printed something unexpected", "db1", "pg"]),
])
def test_action_failures_name_the_host_and_fix(inspect, ps, words):
    fake = FakeHost(inspect=inspect, ps=ps or (0, "", ""))
    res = _run({"name": "pg", "timeout": 7}, fake)
    assert res["failed"] is True and res["changed"] is False
    for word in words:
        assert word in res["msg"], (word, res["msg"])


def test_action_uses_preflight_docker_cli():
    fake = FakeHost(inspect=(0, json.dumps(FULL_INSPECT), ""))
    res = _run({"name": "pg"}, fake, task_vars={"preflight_target": {"docker_cli": "/opt/docker"}})
    assert res["cmd"][4] == "/opt/docker"


@pytest.mark.parametrize("args, word", [
    ({"name": "bad name; rm -rf /"}, "not a valid docker container name"),
    ({"name": "pg", "timeout": -3}, "timeout=-3"),
])
def test_action_refuses_bad_input(args, word):
    with pytest.raises(AnsibleActionFail, match=word):
        _run(args, FakeHost())


def test_docs_match_argspec():
    import ast

    tree = ast.parse(open(os.path.join(ROOT, "plugins", "modules", "container_info.py"), encoding="utf-8").read())
    docs = {n.targets[0].id: yaml.safe_load(n.value.value) for n in tree.body
            if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") in ("DOCUMENTATION", "RETURN")}
    options = docs["DOCUMENTATION"]["options"]
    assert set(options) == set(action._ARGSPEC)
    for name, spec in action._ARGSPEC.items():
        assert options[name]["type"] == spec["type"], name
        assert options[name].get("default") == spec.get("default"), name
    fake = FakeHost(inspect=(0, json.dumps(FULL_INSPECT), ""))
    returned = set(_run({"name": "pg", "labels": True}, fake)) - {"changed"}
    assert returned <= set(docs["RETURN"]), returned - set(docs["RETURN"])


def test_killed_without_timeout_is_not_called_a_timeout():
    assert "within" not in dk.describe_docker_failure(137, "Killed", "db1", "docker", 0)
