#!/usr/bin/env bash
#
# make-schema-backup.sh - regenerate app/alembic/schema_backup.sql, the
# application's `pg_dump --schema-only` at revision enum_checks_2025, from the
# migration chain in app/alembic/versions (commit the result).
#
# Starts a throwaway pair of containers on their own network, the way the
# application's compose does (PostgreSQL with POSTGRES_DB=bookreader_dev,
# --locale=C and the init script of molecule/shared/files, alias `postgres`;
# the backend image with DATABASE_URL and this checkout's app/ mounted on
# /app), runs `alembic upgrade enum_checks_2025` in the backend, dumps the
# schema, and removes everything again, also on failure.
#
# The dump leaves out pg_dump's \restrict and \unrestrict lines (PostgreSQL
# 15.14 and later write them): the application's PostgreSQL 15.7 writes none,
# and its psql would refuse them.
#
# Environment:
#   DB_RUNBOOKS_TEST_APP_IMAGE       PostgreSQL image (default: tests/images/postgres15-sh/build.sh)
#   DB_RUNBOOKS_TEST_BACKEND_IMAGE   backend image (default: tests/images/backend/build.sh)
#
# Exit codes: 0 written, 1 failure.

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/../../.." && pwd)"
readonly SCRIPT_DIR REPO_DIR
readonly REVISION=enum_checks_2025
readonly OUTPUT="${SCRIPT_DIR}/app/alembic/schema_backup.sql"
readonly INIT_SCRIPT="${REPO_DIR}/molecule/shared/files/bookreader-init.sh"
# dbrb-a-: the application's throwaway containers.
readonly NAME="dbrb-a-schema-backup-$$"

log() { printf '[schema-backup +%ss] %s\n' "$SECONDS" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# shellcheck disable=SC2317,SC2329  # invoked by the trap only
cleanup() {
    local rc=$?
    docker rm -f -v "$NAME" "${NAME}-backend" >/dev/null 2>&1 || true
    docker network rm "${NAME}-net" >/dev/null 2>&1 || true
    rm -f "${OUTPUT}.tmp"
    return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_image="${DB_RUNBOOKS_TEST_APP_IMAGE:-$(bash "${REPO_DIR}/tests/images/postgres15-sh/build.sh")}"
backend_image="${DB_RUNBOOKS_TEST_BACKEND_IMAGE:-$(bash "${SCRIPT_DIR}/build.sh")}"
password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"

log "starting ${NAME} (${pg_image}) and ${NAME}-backend (${backend_image})"
docker network create "${NAME}-net" >/dev/null
docker run -d --name "$NAME" --network "${NAME}-net" --network-alias postgres \
    -e POSTGRES_PASSWORD="$password" -e POSTGRES_DB=bookreader_dev \
    -e POSTGRES_INITDB_ARGS="--encoding=UTF8 --locale=C" \
    -v "${INIT_SCRIPT}:/docker-entrypoint-initdb.d/10-bookreader-init.sh:ro" \
    "$pg_image" >/dev/null
docker run -d --name "${NAME}-backend" --network "${NAME}-net" \
    -e DATABASE_URL="postgresql+asyncpg://postgres:${password}@postgres:5432/bookreader_dev" \
    -v "${SCRIPT_DIR}/app:/app:ro" \
    "$backend_image" >/dev/null

for _ in $(seq 60); do
    docker exec "$NAME" pg_isready -q -h 127.0.0.1 -U postgres && break
    sleep 1
done
docker exec "$NAME" pg_isready -q -h 127.0.0.1 -U postgres || die "PostgreSQL in ${NAME} did not start"

log "alembic upgrade ${REVISION}"
docker exec "${NAME}-backend" alembic upgrade "$REVISION" >&2 || die "alembic upgrade ${REVISION} failed"
[[ "$(docker exec "${NAME}-backend" alembic current 2>/dev/null)" == "${REVISION}" ]] ||
    die "alembic current is not ${REVISION} after the upgrade"

log "pg_dump --schema-only bookreader_dev"
docker exec "$NAME" pg_dump -U postgres --schema-only bookreader_dev |
    grep -Ev '^\\(un)?restrict ' >"${OUTPUT}.tmp" || die "pg_dump failed"
grep -q 'CREATE TABLE public.reading_sessions' "${OUTPUT}.tmp" || die "the dump holds no reading_sessions table"
mv "${OUTPUT}.tmp" "$OUTPUT"
log "wrote ${OUTPUT#"${REPO_DIR}"/} ($(wc -l <"$OUTPUT") lines)"
