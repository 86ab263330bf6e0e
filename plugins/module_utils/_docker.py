# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers behind fancai.db_runbooks.container_info: docker CLI argv, parsing, messages.

The container inspection asks docker for a handful of fields through a Go
template and nothing else: a full ``docker inspect`` carries the container's
environment (``POSTGRES_PASSWORD=…``), its command line and its mounts, and
whatever Ansible registers is printed at ``-v`` and stored by AWX. Parsing
keeps only the same whitelisted fields, so even a docker that answered with
more could not pass a secret on.

This is a private module (leading underscore): its API may change between
releases of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

# The only fields ever asked for. Labels come only when asked for (they are
# metadata, but they are not needed to check a container).
_STATE_FIELDS = (
    ("Status", ".State.Status"),
    ("Running", ".State.Running"),
    ("Paused", ".State.Paused"),
    ("Restarting", ".State.Restarting"),
    ("ExitCode", ".State.ExitCode"),
    ("StartedAt", ".State.StartedAt"),
)
_TOP_FIELDS = (
    ("Id", ".Id"),
    ("Name", ".Name"),
    ("Image", ".Config.Image"),
)
_LABELS_FIELD = ("Labels", ".Config.Labels")

# Image names that make a container "look like PostgreSQL" in the listing.
POSTGRES_IMAGE_HINT = "postgres"

# Exit codes of coreutils' timeout (and of the shell for a missing program).
RC_TIMED_OUT = 124
# timeout's status when the program ignored TERM and needed KILL (128 + 9).
RC_KILLED = 137
RC_CANNOT_RUN = 126
RC_NOT_FOUND = 127

# Extra seconds timeout waits after TERM before it sends KILL.
KILL_AFTER = 5


def _json_object(fields):
    return "{%s}" % ",".join('"%s":{{json %s}}' % (key, path) for key, path in fields)


def inspect_format(labels=False):
    """The Go template for ``docker inspect``: one JSON object with the whitelisted fields only."""
    top = list(_TOP_FIELDS) + ([_LABELS_FIELD] if labels else [])
    return "{%s,\"State\":%s}" % (_json_object(top)[1:-1], _json_object(_STATE_FIELDS))


def with_timeout(argv, timeout):
    """Prefix *argv* with ``timeout -k 5 <timeout>`` (run on the docker host), unless timeout is 0."""
    timeout = int(timeout)
    if timeout < 0:
        raise ValueError("timeout must be 0 (no limit) or a number of seconds, not %r" % timeout)
    if timeout == 0:
        return list(argv)
    return ["timeout", "-k", str(KILL_AFTER), str(timeout)] + list(argv)


def build_inspect_argv(name, docker_cli="docker", timeout=30, labels=False):
    """argv that prints one container's whitelisted fields as JSON (never its environment)."""
    return with_timeout(
        [docker_cli, "inspect", "--type", "container", "--format", inspect_format(labels), name],
        timeout)


def build_ps_argv(docker_cli="docker", timeout=30):
    """argv that lists every container (running or not) by names and image only."""
    return with_timeout([docker_cli, "ps", "-a", "--no-trunc", "--format", "{{.Names}}\\t{{.Image}}"], timeout)


def is_missing_container(rc, stderr):
    """True when docker answered that the container does not exist."""
    return rc == 1 and "no such container" in (stderr or "").lower()


def _bool(value):
    return value is True or (isinstance(value, str) and value.lower() == "true")


