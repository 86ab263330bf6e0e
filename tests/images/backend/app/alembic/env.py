"""Alembic environment of the bookreader backend test double.

Like the application's: the URL comes from DATABASE_URL (docker-compose sets
postgresql+asyncpg://…); Alembic runs synchronously, so the async driver is
replaced by psycopg2. The whole upgrade runs in ONE transaction: on
PostgreSQL a failing revision rolls back every revision of the run, and
alembic_version is left where it was.
"""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

# The migrations are written with op.* and raw SQL; there is no model metadata.
target_metadata = None


def database_url():
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise SystemExit("DATABASE_URL is not set: it must name the bookreader database")
    return url.replace("+asyncpg", "+psycopg2", 1)


def run_migrations_offline():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
