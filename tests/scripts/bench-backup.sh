#!/usr/bin/env bash
#
# bench-backup.sh - the measurements behind the backup role's defaults
# (docs/backup.md): dump time and size per pg_dump -Z level, the cost of the
# full read and of the sha256, a restore, and the peak memory of Ansible and of
# the dump pipeline, on a generated bookreader database.
#
#   tests/scripts/bench-backup.sh [scale] [words]     (defaults: 500 2500, ~400 MB)
#
# It starts its own container, dbrb-bench-backup (labelled
# io.fancai.db_runbooks.bench=backup), and removes it at the end. Needs the venv
# (make venv) and the test image (make image, or DB_RUNBOOKS_TEST_IMAGE).
# Prints a Markdown table on stdout; progress goes to stderr.

set -euo pipefail
cd "$(dirname "$0")/../.."

scale=${1:-500}
words=${2:-2500}
container=dbrb-bench-backup
image=${DB_RUNBOOKS_TEST_IMAGE:-$(cat .cache/test-image 2>/dev/null || echo postgres:15)}
work=$(mktemp -d /var/tmp/dbrb-bench-backup.XXXXXX)
script=roles/backup/files/db_runbooks_backup.sh
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$PWD/.collections"
export DB_RUNBOOKS_ROW_COUNTS_SQL
DB_RUNBOOKS_ROW_COUNTS_SQL=$(python -c 'import yaml; print(yaml.safe_load(open("roles/backup/vars/main.yml"))["__backup_row_counts_sql"])')

log() { printf '%s\n' "$*" >&2; }
psql_c() { docker exec -i "$container" psql -X -q -A -t -v ON_ERROR_STOP=1 -U postgres "$@"; }

cleanup() {
    # Only the container this script made (checked by its label).
    if [[ "$(docker inspect -f '{{ index .Config.Labels "io.fancai.db_runbooks.bench" }}' "$container" 2>/dev/null)" == backup ]]; then
        docker rm -f -v "$container" >/dev/null
    fi
    rm -rf -- "$work"
}
trap cleanup EXIT

if docker inspect "$container" >/dev/null 2>&1; then
    [[ "$(docker inspect -f '{{ index .Config.Labels "io.fancai.db_runbooks.bench" }}' "$container")" == backup ]] \
        || { log "a container named $container exists and is not this benchmark's: left alone"; trap - EXIT; exit 1; }
    docker rm -f -v "$container" >/dev/null
fi

log "starting $container from $image"
docker run -d --name "$container" --label io.fancai.db_runbooks.bench=backup \
    -e POSTGRES_HOST_AUTH_METHOD=trust "$image" >/dev/null
for _ in $(seq 1 60); do docker exec "$container" pg_isready -h 127.0.0.1 -U postgres >/dev/null 2>&1 && break; sleep 1; done

log "building bookreader_dev (scale $scale, $words words a chapter)"
psql_c -d postgres -c "CREATE DATABASE bookreader_dev"
psql_c -d bookreader_dev -c 'CREATE EXTENSION "uuid-ossp"' -c 'CREATE EXTENSION pg_trgm'
psql_c -d bookreader_dev --single-transaction < roles/schema_load/files/enum_checks_2025.sql
t0=$(date +%s)
psql_c -d bookreader_dev --single-transaction -v scale="$scale" -v words="$words" < molecule/backup/files/seed.sql
psql_c -d bookreader_dev -c "VACUUM ANALYZE"
log "seeded in $(( $(date +%s) - t0 )) s"
db_size=$(psql_c -d postgres -c "SELECT pg_database_size('bookreader_dev')")
rows=$(psql_c -d bookreader_dev -c "SELECT sum(n_live_tup) FROM pg_stat_user_tables")

mkdir -p "$work/bookreader_dev"
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
field() { sed -n "s/.*\"$1\": \([^,}]*\).*/\1/p" <<<"$2" | tr -d '"' | head -n 1; }

echo "Database: $(mib "$db_size") (pg_database_size), $rows rows, PostgreSQL $(psql_c -d postgres -c 'SHOW server_version'); $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| -Z | dump | file | full read | full read / dump | sha256 | peak RSS of the pipeline |"
echo "|---|---|---|---|---|---|---|"
for z in 0 1 6 9; do
    log "dump -Z$z"
    /usr/bin/time -o "$work/rss" -f '%M' "$script" --container "$container" --database bookreader_dev \
        --dir "$work/bookreader_dev" --compress "$z" --space-factor 0 >"$work/out" 2>"$work/err" \
        || { cat "$work/out" "$work/err" >&2; exit 1; }
    json=$(grep '^__db_runbooks_backup__' "$work/out")
    rss=$(tail -n 1 "$work/rss")
    dump_s=$(field dump_seconds "$json"); verify_s=$(field verify_seconds "$json"); sha_s=$(field checksum_seconds "$json")
    size=$(field size "$json")
    echo "| $z | $dump_s s | $(mib "$size") | $verify_s s | $(awk -v a="$verify_s" -v b="$dump_s" 'BEGIN { printf "%.0f %%", 100 * a / b }') | $sha_s s | $rss KiB |"
    last=$(field path "$json")
    [[ "$z" == 1 ]] && z1=$last || rm -f -- "$last" "$last.sha256" "$last.json"
done

log "restore of the -Z1 dump"
psql_c -d postgres -c "CREATE DATABASE restore_bench"
t0=$(date +%s.%N)
docker exec -i "$container" pg_restore -U postgres -d restore_bench --exit-on-error --single-transaction < "$z1"
echo
echo "Restore of the -Z1 dump (pg_restore --single-transaction, streamed in): $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s."
psql_c -d postgres -c "DROP DATABASE restore_bench"

log "peak memory of ansible-playbook during a backup of this database, then of a 1-row one"
for db in bookreader_dev tiny; do
    [[ "$db" == tiny ]] && psql_c -d postgres -c "CREATE DATABASE tiny" && psql_c -d tiny -c "CREATE TABLE t AS SELECT 1 AS x"
    (cd playbooks && /usr/bin/time -o "$work/rss" -f '%M' ansible-playbook backup.yml -e db_runbooks_container="$container" \
        -e db_runbooks_database="$db" -e db_runbooks_backup_dir="$work/ansible" -e backup_drill=false \
        -e backup_retention=false -e backup_space_factor=0 >"$work/out" 2>&1) || { cat "$work/out" >&2; exit 1; }
    rss=$(tail -n 1 "$work/rss")
    echo
    echo "Peak RSS of ansible-playbook (largest process of its tree) backing up $db: $rss KiB."
done
