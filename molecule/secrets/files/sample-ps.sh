#!/usr/bin/env bash
# Record every process's arguments (`ps -ww -eo args`, never cut) every 0.2 s
# until STOP exists (or after MAX seconds, so a failed run never leaves it
# behind). OUT gets a "@@ sample <n>" line per sample and, after it, only the
# argument lines not seen in an earlier sample (the file stays small), then
# "@@ end <n>".
# Usage: sample-ps.sh OUT STOP [MAX]
set -u -o pipefail
out=$1
stop=$2
max=${3:-900}
end=$(( $(date +%s) + max ))
n=0
while [ ! -e "$stop" ] && [ "$(date +%s)" -lt "$end" ]; do
  n=$((n + 1))
  echo "@@ sample $n"
  ps -ww -eo args
  sleep 0.2
done | awk '/^@@ sample / { last = $3; print; next } !seen[$0]++ { print } END { print "@@ end " last }' > "$out"
