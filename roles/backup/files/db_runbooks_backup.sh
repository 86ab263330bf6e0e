#!/usr/bin/env bash
#
# db_runbooks_backup.sh - take ONE verified pg_dump of a database that runs in
# a PostgreSQL container, on the docker host. Shipped and run by the role
# fancai.db_runbooks.backup (ansible.builtin.script); it can also be run by hand.
#
#   db_runbooks_backup.sh --container C --database D --dir DIR [options]
#
#   --kind full|schema      full: pg_dump -Fc -> D-<UTC stamp>.dump (default)
#                           schema: pg_dump --schema-only -> schema_backup-<stamp>.sql,
#                           and schema_backup.sql (a symlink) then points to it
#   --user ROLE             PostgreSQL role, through the container's socket (postgres)
#   --docker CLI            docker client (docker)
#   --compress Z            pg_dump -Z value: 0-9, or METHOD[:DETAIL] with pg_dump 16+ (1)
#   --lock-wait SECONDS     wait this long for another backup of D to finish (0)
#   --table-lock-timeout T  pg_dump --lock-wait-timeout, e.g. 10min ('' = wait forever)
#   --space-factor F        free space needed = F x pg_database_size (1.0)
#   --check                 do every check (session, space, lock), write nothing
#
# Environment: DB_RUNBOOKS_ROW_COUNTS_SQL, a SELECT returning one column
# "row_counts" (a JSON object table -> rows); run in the dump's own snapshot.
#
# What it does, in order (any failure removes every file this run started and
# exits non-zero; earlier backups are never touched):
#   1. lock DIR/.lock with flock, so two backups of one database never overlap;
#      then remove what a killed run left (.*.partial, sidecars without a dump);
#   2. open a session that exports a REPEATABLE READ snapshot and reads, in it,
#      the database size, server version, Alembic revision and row counts;
#      pg_dump then dumps that very snapshot (--snapshot), so the counts in the
#      manifest are exactly what the dump holds, even while the app writes;
#   3. check free space in DIR against pg_database_size, before dumping;
#   4. stream `docker exec C pg_dump` (no -t: a TTY corrupts binary output) into
#      DIR/.<name>.partial; the host never holds the dump in memory;
#   5. fsync it; read it back in full inside the container (pg_restore -f
#      /dev/null decompresses every data block: `pg_restore --list` only reads
#      the table of contents and passes a truncated file); count TOC entries;
#   6. sha256 it; write <name>.sha256 and <name>.json (the manifest), each via
#      its own .partial + fsync + rename; rename the dump last and fsync DIR:
#      a file under its final name always has its checksum and manifest.
#
# Output: one line on stdout, `__db_runbooks_backup__ {json}`, with "failed":
# true and "msg" on failure; progress and tool errors go to stderr.
# Exit codes: 0 done, 1 failed, 2 usage error.

set -Eeuo pipefail
umask 077

readonly MARKER="__db_runbooks_backup__"
readonly MANIFEST_FORMAT="fancai.db_runbooks/backup-manifest/1"

docker_cli=docker
container=""
login_user=postgres
database=""
dir=""
kind=full
compress=1
lock_wait=0
table_lock_timeout=""
space_factor=1.0
check_mode=false

# Set as the run goes; the EXIT trap removes whatever is listed in $cleanup.
cleanup=()
snap_pid=""
stage=start
tmp_err=""
work=""