def parse_inspect(stdout, labels=False):
    """Turn the template's JSON into the action's result keys, keeping whitelisted fields only."""
    text = (stdout or "").strip()
    if not text:
        raise ValueError("docker inspect printed nothing")
    # One object per line; the name matches exactly one container.
    raw = json.loads(text.splitlines()[0])
    if not isinstance(raw, dict):
        raise ValueError("docker inspect printed %s, not an object" % type(raw).__name__)
    state = raw.get("State") or {}
    running = _bool(state.get("Running"))
    paused = _bool(state.get("Paused"))
    restarting = _bool(state.get("Restarting"))
    exit_code = state.get("ExitCode")
    result = dict(
        exists=True,
        id=str(raw.get("Id") or ""),
        name=str(raw.get("Name") or "").lstrip("/"),
        image=str(raw.get("Image") or ""),
        status=str(state.get("Status") or ""),
        running=running,
        paused=paused,
        restarting=restarting,
        # Up means it serves: docker reports a paused container as running.
        up=running and not paused and not restarting,
        exit_code=exit_code if isinstance(exit_code, int) and not isinstance(exit_code, bool) else None,
        started_at=str(state.get("StartedAt") or ""),
    )
    if labels:
        value = raw.get("Labels") or {}
        result["labels"] = dict((str(k), str(v)) for k, v in value.items()) if isinstance(value, dict) else {}
    return result


def missing_result(labels=False):
    """The result keys for a container that does not exist."""
    result = dict(exists=False, id="", name="", image="", status="", running=False, paused=False,
                  restarting=False, up=False, exit_code=None, started_at="")
    if labels:
        result["labels"] = {}
    return result


def parse_ps(stdout, hint=POSTGRES_IMAGE_HINT):
    """Containers of ``docker ps -a`` whose image contains *hint*: [{name, image}], sorted by name."""
    found = []
    for line in (stdout or "").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = line.split("\t", 1) if "\t" in line else line.split("\\t", 1)
        if len(parts) != 2:
            continue
        names, image = parts[0].strip(), parts[1].strip()
        if hint and hint not in image.lower():
            continue
        # Legacy links give a container several comma-separated names.
        for name in names.split(","):
            name = name.strip().lstrip("/")
            if name and "/" not in name:
                found.append(dict(name=name, image=image))
    return sorted(found, key=lambda c: c["name"])


def describe_docker_failure(rc, stderr, docker_host, docker_cli="docker", timeout=30):
    """Word a failed docker CLI call on *docker_host*: what happened and how to fix it."""
    err = (stderr or "").strip()
    first = err.splitlines()[0] if err else "(no message)"
    if timeout and rc in (RC_TIMED_OUT, RC_KILLED):
        return (
            "docker on %s did not answer within %s s (`%s` was ended%s): the Docker engine is hung or "
            "paused. Check it with `systemctl status docker` (and `docker info`) on %s, restart it if "
            "needed, then run again; a slow engine can be given more time with the timeout option."
            % (docker_host, timeout, docker_cli, " with KILL" if rc == RC_KILLED else "", docker_host)
        )
    if "failed to run command" in err or (rc in (RC_CANNOT_RUN, RC_NOT_FOUND) and docker_cli in err):
        return (
            "the docker client %r could not be run on %s (%s): install the Docker CLI there, or set "
            "preflight_docker_cli (docker_cli=) to its full path." % (docker_cli, docker_host, first)
        )
    if rc in (RC_CANNOT_RUN, RC_NOT_FOUND):
        return (
            "a program the container check needs could not be run on %s (%s): it runs `timeout` "
            "(coreutils) and %r there; install them, or set the timeout option to 0." % (
                docker_host, first, docker_cli)
        )
    if "permission denied" in err and "docker" in err.lower():
        return (
            "the user Ansible connects as on %s may not use the Docker engine (%s): add it to the "
            "docker group or become root (become: true), then run again." % (docker_host, first)
        )
    if "Cannot connect to the Docker daemon" in err or "Is the docker daemon running" in err \
            or "error during connect" in err:
        return (
            "the Docker engine on %s did not answer (%s): start it (`systemctl start docker`) or point "
            "DOCKER_HOST at the right one, then run again." % (docker_host, first)
        )
    return "`%s` on %s exited with %s: %s" % (docker_cli, docker_host, rc, err or first)
