#!/usr/bin/env bash
# Run Molecule scenarios one after the other (all of them by default), time
# each, and end with a summary line `scenarios: N passed, N failed`.
# Usage: run-molecule.sh [scenario …]
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "$#" -gt 0 ]; then
  scenarios=("$@")
else
  mapfile -t scenarios < <(for f in molecule/*/molecule.yml; do basename "$(dirname "$f")"; done)
fi

all_start=$(date +%s)
passed=0
failed=0
failed_names=()
summary=()
for s in "${scenarios[@]}"; do
  echo "=== molecule test -s $s"
  start=$(date +%s)
  if molecule test -s "$s"; then
    passed=$((passed + 1)); status=passed
  else
    failed=$((failed + 1)); status=FAILED; failed_names+=("$s")
  fi
  summary+=("$(printf '%-22s %-7s %4ss' "$s" "$status" "$(( $(date +%s) - start ))")")
done

echo
echo "Molecule scenarios:"
printf '  %s\n' "${summary[@]}"
echo "  total: $(( $(date +%s) - all_start ))s"
[ "$failed" -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "scenarios: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
