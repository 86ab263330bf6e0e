"""The backend double: non-root user app in /app, the Alembic chain, DATABASE_URL pointing
at the network alias `postgres`, and no PostgreSQL client tools."""

import re

EXPECTED_HISTORY = ["initial_2024", "descriptions_priority_2025", "enum_checks_2025",
                    "reading_goals_2026", "progress_index_2026"]


def test_runs_as_non_root_user_app(backend):
    assert backend.run("id", "-un").stdout.strip() == "app"
    assert backend.run("id", "-u").stdout.strip() != "0"


def test_workdir_is_app(backend):
    assert backend.run("pwd").stdout.strip() == "/app"


def test_application_files(backend):
    res = backend.sh("test -f /app/alembic.ini && test -f /app/alembic/env.py "
                     "&& test -f /app/alembic/schema_backup.sql && ls /app/alembic/versions/*.py | wc -l")
    assert res.rc == 0, res.stderr
    assert res.stdout.strip() == "5"


def test_app_is_read_only_for_the_user(backend):
    res = backend.sh("touch /app/alembic/x")
    assert res.rc != 0


def test_python_packages(backend):
    res = backend.run("python3", "-c", "import sys, sqlalchemy, alembic, psycopg2; "
                      "print(sys.version_info[0], sys.version_info[1], sqlalchemy.__version__)")
    assert res.rc == 0, res.stderr
    major, minor, sqlalchemy = res.stdout.split()
    assert (major, minor) == ("3", "11")
    assert sqlalchemy.startswith("2.")


def test_no_postgresql_client_in_the_backend(backend):
    res = backend.sh("command -v psql || command -v pg_dump || command -v pg_restore")
    assert res.rc != 0 and res.stdout == ""


def test_database_url_uses_asyncpg_and_the_alias(backend, password):
    url = backend.run("printenv", "DATABASE_URL").stdout.strip()
    match = re.fullmatch(r"postgresql\+asyncpg://postgres:([^@]+)@postgres:5432/bookreader_dev", url)
    assert match, "DATABASE_URL is not the compose one"
    assert match.group(1) == password


def test_alias_postgres_resolves_to_the_database_container(host, backend, inventory_vars, network):
    ip = host.check_output("docker inspect --format '{{ (index .NetworkSettings.Networks \"%s\").IPAddress }}' %s",
                           network, inventory_vars["db_runbooks_container"])
    assert ip
    res = backend.run("python3", "-c", "import socket; print(socket.gethostbyname('postgres'))")
    assert res.rc == 0, res.stderr
    assert res.stdout.strip() == ip


def test_alembic_heads(backend):
    res = backend.alembic("heads")
    assert res.rc == 0, res.stderr
    assert res.stdout.split() == ["progress_index_2026", "(head)"]


def test_alembic_history_is_the_chain(backend):
    res = backend.alembic("history")
    assert res.rc == 0, res.stderr
    # Newest first: "<down> -> <rev> [(head)], <message>".
    revisions = [re.match(r"(\S+) -> (\S+?),? ", line).group(2)
                 for line in res.stdout.splitlines() if " -> " in line]
    assert list(reversed(revisions)) == EXPECTED_HISTORY
