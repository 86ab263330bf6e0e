#!/usr/bin/env bash
# Run Molecule scenarios (all of them by default), DB_RUNBOOKS_MOLECULE_JOBS at
# a time (default 2: the suite takes about half as long on 2 cores; every
# scenario has its own container, network, lock keys and ephemeral directory,
# so they never touch each other), time each, print each one's log when it
# ends, and end with a summary line `scenarios: N passed, N failed`.
# Usage: run-molecule.sh [scenario …]
set -uo pipefail
cd "$(dirname "$0")/../.."

# The images `make image` resolved (.cache/test-*image), unless the caller chose
# others: the PostgreSQL 15 image, and the application's backend and PostgreSQL
# doubles (compose mode of molecule/shared/create.yml).
for pair in DB_RUNBOOKS_TEST_IMAGE:test-image DB_RUNBOOKS_TEST_BACKEND_IMAGE:test-backend-image \
            DB_RUNBOOKS_TEST_APP_IMAGE:test-app-image; do
  var=${pair%%:*} file=.cache/${pair#*:}
  if [ -z "${!var:-}" ] && [ -s "$file" ]; then export "$var=$(< "$file")"; fi
done

jobs=${DB_RUNBOOKS_MOLECULE_JOBS:-2}
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "DB_RUNBOOKS_MOLECULE_JOBS=$jobs is not a number of jobs (1 or more)"; exit 2; }

if [ "$#" -gt 0 ]; then
  scenarios=("$@")
else
  # Longest first (measured), so the last ones to start are short; then any new one.
  known=(restore_interrupted repair_failures schema_guard locking alembic_stamp secrets app_alembic
         restore_data backup_zstd database_properties app_schema matview backup_failures restore migrate app_newer
         app_rebuild restore_failures restore_writers repair_refused restore_repair repair restore_partial privileges
         awx safety_dumps backup verify failures schema_load app_double extensions database)
  mapfile -t all < <(for f in molecule/*/molecule.yml; do basename "$(dirname "$f")"; done)
  scenarios=()
  for s in "${known[@]}"; do [[ " ${all[*]} " == *" $s "* ]] && scenarios+=("$s"); done
  for s in "${all[@]}"; do [[ " ${scenarios[*]} " == *" $s "* ]] || scenarios+=("$s"); done
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
all_start=$(date +%s)

run_one() {
  local s=$1 start rc
  start=$(date +%s)
  molecule test -s "$s" > "$logs/$s.log" 2>&1
  rc=$?
  echo "$rc $(( $(date +%s) - start ))" > "$logs/$s.status"
}

report() {
  local s=$1 rc secs
  read -r rc secs < "$logs/$s.status"
  echo "=== molecule test -s $s ($( [ "$rc" -eq 0 ] && echo passed || echo FAILED ), ${secs}s)"
  cat "$logs/$s.log"
}

reported=()
for s in "${scenarios[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  echo "--- starting $s"
  run_one "$s" &
  # Print the logs of those that ended, in the order they were started.
  for r in "${scenarios[@]}"; do
    [[ -e "$logs/$r.status" && " ${reported[*]} " != *" $r "* ]] || continue
    report "$r"; reported+=("$r")
  done
done
wait
for r in "${scenarios[@]}"; do
  [[ " ${reported[*]} " != *" $r "* ]] || continue
  report "$r"; reported+=("$r")
done

passed=0; failed=0; failed_names=(); summary=()
for s in "${scenarios[@]}"; do
  read -r rc secs < "$logs/$s.status"
  if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); status=passed
  else failed=$((failed + 1)); status=FAILED; failed_names+=("$s"); fi
  summary+=("$(printf '%-22s %-7s %4ss' "$s" "$status" "$secs")")
done

echo
echo "Molecule scenarios ($jobs at a time):"
printf '  %s\n' "${summary[@]}"
echo "  total: $(( $(date +%s) - all_start ))s"
if [ "$failed" -gt 0 ]; then
  echo "failed: ${failed_names[*]}"
  # Why, in the last lines (where a CI page shows them): each failed scenario's
  # failed tests, or its last fatal task that was not ignored (why-failed.awk),
  # at most 15 lines in all.
  for s in "${failed_names[@]}"; do
    echo "  $s:"
    awk -f tests/scripts/why-failed.awk "$logs/$s.log" | head -n 5 | cut -c1-300 | sed 's/^/    /'
  done | head -n 15
fi
echo "scenarios: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
