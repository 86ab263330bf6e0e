#!/usr/bin/env bash
#
# bench-restore.sh - how long playbooks/restore.yml takes next to the guide's
# own commands (Method 1: drop, create, two extensions, load, stamp), on the
# same PostgreSQL 15 container.
#
#   tests/scripts/bench-restore.sh [runs]        (default 3; median reported)
#
# Cases: the guide's raw docker exec lines (no checks, no safety net); restore.yml
# on an absent database (build aside, verify, rename); restore.yml on a clean
# database (verify only, changed=0); restore.yml rebuilding a broken one
# (safety dump, build, verify, swap). Starts its own container dbrb-bench-restore
# (labelled) and removes it at the end. Needs the venv and the test image.
# Prints a Markdown table on stdout; progress goes to stderr.

set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${1:-3}
container=dbrb-bench-restore
image=${DB_RUNBOOKS_TEST_IMAGE:-$(cat .cache/test-image 2>/dev/null || echo postgres:15)}
schema=roles/schema_load/files/enum_checks_2025.sql
work=$(mktemp -d /var/tmp/dbrb-bench-restore.XXXXXX)
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$PWD/.collections"

log() { printf '%s\n' "$*" >&2; }
cleanup() {
  if [ "$(docker inspect -f '{{ index .Config.Labels "io.fancai.db_runbooks.bench" }}' "$container" 2>/dev/null)" = restore ]; then
    docker rm -f -v "$container" >/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if docker inspect "$container" >/dev/null 2>&1; then
  [ "$(docker inspect -f '{{ index .Config.Labels "io.fancai.db_runbooks.bench" }}' "$container")" = restore ] \
    || { log "a container named $container exists and is not this benchmark's: left alone"; exit 1; }
  docker rm -f -v "$container" >/dev/null
fi
docker run -d --name "$container" --label io.fancai.db_runbooks.bench=restore \
  -e POSTGRES_PASSWORD="$(head -c 12 /dev/urandom | base64 | tr -dc a-zA-Z0-9)" "$image" >/dev/null
until docker exec "$container" pg_isready -h 127.0.0.1 -U postgres >/dev/null 2>&1; do sleep 0.5; done

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ex() { docker exec "$container" psql -U postgres "$@" >/dev/null; }

guide() {
  # The guide's Method 1, line for line (without ON_ERROR_STOP, as written there).
  ex -c "DROP DATABASE IF EXISTS bookreader_dev;"
  ex -c "CREATE DATABASE bookreader_dev;"
  ex -d bookreader_dev -c 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";'
  ex -d bookreader_dev -c "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
  docker exec -i "$container" psql -U postgres -d bookreader_dev < "$schema" >/dev/null
  ex -d bookreader_dev -c "INSERT INTO alembic_version (version_num) VALUES ('enum_checks_2025');"
}

playbook() {
  ansible-playbook playbooks/restore.yml -e db_runbooks_container="$container" \
    -e db_runbooks_backup_dir="$work/backups" "$@" > "$work/last.log" 2>&1 \
    || { cat "$work/last.log" >&2; exit 1; }
}
drop_db() { ex -c "DROP DATABASE IF EXISTS bookreader_dev WITH (FORCE);"; }
break_db() { ex -d bookreader_dev -c "DROP INDEX ix_books_title;"; }

declare -A t
for case in guide absent clean broken; do
  for _ in $(seq "$runs"); do
    case $case in
      guide)  drop_db; s=$(now); guide; e=$(now) ;;
      absent) drop_db; s=$(now); playbook; e=$(now) ;;
      clean)  s=$(now); playbook; e=$(now)
              grep -q 'changed=0' "$work/last.log" || { log "clean run changed something"; exit 1; } ;;
      broken) break_db; s=$(now); playbook -e db_runbooks_confirm_destroy=bookreader_dev; e=$(now) ;;
    esac
    d=$(awk -v a="$s" -v b="$e" 'BEGIN {printf "%.3f", b - a}')
    t[$case]+="$d "
    log "$case: $d s"
  done
done

g=$(echo "${t[guide]}" | tr ' ' '\n' | grep . | median)
printf '| case | median of %s runs | vs the guide |\n| --- | --- | --- |\n' "$runs"
for case in guide absent clean broken; do
  m=$(echo "${t[$case]}" | tr ' ' '\n' | grep . | median)
  printf '| %s | %.2f s | %.1f× |\n' "$case" "$m" "$(awk -v a="$m" -v b="$g" 'BEGIN {print a / b}')"
done