json_str() {
    # Quote a string for JSON: backslash, quote and control characters.
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    s=$(printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037')
    printf '"%s"' "$s"
}

say() { printf '%s\n' "$*" >&2; }

finish_failed() {
    # The one way out on failure: a JSON line the role reads, the same words on stderr.
    local msg=$1
    say "error: $msg"
    printf '%s {"failed": true, "stage": %s, "msg": %s}\n' "$MARKER" "$(json_str "$stage")" "$(json_str "$msg")"
    exit 1
}

usage() { sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

on_exit() {
    local rc=$?
    if [[ -n "$snap_pid" ]]; then
        kill "$snap_pid" 2>/dev/null || true
        wait "$snap_pid" 2>/dev/null || true
    fi
    if (( rc != 0 )) && (( ${#cleanup[@]} > 0 )); then
        rm -f -- "${cleanup[@]}"
    fi
    [[ -z "$tmp_err" ]] || rm -f -- "$tmp_err"
    [[ -z "$work" ]] || rm -rf -- "$work"
    exit "$rc"
}
trap on_exit EXIT
# A cancelled job (AWX "cancel", ssh hang-up, Ctrl-C) still runs the cleanup.
trap 'stage=interrupted; finish_failed "interrupted by a signal: the partial files were removed, earlier backups are untouched"' HUP INT TERM

now() { date -u +%s.%N; }
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
iso_utc() { date -u -d "@${1%.*}" +%Y-%m-%dT%H:%M:%SZ; }

while (( $# > 0 )); do
    case "$1" in
        --docker) docker_cli=$2; shift 2 ;;
        --container) container=$2; shift 2 ;;
        --user) login_user=$2; shift 2 ;;
        --database) database=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        --kind) kind=$2; shift 2 ;;
        --compress) compress=$2; shift 2 ;;
        --lock-wait) lock_wait=$2; shift 2 ;;
        --table-lock-timeout) table_lock_timeout=$2; shift 2 ;;
        --space-factor) space_factor=$2; shift 2 ;;
        --check) check_mode=true; shift ;;
        -h | --help) usage ;;
        *) say "unknown option: $1"; usage ;;
    esac
done

stage=inputs
[[ "$container" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$ ]] \
    || finish_failed "--container '$container' is not a docker container name"
