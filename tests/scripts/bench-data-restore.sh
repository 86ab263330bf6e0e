#!/usr/bin/env bash
#
# bench-data-restore.sh - what parallel jobs buy a restore from a backup
# (playbooks/restore.yml -e db_runbooks_restore_from=…): on a generated
# bookreader database, the same -Fc dump restored into a fresh database three
# ways, each timed, then the ratios:
#   naive   docker exec -i C pg_restore --single-transaction < dump   (streamed, one job)
#   -j 1    docker cp dump C:/tmp/…; pg_restore -j 1 /tmp/…           (what the role does)
#   -j 2    the same with two jobs
#
#   tests/scripts/bench-data-restore.sh [scale] [words] [runs]   (defaults: 2000 400 1: a database over 300 MB)
#
# The default spreads the bytes over several tables, as a bookreader database
# that has been used holds them (chapters, their descriptions, the generated
# images, reading sessions): 96 000 chapters of 400 words, 288 000
# descriptions. pg_restore -j loads one table per job, so a database whose
# bytes are all in one table (scale 750, words 2500: chapters of 2500 words)
# shows what -j cannot buy. The table sizes are printed with the figures.
#
# It starts its own container, dbrb-bench-datarestore (labelled
# io.fancai.db_runbooks.bench=datarestore), and removes it at the end. Needs the
# test image (make image, or DB_RUNBOOKS_TEST_IMAGE). Not part of make test.
# Prints a Markdown table on stdout; progress goes to stderr.

set -euo pipefail
cd "$(dirname "$0")/../.."

scale=${1:-2000}
words=${2:-400}
runs=${3:-1}
container=dbrb-bench-datarestore
label=datarestore
image=${DB_RUNBOOKS_TEST_IMAGE:-$(cat .cache/test-image 2>/dev/null || echo postgres:15)}
work=$(mktemp -d /var/tmp/dbrb-bench-datarestore.XXXXXX)

log() { printf '%s\n' "$*" >&2; }
psql_c() { docker exec -i "$container" psql -X -q -A -t -v ON_ERROR_STOP=1 -U postgres "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

cleanup() {
    if [[ "$(docker inspect -f '{{ index .Config.Labels "io.fancai.db_runbooks.bench" }}' "$container" 2>/dev/null)" == "$label" ]]; then
        docker rm -f -v "$container" >/dev/null
    fi
    rm -rf -- "$work"
}
trap cleanup EXIT

if docker inspect "$container" >/dev/null 2>&1; then
    [[ "$(docker inspect -f '{{ index .Config.Labels "io.fancai.db_runbooks.bench" }}' "$container")" == "$label" ]] \
        || { log "a container named $container exists and is not this benchmark's: left alone"; trap - EXIT; exit 1; }
    docker rm -f -v "$container" >/dev/null
fi

log "starting $container from $image"
docker run -d --name "$container" --label "io.fancai.db_runbooks.bench=$label" \
    -e POSTGRES_HOST_AUTH_METHOD=trust "$image" >/dev/null
for _ in $(seq 1 60); do docker exec "$container" pg_isready -h 127.0.0.1 -U postgres >/dev/null 2>&1 && break; sleep 1; done

log "building bookreader_dev (scale $scale, $words words a chapter)"
psql_c -d postgres -c "CREATE DATABASE bookreader_dev"
psql_c -d bookreader_dev -c 'CREATE EXTENSION "uuid-ossp"' -c 'CREATE EXTENSION pg_trgm'
psql_c -d bookreader_dev --single-transaction < roles/schema_load/files/enum_checks_2025.sql
psql_c -d bookreader_dev --single-transaction -v scale="$scale" -v words="$words" < molecule/backup/files/seed.sql
psql_c -d bookreader_dev -c "VACUUM ANALYZE"
db_size=$(psql_c -d postgres -c "SELECT pg_database_size('bookreader_dev')")
# The largest tables with their indexes and TOAST, in MiB: how the bytes are spread.
spread=$(psql_c -d bookreader_dev -c "SELECT string_agg(relname || ' ' || mib || ' MiB', ', ' ORDER BY mib DESC)
  FROM (SELECT c.relname, pg_total_relation_size(c.oid) / 1048576 AS mib FROM pg_class c
        WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
        ORDER BY 2 DESC LIMIT 5) t")
log "database: $(( db_size / 1048576 )) MiB"
docker exec "$container" pg_dump -U postgres -d bookreader_dev -Fc -Z1 > "$work/bench.dump"
dump_size=$(stat -c %s "$work/bench.dump")
log "dump: $(( dump_size / 1048576 )) MiB"

fresh() { psql_c -d postgres -c "DROP DATABASE IF EXISTS bench_target" -c "CREATE DATABASE bench_target TEMPLATE template0"; }

naive() {
    fresh
    local t0 t1
    t0=$(now)
    docker exec -i "$container" pg_restore -U postgres -d bench_target --exit-on-error --single-transaction < "$work/bench.dump"
    t1=$(now)
    secs "$t0" "$t1"
}

parallel() {
    # The role's way: the copy into the container counts, and its removal.
    local jobs=$1 t0 t1
    fresh
    t0=$(now)
    docker cp "$work/bench.dump" "$container:/tmp/bench.dump"
    docker exec "$container" pg_restore -U postgres -d bench_target -j "$jobs" --exit-on-error /tmp/bench.dump
    docker exec "$container" rm -f /tmp/bench.dump
    t1=$(now)
    secs "$t0" "$t1"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A times
for way in naive j1 j2; do : > "$work/$way"; done
# Interleaved (naive, -j 1, -j 2, naive, ...): a change in the machine's load
# falls on every way alike.
for run in $(seq 1 "$runs"); do
    for way in naive j1 j2; do
        log "run $run: $way"
        case "$way" in
            naive) naive >> "$work/$way" ;;
            j1) parallel 1 >> "$work/$way" ;;
            j2) parallel 2 >> "$work/$way" ;;
        esac
        echo >> "$work/$way"
    done
done
for way in naive j1 j2; do times[$way]=$(grep . "$work/$way" | median); done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "Database $(( db_size / 1048576 )) MiB (scale $scale, $words words a chapter), dump $(( dump_size / 1048576 )) MiB (-Fc -Z1), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg), median of $runs run(s)"
echo
echo "Largest tables (with indexes and TOAST): $spread"
echo
echo "| restore | time | speed-up over naive (naive time / this time) |"
echo "| --- | --- | --- |"
echo "| naive: docker exec -i … pg_restore --single-transaction < dump | ${times[naive]} s | 1.00× |"
echo "| docker cp + pg_restore -j 1 (copy and its removal included) | ${times[j1]} s | $(ratio "${times[naive]}" "${times[j1]}")× |"
echo "| docker cp + pg_restore -j 2 (copy and its removal included) | ${times[j2]} s | $(ratio "${times[naive]}" "${times[j2]}")× |"
echo
echo "-j 2 over -j 1: $(ratio "${times[j1]}" "${times[j2]}")×"
