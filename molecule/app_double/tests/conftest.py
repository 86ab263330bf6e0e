"""Fixtures of the app_double scenario: the backend container and compose mode's password."""

import os
import shlex

import pytest


class Backend:
    """Runs commands in the scenario's backend container, as its own user (docker exec, no --user)."""

    def __init__(self, host, container):
        self.host = host
        self.container = container

    def run(self, *argv):
        return self.host.run("docker exec %s %s" % (
            shlex.quote(self.container), " ".join(shlex.quote(a) for a in argv)))

    def sh(self, script):
        return self.run("/bin/sh", "-c", script)

    def alembic(self, *args):
        return self.run("alembic", *args)


@pytest.fixture(scope="module")
def backend(host, inventory_vars):
    return Backend(host, inventory_vars["db_runbooks_backend_container"])


@pytest.fixture(scope="module")
def ephemeral_dir():
    return os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]


@pytest.fixture(scope="module")
def password(ephemeral_dir):
    """The superuser password create.yml chose (kept in the ephemeral directory in compose mode)."""
    with open(os.path.join(ephemeral_dir, "test-app-password"), encoding="utf-8") as f:
        value = f.read().strip()
    assert len(value) >= 16, "the password file holds no usable password"
    return value


@pytest.fixture(scope="module")
def network(inventory_vars):
    return inventory_vars["db_runbooks_container"] + "-net"
