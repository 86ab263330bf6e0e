"""No password in what compose mode's create.yml prints: converge ran it again at -vvv and kept
its output. The search is proven by finding the password where it is (the backend's environment)."""

import os

import pytest


@pytest.fixture(scope="module")
def create_log(ephemeral_dir):
    with open(os.path.join(ephemeral_dir, "create-vvv.log"), encoding="utf-8") as f:
        return f.read()


def test_log_is_the_create_run(create_log):
    assert "Start the application's backend (compose mode)" in create_log
    assert "Start the application's PostgreSQL (compose mode)" in create_log


def test_password_is_findable_where_it_is(host, inventory_vars, password):
    env = host.check_output("docker inspect --format '{{ json .Config.Env }}' %s",
                            inventory_vars["db_runbooks_backend_container"])
    assert password in env


def test_no_password_in_the_output(create_log, password):
    assert password not in create_log


def test_no_database_url_in_the_output(create_log):
    assert "postgresql+asyncpg://" not in create_log
