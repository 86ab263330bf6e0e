#!/usr/bin/env bash
# Insert one row per statement into users until $STOP exists (at most $MAX_S
# seconds), each in its own connection as an application reconnecting would;
# append the id of every insert the server acknowledged (psql exit 0) to $ACKED.
set -u
container=$1 acked=$2 stop=$3 max_s=${4:-180}
end=$(( $(date +%s) + max_s ))
i=0
: > "$acked"
while [ ! -e "$stop" ] && [ "$(date +%s)" -lt "$end" ]; do
    i=$((i + 1))
    if docker exec "$container" psql -X -q -A -t -v ON_ERROR_STOP=1 -U postgres -d bookreader_dev \
        -c "INSERT INTO users (email, password_hash) VALUES ('writer$i@example.org', 'x')" >/dev/null 2>&1; then
        echo "$i" >> "$acked"
    fi
done
echo done >> "$acked.finished"
