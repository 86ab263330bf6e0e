#!/bin/sh
# Init script of the application's PostgreSQL, as its docker-compose mounts it
# into /docker-entrypoint-initdb.d: run once, on the first start, by the image's
# entrypoint, against the temporary socket-only server. POSIX sh and psql only.
set -eu

psql -X -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --no-password \
    --dbname "${POSTGRES_DB:-bookreader_dev}" <<'EOSQL'
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER DATABASE bookreader_dev SET default_text_search_config = 'russian';
EOSQL
