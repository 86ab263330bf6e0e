#!/usr/bin/env bash
# Record every process's arguments on the docker host (`ps -ww -eo args`, never
# cut; the containers' processes are among them) every 0.2 s until STOP exists,
# or for MAX seconds at most. OUT gets "@@ sample <n>" per sample, then only
# the lines not seen before, and "@@ end <n>" when it stops.
# Usage: sample-ps.sh OUT STOP [MAX]
set -u -o pipefail
out=$1
stop=$2
max=${3:-600}
end=$(( $(date +%s) + max ))
n=0
while [ ! -e "$stop" ] && [ "$(date +%s)" -lt "$end" ]; do
  n=$((n + 1))
  echo "@@ sample $n"
  ps -ww -eo args
  sleep 0.2
done | awk '/^@@ sample / { last = $3; print; next } !seen[$0]++ { print } END { print "@@ end " last }' > "$out"