[[ "$database" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] \
    || finish_failed "--database '$database' is not a plain PostgreSQL identifier"
[[ "$login_user" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] \
    || finish_failed "--user '$login_user' is not a plain PostgreSQL role name"
[[ "$dir" == /* && "$dir" != *'/../'* && "$dir" != *'/..' ]] \
    || finish_failed "--dir '$dir' must be an absolute path without '..'"
[[ "$kind" == full || "$kind" == schema ]] || finish_failed "--kind must be full or schema, not '$kind'"
[[ "$compress" =~ ^([0-9]|(none|gzip|lz4|zstd)(:[a-z0-9=,_-]+)?)$ ]] \
    || finish_failed "--compress '$compress' is not a pg_dump -Z value (0-9, or gzip|lz4|zstd[:level] with pg_dump 16+)"
[[ "$lock_wait" =~ ^[0-9]+$ ]] || finish_failed "--lock-wait '$lock_wait' is not a number of seconds"
[[ -z "$table_lock_timeout" || "$table_lock_timeout" =~ ^[0-9]+(ms|s|min|h)?$ ]] \
    || finish_failed "--table-lock-timeout '$table_lock_timeout' is not a PostgreSQL duration such as 10min"
[[ "$space_factor" =~ ^[0-9]+(\.[0-9]+)?$ ]] || finish_failed "--space-factor '$space_factor' is not a number"

for tool in "$docker_cli" flock sha256sum stat sync awk date; do
    command -v "$tool" >/dev/null 2>&1 \
        || finish_failed "'$tool' is not installed on the docker host $(uname -n) (flock comes with util-linux, the others with coreutils/gawk)"
done
tmp_err=$(mktemp)

# ---------------------------------------------------------------- 1. lock
stage=lock
lock_busy=false
space_dir=$dir
if [[ ! -d "$dir" ]]; then
    # Only --check gets here without the directory (the role creates it first).
    $check_mode || finish_failed "backup directory $dir does not exist on $(uname -n)"
    while [[ ! -d "$space_dir" ]]; do space_dir=$(dirname "$space_dir"); done
else
    [[ -w "$dir" ]] || finish_failed "backup directory $dir is not writable by $(id -un) on $(uname -n)"
    if $check_mode; then
        # Look at the lock without creating it: check mode writes nothing.
        if [[ -e "$dir/.lock" ]]; then
            exec 9<"$dir/.lock"
            if flock -n 9; then flock -u 9; else lock_busy=true; fi
            exec 9<&-
        fi
    elif ! { exec 9>>"$dir/.lock" && flock -w "$lock_wait" 9; }; then
        finish_failed "another backup of $database is running (it holds $dir/.lock; waited ${lock_wait}s): nothing was written. Let it finish, or raise backup_lock_wait"
    fi
fi

stale=()
if ! $check_mode; then
    # We hold the lock: any partial file here is from a run that was killed
    # (SIGKILL, power loss), and a checksum or manifest without its dump is from
    # a run killed between renames. Neither can belong to a running backup.
    shopt -s nullglob
    for f in "$dir"/.*.partial; do stale+=("$f"); done
    for f in "$dir"/*.dump.sha256 "$dir"/*.dump.json "$dir"/schema_backup-*.sql.sha256 "$dir"/schema_backup-*.sql.json; do
        [[ -e "${f%.*}" ]] || stale+=("$f")
    done
    shopt -u nullglob
    (( ${#stale[@]} == 0 )) || { say "removing leftovers of an interrupted run: ${stale[*]}"; rm -f -- "${stale[@]}"; }
fi

# ---------------------------------------------------------------- 2. snapshot session
# The backup is named after the moment its snapshot is taken (UTC), which is
# also the manifest's "started". Two runs in one second (a safety dump right
# after the nightly one) must not share a name: wait for the next second.
t_start=$(now)
name_for() { if [[ "$kind" == full ]]; then echo "$database-$1.dump"; else echo "schema_backup-$1.sql"; fi; }
name=$(name_for "$(date -u -d "@${t_start%.*}" +%Y%m%dT%H%M%SZ)")
while [[ -e "$dir/$name" ]]; do
    sleep 1
    t_start=$(now)
    name=$(name_for "$(date -u -d "@${t_start%.*}" +%Y%m%dT%H%M%SZ)")
done
final="$dir/$name"

stage=session
# One psql session, kept open through fifos while pg_dump runs: it exports the
# snapshot pg_dump imports. A write to it after psql died must fail, not kill us.
trap '' PIPE
work=$(mktemp -d)
mkfifo "$work/in" "$work/out"
"$docker_cli" exec -i "$container" psql -X -q -A -t -F $'\x1f' -v ON_ERROR_STOP=1 \
    -U "$login_user" -d "$database" <"$work/in" >"$work/out" 2>"$tmp_err" &
snap_pid=$!
exec 7>"$work/in" 8<"$work/out"

session_failed() {
    local why
    why=$(tr '\n' ' ' <"$tmp_err" | sed 's/ *$//')
    if [[ "$why" == *"No such container"* ]]; then
        finish_failed "container $container does not exist on $(uname -n): check db_runbooks_container"
    elif [[ "$why" == *"is not running"* ]]; then
        finish_failed "container $container is not running: start it with 'docker start $container'"
    elif [[ "$why" == *"database \"$database\" does not exist"* ]]; then
        finish_failed "database $database does not exist in container $container: check backup_database (or db_runbooks_database)"
    fi
    finish_failed "could not $1 in database $database (container $container): ${why:-psql ended without a message}"
}

# Fields come back separated by \x1f (never part of a version string or a
# revision id); NULL comes back empty.
alembic_sql="CASE WHEN to_regclass('alembic_version') IS NULL THEN NULL ELSE (xpath('/row/v/text()', query_to_xml('SELECT string_agg(version_num, '','' ORDER BY version_num) AS v FROM alembic_version', false, true, '')))[1]::text END"
printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;" \
    "SELECT pg_export_snapshot(), pg_database_size(current_database()), current_setting('server_version_num'), current_setting('server_version'), coalesce($alembic_sql, '');" >&7 \
    || session_failed "open a session"
IFS=$'\x1f' read -r snapshot database_size server_version_num server_version alembic_revision <&8 \
    || session_failed "open a session"
[[ -n "$snapshot" && "$database_size" =~ ^[0-9]+$ && "$server_version_num" =~ ^[0-9]+$ ]] \
    || finish_failed "unexpected answer from psql: snapshot '$snapshot', size '$database_size'"

# ---------------------------------------------------------------- 3. space
stage=space
read -r avail_blocks block_size < <(stat -f -c '%a %S' "$space_dir")
free_bytes=$(( avail_blocks * block_size ))
required_bytes=$(awk -v s="$database_size" -v f="$space_factor" 'BEGIN { printf "%.0f", s * f }')
if (( free_bytes < required_bytes )); then
    finish_failed "not enough space for a backup of $database in $dir: $free_bytes bytes free, $required_bytes needed ($space_factor x pg_database_size $database_size). Nothing was written; free some space, move backup_dir, or lower backup_space_factor if your dumps compress well"
fi


if $check_mode; then
    printf '%s {"changed": false, "check_mode": true, "kind": %s, "database": %s, "path": %s, "database_size": %s, "free_bytes": %s, "required_bytes": %s, "lock_busy": %s, "server_version": %s}\n' \
        "$MARKER" "$(json_str "$kind")" "$(json_str "$database")" "$(json_str "$final")" "$database_size" \
        "$free_bytes" "$required_bytes" "$lock_busy" "$(json_str "$server_version")"
    exit 0
fi

row_counts=null
if [[ "$kind" == full && -n "${DB_RUNBOOKS_ROW_COUNTS_SQL:-}" ]]; then
    stage=row_counts
    sql=${DB_RUNBOOKS_ROW_COUNTS_SQL%;*}
    printf 'SELECT row_counts FROM (%s) AS q;\n' "$sql" >&7 || session_failed "count rows"
    IFS= read -r row_counts <&8 || session_failed "count rows"
    [[ "$row_counts" == '{'*'}' ]] || finish_failed "row counts are not a JSON object: $row_counts"
fi

stage=pg_dump_version
pg_dump_version=$("$docker_cli" exec "$container" pg_dump --version 2>"$tmp_err") \
    || session_failed "run pg_dump --version"

# ---------------------------------------------------------------- 4. dump
stage=pg_dump
partial="$dir/.$name.partial"
cleanup+=("$partial")
dump_args=(-U "$login_user" -d "$database" --snapshot="$snapshot")
if [[ "$kind" == full ]]; then
    dump_args+=(--format=custom --compress="$compress")
else
    dump_args+=(--format=plain --schema-only)
fi
[[ -z "$table_lock_timeout" ]] || dump_args+=(--lock-wait-timeout="$table_lock_timeout")

t_dump=$(now)
say "dumping $database from $container into $partial"
dump_rc=0
"$docker_cli" exec "$container" pg_dump "${dump_args[@]}" >"$partial" 2>"$tmp_err" || dump_rc=$?
t_dumped=$(now)
if (( dump_rc != 0 )); then
    why=$(tail -n 5 "$tmp_err" | tr '\n' ' ' | sed 's/ *$//')
    running=$("$docker_cli" inspect -f '{{.State.Running}}' "$container" 2>/dev/null || echo missing)
    if [[ "$running" == true && "$why" =~ terminating\ connection|server\ closed\ the\ connection|connection\ to\ server.*lost ]]; then
        # The server went away under pg_dump: a container being stopped says
        # so a moment later. Give it ten seconds to tell which it is.
        for _ in $(seq 1 20); do
            sleep 0.5
            running=$("$docker_cli" inspect -f '{{.State.Running}}' "$container" 2>/dev/null || echo missing)
            [[ "$running" == true ]] || break
        done
    fi
    if [[ "$running" != true ]]; then
        finish_failed "container $container stopped while pg_dump of $database was running (exit $dump_rc${why:+: $why}): start it with 'docker start $container' and run the backup again. The partial file was removed; earlier backups in $dir are untouched"
    fi
    finish_failed "pg_dump of $database in container $container failed (exit $dump_rc): ${why:-no message}. The partial file was removed; earlier backups in $dir are untouched"
fi

# The exported snapshot is no longer needed: pg_dump imported it at its start.
printf 'COMMIT;\n\\q\n' >&7 || true
exec 7>&- 8<&-
wait "$snap_pid" 2>/dev/null || true
snap_pid=""

# ---------------------------------------------------------------- 5. durability and full read
stage=fsync
sync -- "$partial" || finish_failed "could not fsync $partial"

stage=verify
checks=('"pg_dump"')
toc_entries=null
if [[ "$kind" == full ]]; then
    if ! "$docker_cli" exec -i "$container" pg_restore -f /dev/null <"$partial" 2>"$tmp_err"; then
        finish_failed "the dump of $database failed the full read (pg_restore -f /dev/null): $(tail -n 3 "$tmp_err" | tr '\n' ' ')- it is truncated or corrupt and was removed; earlier backups in $dir are untouched"
    fi
    checks+=('"full_read"')
    toc_entries=$("$docker_cli" exec -i "$container" pg_restore --list <"$partial" 2>"$tmp_err" | { grep -c '^[0-9]' || true; })
    (( toc_entries > 0 )) || finish_failed "the dump of $database has an empty table of contents: $(tr '\n' ' ' <"$tmp_err")"
    checks+=('"toc"')
else
    # A plain dump has no table of contents to read; pg_dump ends it with this
    # line (then only \unrestrict, 15.14+), so a file without it was cut short.
    ending=$(tail -n 12 "$partial")
    grep -q '^-- PostgreSQL database dump complete$' <<<"$ending" \
        || finish_failed "the schema dump of $database does not end with pg_dump's completion line: it is truncated and was removed"
    checks+=('"complete"')
    toc_entries=$(grep -c '^-- Name: ' "$partial" || true)
fi
t_verified=$(now)

stage=checksum
sha256=$(sha256sum -- "$partial" | awk '{ print $1 }')
[[ "$sha256" =~ ^[0-9a-f]{64}$ ]] || finish_failed "sha256sum did not give a checksum for $partial"
checks+=('"sha256"')
size=$(stat -c %s -- "$partial")
t_end=$(now)

# ---------------------------------------------------------------- 6. sidecars, rename
stage=write
checks_json=$(IFS=,; printf '[%s]' "${checks[*]}")
fields=$(printf '"kind": %s, "database": %s, "file": %s, "path": %s, "size": %s, "sha256": %s, "compression": %s, "dump_format": %s, "database_size": %s, "server_version": %s, "server_version_num": %s, "pg_dump_version": %s, "alembic_revision": %s, "toc_entries": %s, "row_counts": %s, "started": %s, "finished": %s, "duration_seconds": %s, "dump_seconds": %s, "verify_seconds": %s, "checksum_seconds": %s, "checks": %s, "container": %s, "host": %s' \
    "$(json_str "$kind")" "$(json_str "$database")" "$(json_str "$name")" "$(json_str "$final")" "$size" \
    "$(json_str "$sha256")" "$(if [[ "$kind" == full ]]; then json_str "$compress"; else echo null; fi)" \
    "$(json_str "$(if [[ "$kind" == full ]]; then echo custom; else echo plain-schema-only; fi)")" \
    "$database_size" "$(json_str "$server_version")" "$server_version_num" \
    "$(json_str "$pg_dump_version")" \
    "$(if [[ -z "$alembic_revision" ]]; then echo null; else json_str "$alembic_revision"; fi)" \
    "$toc_entries" "$row_counts" "$(json_str "$(iso_utc "$t_start")")" "$(json_str "$(iso_utc "$t_end")")" \
    "$(seconds_between "$t_start" "$t_end")" "$(seconds_between "$t_dump" "$t_dumped")" \
    "$(seconds_between "$t_dumped" "$t_verified")" "$(seconds_between "$t_verified" "$t_end")" \
    "$checks_json" "$(json_str "$container")" "$(json_str "$(uname -n)")")

write_sidecar() {
    # $1 final path, $2 content: written under a partial name, fsynced, renamed.
    local tmp
    tmp="$(dirname "$1")/.$(basename "$1").partial"
    cleanup+=("$tmp" "$1")
    printf '%s\n' "$2" >"$tmp"
    sync -- "$tmp"
    mv -f -T -- "$tmp" "$1"
}
write_sidecar "$final.sha256" "$sha256  $name"
write_sidecar "$final.json" "{\"manifest_format\": \"$MANIFEST_FORMAT\", \"verified\": true, $fields}"
mv -f -T -- "$partial" "$final"
cleanup+=("$final")

if [[ "$kind" == schema ]]; then
    # schema_backup.sql (the guide's name) always points at the newest schema dump.
    ln -sfn -- "$name" "$dir/.schema_backup.sql.partial"
    mv -f -T -- "$dir/.schema_backup.sql.partial" "$dir/schema_backup.sql"
fi
sync -- "$dir"
cleanup=()

stale_json=$(if (( ${#stale[@]} > 0 )); then printf '%s\n' "${stale[@]}" | while IFS= read -r f; do json_str "$f"; echo; done | paste -sd, -; fi)
printf '%s {"changed": true, "failed": false, "verified": true, "manifest": %s, "sha256_file": %s, "removed_leftovers": [%s], "free_bytes": %s, "required_bytes": %s, %s}\n' \
    "$MARKER" "$(json_str "$final.json")" "$(json_str "$final.sha256")" "$stale_json" "$free_bytes" "$required_bytes" "$fields"
