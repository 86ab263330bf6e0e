#!/usr/bin/env bash
#
# db_runbooks_backup.sh - take ONE verified pg_dump of a database that runs in
# a PostgreSQL container, on the docker host. Shipped and run by the role
# fancai.db_runbooks.backup (ansible.builtin.script); it can also be run by hand.
#
#   db_runbooks_backup.sh --container C --database D --dir DIR [options]
#
#   --kind full|schema      full: pg_dump -Fc -> S-<UTC stamp>.dump (default)
#                           schema: pg_dump --schema-only -> schema_backup-<stamp>.sql,
#                           and schema_backup.sql (a symlink) then points to it
#   --series S              name of the series in file names (default: D); DIR is
#                           the series' own directory (<backup_dir>/S)
#   --class nightly|safety  nightly (default): DIR/S-<stamp>.dump; safety (full only):
#                           DIR/safety/S-safety-<stamp>.dump, which no retention lists
#   --timeout SECONDS       end the whole run after this long (21600): the docker exec
#                           children are ended, the server sessions terminated, the
#                           partial files removed, and the message says what hung
#   --user ROLE             PostgreSQL role, through the container's socket (postgres)
#   --docker CLI            docker client (docker)
#   --compress Z            pg_dump -Z value: 0-9, or METHOD[:DETAIL] with pg_dump 16+ (2)
#   --host-zstd LEVEL       (full nightly only) compress on the docker host instead:
#                           pg_dump -Z0 streamed into zstd -T0 -LEVEL (1-19), the file
#                           S-<stamp>.dump.zst, the full read through zstd -dc
#   --lock-wait SECONDS     wait this long for another backup of D to finish (0)
#   --table-lock-timeout T  pg_dump --lock-wait-timeout, e.g. 10min ('' = wait forever)
#   --space-factor F        free space needed = F x pg_database_size (1.0)
#   --table SCHEMA.TABLE    (repeatable; --class safety only) dump only these tables'
#                           rows (pg_dump --table, --strict-names): the safety dump of
#                           a partial restore; the manifest lists them in "tables"
#   --dir-mode MODE         create DIR (and DIR/safety for --class safety) when missing,
#                           each directory it creates and DIR itself given this chmod
#                           mode, e.g. 0700 ('' = DIR must exist: the default)
#   --check                 do every check (session, space, lock), write nothing
#
# Environment: DB_RUNBOOKS_ROW_COUNTS_SQL, a SELECT returning one column
# "row_counts" (a JSON object table -> rows); run in the dump's own snapshot.
# DB_RUNBOOKS_BACKUP_CONTEXT, a one-line JSON object written into the manifest
# as "context" (a safety dump records which run made it and why).
#
# Every docker call is bounded in time (a docker exec that is running when its
# container is paused waits for ever). pg_dump, pg_restore and the snapshot psql session run with
# PGAPPNAME=db_runbooks_backup_<pid>, so a run that had to stop can end their
# server sessions; when the container does not answer (paused), the name goes
# to DIR/.stale_sessions and the next run ends those sessions first.
#
# What it does, in order (any failure removes every file this run started and
# exits non-zero; earlier backups are never touched):
#   1. lock DIR/.lock with flock, so two backups of one series never overlap;
#      then remove what a killed run left (.*.partial, sidecars without a dump,
#      server sessions of a run that timed out on a paused container);
#   2. open a session that exports a REPEATABLE READ snapshot and reads, in it,
#      the database size, server version, Alembic revision and row counts;
#      pg_dump then dumps that very snapshot (--snapshot), so the counts in the
#      manifest are exactly what the dump holds, even while the app writes;
#   3. check free space in DIR against pg_database_size, before dumping;
#   4. stream `docker exec C pg_dump` (no -t: a TTY corrupts binary output) into
#      DIR/.<name>.partial (with --host-zstd, through zstd on the docker host);
#      the host never holds the dump in memory;
#   5. fsync it; read it back once, into a full read inside the container
#      (pg_restore -f /dev/null decompresses every data block: `pg_restore
#      --list` only reads the table of contents and passes a truncated file)
#      and into sha256sum at the same time; count TOC entries; check that the
#      bytes read are the whole file as it now is (same size). With --host-zstd
#      the file is written, summed and read in full (through zstd -d, which checks
#      zstd's frame checksums) in the stream itself, while pg_dump runs; then the
#      file's size is checked against the bytes zstd wrote, and the TOC counted;
#   6. write <name>.sha256 (of exactly the bytes that passed the full read) and
#      <name>.json (the manifest), each via its own .partial + fsync + rename;
#      rename the dump last and fsync DIR: a file under its final name always
#      has its checksum and manifest.
#
# Output: one line on stdout, `__db_runbooks_backup__ {json}`, with "failed":
# true and "msg" on failure; progress and tool errors go to stderr.
# Exit codes: 0 done, 1 failed, 2 usage error.

set -Eeuo pipefail
umask 077

readonly MARKER="__db_runbooks_backup__"
readonly MANIFEST_FORMAT="fancai.db_runbooks/backup-manifest/1"
# application_name of every session this run opens (pg_dump, pg_restore, psql).
readonly APPNAME="db_runbooks_backup_$$"
# Seconds a docker call that should answer at once (inspect, a short psql) may take.
readonly SHORT=15

docker_cli=docker
container=""
login_user=postgres
database=""
series=""
dir=""
dir_mode=""
kind=full
class=nightly
compress=2
host_zstd=""
lock_wait=0
table_lock_timeout=""
space_factor=1.0
timeout_s=21600
check_mode=false
tables=()

# Set as the run goes; the EXIT trap removes whatever is listed in $cleanup and
# ends the docker clients in $snap_pid and $child_pid.
cleanup=()
snap_pid=""
child_pid=""
# The full read's processes (tee, sha256sum, wc), each a child of this script,
# ended like the others; with --host-zstd also the stream's zstd, tee, zstd -d
# and full read (pg_restore in the container), whose exit statuses are checked.
reader_pids=()
zstd_pid=""
tee_pid=""
unzstd_pid=""
read_pid=""
bg_rc=0
# A file run_bounded watches for progress instead of its output (a fifo's size says nothing).
watch=""
bounded_rc=0
sessions_opened=false
locked=false
stage=start
tmp_err=""
work=""
deadline=0

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

end_client() {
    # End a docker client this script started: TERM, then KILL after two seconds.
    local pid=$1 _
    [[ -n "$pid" ]] || return 0
    kill "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

end_reader() {
    local p
    for p in "${reader_pids[@]}"; do end_client "$p"; done
    reader_pids=()
    for p in "$zstd_pid" "$tee_pid" "$unzstd_pid" "$read_pid"; do end_client "$p"; done
    zstd_pid="" tee_pid="" unzstd_pid="" read_pid=""
}

wait_bg() {
    # wait_bg PID container|local WHAT: wait (to the deadline) for a process of
    # the --host-zstd stream to end; its exit status then in $bg_rc.
    local pid=$1
    bg_rc=0
    [[ -n "$pid" ]] || return 0
    while kill -0 "$pid" 2>/dev/null; do
        (( EPOCHSECONDS < deadline )) || timed_out "$2" "$3"
        sleep 0.05
    done
    wait "$pid" 2>/dev/null || bg_rc=$?
}

on_exit() {
    local rc=$?
    end_client "$child_pid"
    end_client "$snap_pid"
    end_reader
    if (( rc != 0 )) && (( ${#cleanup[@]} > 0 )); then
        rm -f -- "${cleanup[@]}"
    fi
    [[ -z "$tmp_err" ]] || rm -f -- "$tmp_err"
    [[ -z "$work" ]] || rm -rf -- "$work"
    exit "$rc"
}
trap on_exit EXIT

left() {
    # Whole seconds until the deadline, at least 1 (for read -t and timeout).
    local r=$(( deadline - EPOCHSECONDS ))
    (( r >= 1 )) || r=1
    printf '%s' "$r"
}

container_state() {
    # created, running, paused, restarting, exited, dead; "unknown" when docker does not answer.
    local st
    st=$(timeout -k 2 "$SHORT" "$docker_cli" inspect -f '{{.State.Status}}' "$container" 2>/dev/null) || st=""
    printf '%s' "${st:-unknown}"
}

terminate_sessions() {
    # End the server sessions with these application names; prints how many there were.
    # Fails (non-zero) when the container does not answer within $SHORT seconds.
    local names="" n
    for n in "$@"; do
        [[ "$n" =~ ^db_runbooks_backup_[0-9]+$ ]] && names+="${names:+, }'$n'"
    done
    [[ -n "$names" ]] || { printf '0'; return 0; }
    timeout -k 2 "$SHORT" "$docker_cli" exec "$container" psql -X -q -A -t -v ON_ERROR_STOP=1 \
        -U "$login_user" -d postgres -c \
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name IN ($names) AND pid <> pg_backend_pid()" \
        2>/dev/null
}

stop_note=""
stop_run() {
    # A run that must stop (time limit, signal): end its server sessions while the
    # container answers (pg_dump inside the container outlives its docker client),
    # then its docker clients. $1 is the container's state. Sets $stop_note.
    local state=$1 n=""
    if $sessions_opened && [[ "$state" == running ]] && n=$(terminate_sessions "$APPNAME"); then
        stop_note="its server sessions (application_name $APPNAME) were terminated"
    elif $sessions_opened; then
        if $locked; then printf '%s\n' "$APPNAME" >>"$dir/.stale_sessions" 2>/dev/null || true; fi
        stop_note="its server sessions (application_name $APPNAME) could not be reached: the next backup of $series ends them, or run: docker exec $container psql -U $login_user -d postgres -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$APPNAME'\""
    else
        stop_note="no server session was open yet"
    fi
    end_client "$child_pid"; child_pid=""
    end_client "$snap_pid"; snap_pid=""
    end_reader
}

timed_out() {
    # The deadline passed. $1 container|local, $2 what was running (a noun: pg_dump,
    # the full read ...), $3 bytes it had written (-1: not watched), $4 seconds
    # since it last wrote.
    local where=$1 what=$2 bytes=${3:--1} idle=${4:-0} state=running cause progress=""
    [[ "$where" == local ]] || state=$(container_state)
    stop_run "$state"
    (( bytes < 0 )) || progress=" ($what had written $bytes bytes, the last of them $idle s before)"
    case "$state" in
        paused) cause="container $container is paused: \`docker unpause $container\`, then run the backup again$progress" ;;
        running)
            if [[ "$where" == local ]]; then
                cause="$what did not finish on $(uname -n): is the backup disk answering?"
            elif (( bytes >= 0 && idle >= 5 )); then
                cause="$what made no progress for $idle s ($bytes bytes written): look in pg_stat_activity for what blocks it"
            elif (( bytes >= 0 )); then
                cause="$what was still writing ($bytes bytes so far): the database needs a larger backup_timeout"
            else
                cause="it did not finish; raise backup_timeout if the database is that big, or look in pg_stat_activity for what blocks it"
            fi ;;
        unknown) cause="docker did not say within ${SHORT} s what state container $container is in$progress" ;;
        *) cause="container $container is $state$progress" ;;
    esac
    finish_failed "backup of $database stopped after backup_timeout=${timeout_s}s, during $what: $cause. The docker exec clients were ended; $stop_note. The partial file was removed; earlier backups in $dir are untouched"
}

run_bounded() {
    # run_bounded container|local WHAT IN OUT CMD...: runs CMD <IN >OUT 2>$tmp_err in
    # the background and watches it (and the size of OUT) until it ends, its exit
    # status then in $bounded_rc, or until the deadline (timed_out, which exits).
    local where=$1 what=$2 in=$3 out=$4 size last_size=-1 last_change=$EPOCHSECONDS nap=0.05 seen
    shift 4
    seen=${watch:-$out}
    "$@" <"$in" >"$out" 2>"$tmp_err" &
    child_pid=$!
    while kill -0 "$child_pid" 2>/dev/null; do
        if [[ "$seen" != /dev/null ]]; then
            size=$(stat -c %s -- "$seen" 2>/dev/null) || size=0
            if (( size != last_size )); then last_size=$size; last_change=$EPOCHSECONDS; fi
        fi
        (( EPOCHSECONDS < deadline )) || timed_out "$where" "$what" "$last_size" $(( EPOCHSECONDS - last_change ))
        sleep "$nap"
        # Short naps: a step that has ended is seen within 0.2 s (each check
        # is a stat and a kill -0; naps of a second cost half a second a step).
        [[ "$nap" != 0.05 ]] || nap=0.2
    done
    bounded_rc=0
    wait "$child_pid" 2>/dev/null || bounded_rc=$?
    child_pid=""
}

# A cancelled job (AWX "cancel", ssh hang-up, Ctrl-C) still ends the dump's
# sessions and runs the cleanup.
on_signal() {
    trap '' HUP INT TERM
    stage=interrupted
    stop_run "$(container_state)"
    finish_failed "interrupted by a signal: $stop_note; the partial files were removed, earlier backups are untouched"
}
trap on_signal HUP INT TERM

now() { date -u +%s.%N; }
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
iso_utc() { date -u -d "@${1%.*}" +%Y-%m-%dT%H:%M:%SZ; }

while (( $# > 0 )); do
    case "$1" in
        --docker) docker_cli=$2; shift 2 ;;
        --container) container=$2; shift 2 ;;
        --user) login_user=$2; shift 2 ;;
        --database) database=$2; shift 2 ;;
        --series) series=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        --dir-mode) dir_mode=$2; shift 2 ;;
        --kind) kind=$2; shift 2 ;;
        --class) class=$2; shift 2 ;;
        --compress) compress=$2; shift 2 ;;
        --host-zstd) host_zstd=$2; shift 2 ;;
        --lock-wait) lock_wait=$2; shift 2 ;;
        --table-lock-timeout) table_lock_timeout=$2; shift 2 ;;
        --space-factor) space_factor=$2; shift 2 ;;
        --timeout) timeout_s=$2; shift 2 ;;
        --table) tables+=("$2"); shift 2 ;;
        --check) check_mode=true; shift ;;
        -h | --help) usage ;;
        *) say "unknown option: $1"; usage ;;
    esac
done
series=${series:-$database}

stage=inputs
[[ -n "${EPOCHSECONDS:-}" ]] || finish_failed "bash 5 or newer is needed on the docker host $(uname -n) (this is $BASH_VERSION)"
[[ "$container" =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$ ]] \
    || finish_failed "--container '$container' is not a docker container name"
[[ "$database" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] \
    || finish_failed "--database '$database' is not a plain PostgreSQL identifier"
[[ "$series" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] \
    || finish_failed "--series '$series' is not a plain identifier (it names the files)"
[[ "$login_user" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] \
    || finish_failed "--user '$login_user' is not a plain PostgreSQL role name"
[[ "$dir" =~ ^/[A-Za-z0-9._/-]*$ && "$dir" != *'/../'* && "$dir" != *'/..' ]] \
    || finish_failed "--dir '$dir' must be an absolute path of letters, digits and . _ - / without '..'"
[[ -z "$dir_mode" || "$dir_mode" =~ ^[0-7]{3,4}$ || "$dir_mode" =~ ^[ugoa]*[-+=][rwxXst]*(,[ugoa]*[-+=][rwxXst]*)*$ ]] \
    || finish_failed "--dir-mode '$dir_mode' is not a chmod mode such as 0700"
[[ "$kind" == full || "$kind" == schema ]] || finish_failed "--kind must be full or schema, not '$kind'"
[[ "$class" == nightly || "$class" == safety ]] || finish_failed "--class must be nightly or safety, not '$class'"
[[ "$class" == nightly || "$kind" == full ]] || finish_failed "--class safety takes a full dump only, not --kind $kind"
for t in "${tables[@]}"; do
    [[ "$t" =~ ^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$ ]] \
        || finish_failed "--table '$t' is not a schema-qualified plain table name such as public.chapters"
done
(( ${#tables[@]} == 0 )) || [[ "$class" == safety ]] || finish_failed "--table takes --class safety (a partial safety dump), not --class $class"
[[ "$compress" =~ ^([0-9]|(none|gzip|lz4|zstd)(:[a-z0-9=,_-]+)?)$ ]] \
    || finish_failed "--compress '$compress' is not a pg_dump -Z value (0-9, or gzip|lz4|zstd[:level] with pg_dump 16+)"
if [[ -n "$host_zstd" ]]; then
    [[ "$host_zstd" =~ ^([1-9]|1[0-9])$ ]] || finish_failed "--host-zstd '$host_zstd' is not a zstd level from 1 to 19"
    [[ "$kind/$class" == full/nightly ]] \
        || finish_failed "--host-zstd takes a full nightly dump (a safety dump stays a .dump that pg_restore reads alone), not --kind $kind --class $class"
fi
[[ "$lock_wait" =~ ^[0-9]+$ ]] || finish_failed "--lock-wait '$lock_wait' is not a number of seconds"
if ! [[ "$timeout_s" =~ ^[0-9]+$ ]] || (( timeout_s == 0 )); then
    finish_failed "--timeout '$timeout_s' is not a number of seconds > 0"
fi
[[ -z "$table_lock_timeout" || "$table_lock_timeout" =~ ^[0-9]+(ms|s|min|h)?$ ]] \
    || finish_failed "--table-lock-timeout '$table_lock_timeout' is not a PostgreSQL duration such as 10min"
[[ "$space_factor" =~ ^[0-9]+(\.[0-9]+)?$ ]] || finish_failed "--space-factor '$space_factor' is not a number"
context=${DB_RUNBOOKS_BACKUP_CONTEXT:-}
[[ -z "$context" || ( "$context" == '{'*'}' && "$context" != *$'\n'* ) ]] \
    || finish_failed "DB_RUNBOOKS_BACKUP_CONTEXT must be a JSON object on one line"
# EPOCHSECONDS is whole seconds: +1 so that the limit is never shorter than asked.
deadline=$(( EPOCHSECONDS + timeout_s + 1 ))

for tool in "$docker_cli" flock sha256sum stat sync awk date timeout tee wc mkfifo; do
    command -v "$tool" >/dev/null 2>&1 \
        || finish_failed "'$tool' is not installed on the docker host $(uname -n) (flock comes with util-linux, the others with coreutils/gawk)"
done
if [[ -n "$host_zstd" ]] && ! command -v zstd >/dev/null 2>&1; then
    finish_failed "zstd is not installed on the docker host $(uname -n), and --host-zstd needs it: install it (Debian/Ubuntu: apt-get install zstd), or compress in the container (backup_compressor: pg_dump). Nothing was written"
fi
tmp_err=$(mktemp)
work=$(mktemp -d)

if [[ "$class" == safety ]]; then out_dir="$dir/safety"; else out_dir=$dir; fi

# ---------------------------------------------------------------- 1. lock
stage=container
# A paused container accepts no new docker exec and freezes a running one: say so
# now instead of at the deadline.
if [[ "$(container_state)" == paused ]]; then
    finish_failed "container $container is paused: \`docker unpause $container\`, then run the backup again. Nothing was written"
fi

stage=directory
# --dir-mode: the directory is made here, where the dump is written (no
# separate step before the script). Check mode creates nothing.
make_dir() {
    local want=$1 d=$1 missing=() have
    while [[ ! -d "$d" ]]; do
        [[ ! -e "$d" ]] || finish_failed "$d on $(uname -n) is not a directory, and the backup directory $want would be in it. Nothing was written; point db_runbooks_backup_dir elsewhere"
        missing=("$d" "${missing[@]}"); d=$(dirname "$d")
    done
    for d in "${missing[@]}"; do
        # Another backup may create it at the same moment: that is not a failure.
        mkdir -m "$dir_mode" -- "$d" 2>"$tmp_err" || [[ -d "$d" ]] \
            || finish_failed "cannot create the backup directory $d on $(uname -n): $(head -c 300 "$tmp_err"). Nothing was written; create it (mode $dir_mode) or point db_runbooks_backup_dir elsewhere"
    done
    if [[ "$dir_mode" =~ ^[0-7]+$ ]]; then
        have=$(stat -c %a -- "$want") || finish_failed "cannot read the mode of $want on $(uname -n)"
        (( 8#$have == 8#$dir_mode )) && return 0
    fi
    chmod "$dir_mode" -- "$want" 2>"$tmp_err" \
        || finish_failed "cannot give the backup directory $want mode $dir_mode on $(uname -n): $(head -c 300 "$tmp_err"). Nothing was written"
}
if [[ -n "$dir_mode" ]] && ! $check_mode; then
    make_dir "$dir"
    [[ "$out_dir" == "$dir" ]] || make_dir "$out_dir"
fi

stage=lock
lock_busy=false
space_dir=$out_dir
if [[ ! -d "$out_dir" ]]; then
    # Only --check (or a run without --dir-mode) gets here without the directory.
    $check_mode || finish_failed "backup directory $out_dir does not exist on $(uname -n)"
    while [[ ! -d "$space_dir" ]]; do space_dir=$(dirname "$space_dir"); done
fi
if [[ -d "$dir" ]]; then
    [[ -w "$dir" ]] || finish_failed "backup directory $dir is not writable by $(id -un) on $(uname -n)"
    if $check_mode; then
        # Look at the lock without creating it: check mode writes nothing.
        if [[ -e "$dir/.lock" ]]; then
            exec 9<"$dir/.lock"
            if flock -n 9; then flock -u 9; else lock_busy=true; fi
            exec 9<&-
        fi
    else
        lock_for=$lock_wait
        (( lock_for <= $(left) )) || lock_for=$(left)
        if ! { exec 9>>"$dir/.lock" && flock -w "$lock_for" 9; }; then
            finish_failed "another backup of $series is running (it holds $dir/.lock; waited ${lock_for}s): nothing was written. Let it finish, or raise backup_lock_wait"
        fi
        locked=true
    fi
fi

stale=()
ended_stale=0
if ! $check_mode; then
    # We hold the lock: any partial file here is from a run that was killed
    # (SIGKILL, power loss), and a checksum or manifest without its dump is from
    # a run killed between renames. Neither can belong to a running backup.
    shopt -s nullglob
    for d in "$dir" "$dir/safety"; do
        for f in "$d"/.*.partial; do stale+=("$f"); done
        for f in "$d"/*.dump.sha256 "$d"/*.dump.json "$d"/*.dump.zst.sha256 "$d"/*.dump.zst.json \
                 "$d"/schema_backup-*.sql.sha256 "$d"/schema_backup-*.sql.json; do
            [[ -e "${f%.*}" ]] || stale+=("$f")
        done
        for f in "$d"/*.dump.drill.json "$d"/*.dump.zst.drill.json; do
            [[ -e "${f%.drill.json}" ]] || stale+=("$f")
        done
    done
    shopt -u nullglob
    (( ${#stale[@]} == 0 )) || { say "removing leftovers of an interrupted run: ${stale[*]}"; rm -f -- "${stale[@]}"; }

    # Sessions a run that timed out on a paused container could not end: a
    # pg_dump whose client is gone goes on inside the container, holding its
    # snapshot and its table locks, until its session is terminated.
    if [[ -s "$dir/.stale_sessions" ]]; then
        mapfile -t stale_names <"$dir/.stale_sessions"
        if ended_stale=$(terminate_sessions "${stale_names[@]}") && [[ "$ended_stale" =~ ^[0-9]+$ ]]; then
            say "terminated $ended_stale server session(s) left by a run that timed out (${stale_names[*]})"
            rm -f -- "$dir/.stale_sessions"
        else
            say "could not reach the sessions left by a run that timed out (${stale_names[*]}): the next run tries again"
            ended_stale=0
        fi
    fi
fi

# ---------------------------------------------------------------- 2. snapshot session
# The backup is named after the moment its snapshot is taken (UTC), which is
# also the manifest's "started". Two runs in one second (a safety dump right
# after the nightly one) must not share a name: wait for the next second.
name_for() {
    case "$kind/$class" in
        full/nightly) echo "$series-$1.dump${host_zstd:+.zst}" ;;
        full/safety) echo "$series-safety-$1.dump" ;;
        *) echo "schema_backup-$1.sql" ;;
    esac
}
# A stamp names one backup, whichever way it is compressed (a restore picks by stamp).
taken() { [[ -e "$out_dir/${1%.zst}" || -e "$out_dir/${1%.zst}.zst" ]]; }
t_start=$(now)
name=$(name_for "$(date -u -d "@${t_start%.*}" +%Y%m%dT%H%M%SZ)")
while taken "$name"; do
    sleep 1
    t_start=$(now)
    name=$(name_for "$(date -u -d "@${t_start%.*}" +%Y%m%dT%H%M%SZ)")
done
final="$out_dir/$name"

stage=session
# One psql session, kept open through fifos while pg_dump runs: it exports the
# snapshot pg_dump imports. A write to it after psql died must fail, not kill us.
trap '' PIPE
mkfifo "$work/in" "$work/out"
sessions_opened=true
"$docker_cli" exec -i -e "PGAPPNAME=$APPNAME" "$container" psql -X -q -A -t -F $'\x1f' -v ON_ERROR_STOP=1 \
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
    elif [[ "$why" == *"is paused"* ]]; then
        finish_failed "container $container is paused: \`docker unpause $container\`, then run the backup again. Nothing was kept"
    elif [[ "$why" == *"database \"$database\" does not exist"* ]]; then
        finish_failed "database $database does not exist in container $container: check backup_database (or db_runbooks_database)"
    fi
    finish_failed "could not $1 in database $database (container $container): ${why:-psql ended without a message}"
}

session_read() {
    # session_read VERB DOING VAR...: one line of the snapshot session's answer, before
    # the deadline. VERB names the step for a failure ("count rows"), DOING for a timeout.
    local verb=$1 doing=$2 rc=0
    shift 2
    IFS=$'\x1f' read -r -t "$(left)" "$@" <&8 || rc=$?
    (( rc <= 128 )) || timed_out container "the snapshot session (psql) $doing"
    (( rc == 0 )) || session_failed "$verb"
}

snapshot="" database_size="" server_version_num="" server_version="" alembic_revision=""
# Fields come back separated by \x1f (never part of a version string or a
# revision id); NULL comes back empty.
alembic_sql="CASE WHEN to_regclass('alembic_version') IS NULL THEN NULL ELSE (xpath('/row/v/text()', query_to_xml('SELECT string_agg(version_num, '','' ORDER BY version_num) AS v FROM alembic_version', false, true, '')))[1]::text END"
printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;" \
    "SELECT pg_export_snapshot(), pg_database_size(current_database()), current_setting('server_version_num'), current_setting('server_version'), coalesce($alembic_sql, '');" >&7 \
    || session_failed "open a session"
session_read "open a session" "exporting the snapshot" snapshot database_size server_version_num server_version alembic_revision
[[ -n "$snapshot" && "$database_size" =~ ^[0-9]+$ && "$server_version_num" =~ ^[0-9]+$ ]] \
    || finish_failed "unexpected answer from psql: snapshot '$snapshot', size '$database_size'"

# ---------------------------------------------------------------- 3. space
stage=space
read -r avail_blocks block_size < <(stat -f -c '%a %S' "$space_dir")
free_bytes=$(( avail_blocks * block_size ))
required_bytes=$(awk -v s="$database_size" -v f="$space_factor" 'BEGIN { printf "%.0f", s * f }')
if (( free_bytes < required_bytes )); then
    finish_failed "not enough space for a backup of $database in $out_dir: $free_bytes bytes free, $required_bytes needed ($space_factor x pg_database_size $database_size). Nothing was written; free some space, move backup_dir, or lower backup_space_factor if your dumps compress well"
fi


if $check_mode; then
    printf '%s {"changed": false, "check_mode": true, "kind": %s, "class": %s, "series": %s, "database": %s, "path": %s, "database_size": %s, "free_bytes": %s, "required_bytes": %s, "lock_busy": %s, "server_version": %s}\n' \
        "$MARKER" "$(json_str "$kind")" "$(json_str "$class")" "$(json_str "$series")" "$(json_str "$database")" \
        "$(json_str "$final")" "$database_size" "$free_bytes" "$required_bytes" "$lock_busy" "$(json_str "$server_version")"
    exit 0
fi

row_counts=null
rows=null
uncompressed_size=null
if [[ "$kind" == full && -n "${DB_RUNBOOKS_ROW_COUNTS_SQL:-}" ]]; then
    stage=row_counts
    sql=${DB_RUNBOOKS_ROW_COUNTS_SQL%;*}
    printf 'SELECT q.row_counts, (SELECT coalesce(sum(e.value::bigint), 0) FROM json_each_text(q.row_counts::json) AS e) FROM (%s) AS q;\n' "$sql" >&7 \
        || session_failed "count rows"
    session_read "count rows" "counting the rows of every table" row_counts rows
    [[ "$row_counts" == '{'*'}' && "$rows" =~ ^[0-9]+$ ]] || finish_failed "row counts are not a JSON object: $row_counts"
fi

stage=pg_dump_version
run_bounded container "pg_dump --version" /dev/null "$work/version" \
    "$docker_cli" exec "$container" pg_dump --version
(( bounded_rc == 0 )) || session_failed "run pg_dump --version"
pg_dump_version=$(<"$work/version")

# ---------------------------------------------------------------- 4. dump
stage=pg_dump
partial="$out_dir/.$name.partial"
cleanup+=("$partial")
dump_args=(-U "$login_user" -d "$database" --snapshot="$snapshot")
if [[ "$kind" == full && -n "$host_zstd" ]]; then
    # zstd on the docker host compresses (with every core, -T0); pg_dump only packs.
    dump_args+=(--format=custom --compress=0)
elif [[ "$kind" == full ]]; then
    dump_args+=(--format=custom --compress="$compress")
    for t in "${tables[@]}"; do dump_args+=(--table="$t"); done
    (( ${#tables[@]} == 0 )) || dump_args+=(--strict-names)
else
    dump_args+=(--format=plain --schema-only)
fi
[[ -z "$table_lock_timeout" ]] || dump_args+=(--lock-wait-timeout="$table_lock_timeout")

start_reader() {
    # One read of the written file: tee hands every byte to sha256sum, to wc -c
    # and (through $work/stream) to the full read that run_bounded then starts.
    mkfifo "$work/sum" "$work/count" "$work/stream"
    sha256sum <"$work/sum" >"$work/sha256" 2>/dev/null &
    reader_pids+=("$!")
    wc -c <"$work/count" >"$work/bytes" 2>/dev/null &
    reader_pids+=("$!")
    tee -- "$work/sum" "$work/count" <"$partial" >"$work/stream" 2>/dev/null &
    reader_pids+=("$!")
}

start_zstd_pipeline() {
    # --host-zstd: the dump is compressed, written, checksummed and read in full
    # in one stream, while pg_dump runs (pg_dump -Z0 leaves the CPUs to zstd and
    # the reader): pg_dump -> $work/packed -> zstd -> tee -> the file, sha256sum,
    # and zstd -d (which checks the frames' checksums) -> the full read in the
    # container. zstd -vv ends with the exact byte counts, "(N B => M B":
    # the uncompressed size for the manifest, and what the file must hold.
    mkfifo "$work/packed" "$work/zout" "$work/sum" "$work/stream" "$work/plain"
    sha256sum <"$work/sum" >"$work/sha256" 2>/dev/null &
    reader_pids+=("$!")
    "$docker_cli" exec -i -e "PGAPPNAME=$APPNAME" "$container" pg_restore -f /dev/null \
        <"$work/plain" >/dev/null 2>"$work/read.err" &
    read_pid=$!
    zstd -q -d -c <"$work/stream" >"$work/plain" 2>"$work/unzstd.err" &
    unzstd_pid=$!
    tee -- "$partial" "$work/sum" <"$work/zout" >"$work/stream" 2>"$work/tee.err" &
    tee_pid=$!
    zstd -vv -T0 "-$host_zstd" -c <"$work/packed" >"$work/zout" 2>"$work/zstd.err" &
    zstd_pid=$!
}

finish_reader() {
    # The full read has ended: wait (to the deadline) for the checksum and the count.
    local p busy
    while :; do
        busy=false
        for p in "${reader_pids[@]}"; do
            if kill -0 "$p" 2>/dev/null; then busy=true; break; fi
        done
        $busy || break
        (( EPOCHSECONDS < deadline )) || timed_out local "sha256sum of $partial"
        sleep 0.05
    done
    for p in "${reader_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    reader_pids=()
}

t_dump=$(now)
say "dumping $database from $container into $partial${host_zstd:+ (zstd -$host_zstd on $(uname -n))}"
if [[ -n "$host_zstd" ]]; then
    start_zstd_pipeline
    watch=$partial
    run_bounded container pg_dump /dev/null "$work/packed" \
        "$docker_cli" exec -e "PGAPPNAME=$APPNAME" "$container" pg_dump "${dump_args[@]}"
    watch=""
    dump_rc=$bounded_rc
else
    run_bounded container pg_dump /dev/null "$partial" \
        "$docker_cli" exec -e "PGAPPNAME=$APPNAME" "$container" pg_dump "${dump_args[@]}"
    dump_rc=$bounded_rc
fi
t_dumped=$(now)
if (( dump_rc != 0 )); then
    why=$(tail -n 5 "$tmp_err" | tr '\n' ' ' | sed 's/ *$//')
    state=$(container_state)
    if [[ "$state" == running && "$why" =~ terminating\ connection|server\ closed\ the\ connection|connection\ to\ server.*lost ]]; then
        # The server went away under pg_dump: a container being stopped says
        # so a moment later. Give it ten seconds to tell which it is.
        for _ in $(seq 1 20); do
            sleep 0.5
            state=$(container_state)
            [[ "$state" == running ]] || break
        done
    fi
    if [[ "$state" == paused ]]; then
        finish_failed "container $container was paused while pg_dump of $database was running (exit $dump_rc${why:+: $why}): \`docker unpause $container\`, then run the backup again. The partial file was removed; earlier backups in $dir are untouched"
    elif [[ "$state" != running ]]; then
        finish_failed "container $container stopped while pg_dump of $database was running (exit $dump_rc${why:+: $why}): start it with 'docker start $container' and run the backup again. The partial file was removed; earlier backups in $dir are untouched"
    fi
    finish_failed "pg_dump of $database in container $container failed (exit $dump_rc): ${why:-no message}. The partial file was removed; earlier backups in $dir are untouched"
fi

# The exported snapshot is no longer needed: pg_dump imported it at its start.
printf 'COMMIT;\n\\q\n' >&7 || true
exec 7>&- 8<&-
# psql ends on the \q (or on the closed input); a client that does not is ended.
for _ in $(seq 1 50); do kill -0 "$snap_pid" 2>/dev/null || break; sleep 0.1; done
end_client "$snap_pid"
snap_pid=""

if [[ -n "$host_zstd" ]]; then
    # The rest of the stream, in its order: what failed first is what is said.
    stage=zstd
    wait_bg "$zstd_pid" local "zstd -$host_zstd of $partial"; zstd_pid=""
    (( bg_rc == 0 )) || finish_failed "zstd -$host_zstd on $(uname -n) failed (exit $bg_rc): $(tr '\r' '\n' <"$work/zstd.err" | grep -v '^\*\*\*' | tail -n 3 | tr '\n' ' ')- the partial file was removed; earlier backups in $dir are untouched"
    stage=verify
    wait_bg "$read_pid" container "the full read (pg_restore -f /dev/null)"; read_pid=""
    read_rc=$bg_rc
    wait_bg "$unzstd_pid" local "zstd -d of the stream"; unzstd_pid=""
    # Either one failing fails the other (a corrupt frame cuts pg_restore's
    # input short; a reader that died closes zstd -d's output): both are said.
    if (( read_rc != 0 || bg_rc != 0 )); then
        finish_failed "the dump of $database failed the full read (zstd -d exit $bg_rc: $(tail -n 3 "$work/unzstd.err" | tr '\n' ' ')- pg_restore -f /dev/null exit $read_rc: $(tail -n 3 "$work/read.err" | tr '\n' ' ')) - it is truncated or corrupt and was removed; earlier backups in $dir are untouched"
    fi
    stage=write
    wait_bg "$tee_pid" local "the write of $partial"; tee_pid=""
    (( bg_rc == 0 )) || finish_failed "could not write $partial on $(uname -n): $(tail -n 3 "$work/tee.err" | tr '\n' ' ')- is $out_dir full? The partial file was removed; earlier backups in $dir are untouched"
    finish_reader
fi

# ---------------------------------------------------------------- 5. durability and full read
stage=fsync
run_bounded local "the fsync of $partial" /dev/null /dev/null sync -- "$partial"
(( bounded_rc == 0 )) || finish_failed "could not fsync $partial"

stage=verify
checks=('"pg_dump"')
toc_entries=null
if [[ -n "$host_zstd" ]]; then
    # The stream passed the full read (above), and tee wrote every byte of it
    # into the file without an error (its exit status), in the same buffers
    # sha256sum read: the checksum is of the file. It must also be all of it:
    # its size is what zstd said it wrote. (Reading it back would come from the
    # page cache, and prove nothing more.)
    checks+=('"full_read"')
    file_bytes=$(stat -c %s -- "$partial")
    counts=$(tr '\r' '\n' <"$work/zstd.err" | sed -n 's/.*(\s*\([0-9][0-9]*\) B => \s*\([0-9][0-9]*\) B.*/\1 \2/p' | tail -n 1)
    if [[ "$counts" =~ ^([0-9]+)\ ([0-9]+)$ ]]; then
        uncompressed_size=${BASH_REMATCH[1]}
        if [[ "${BASH_REMATCH[2]}" != "$file_bytes" ]]; then
            finish_failed "the dump of $database on disk is not the stream that passed the full read: zstd wrote ${BASH_REMATCH[2]} bytes, the file has $file_bytes. Another process writes to $out_dir? The dump was removed; earlier backups in $dir are untouched"
        fi
    else
        # A zstd that does not print its counts (older than 1.5): count them.
        run_bounded local "zstd -d of $partial (its size)" /dev/null "$work/ubytes" \
            bash -c 'set -o pipefail; zstd -q -d -c -- "$1" | wc -c' _ "$partial"
        uncompressed_size=$(tr -dc 0-9 <"$work/ubytes")
        [[ "$bounded_rc" == 0 && "$uncompressed_size" =~ ^[0-9]+$ ]] \
            || finish_failed "zstd -d could not read $partial back to count its size"
    fi
    # The table of contents is at the start: pg_restore --list stops reading
    # there, and the zstd -d feeding it then ends on a closed pipe.
    mkfifo "$work/tocin"
    zstd -q -d -c -- "$partial" >"$work/tocin" 2>/dev/null &
    reader_pids+=("$!")
    run_bounded container "pg_restore --list" "$work/tocin" "$work/toc" \
        "$docker_cli" exec -i -e "PGAPPNAME=$APPNAME" "$container" pg_restore --list
    end_reader
    (( bounded_rc == 0 )) \
        || finish_failed "the table of contents of the dump of $database cannot be read: $(tr '\n' ' ' <"$tmp_err")"
    toc_entries=$(grep -c '^[0-9]' "$work/toc" || true)
    checks+=('"toc"')
elif [[ "$kind" == full ]]; then
    start_reader
    run_bounded container "the full read (pg_restore -f /dev/null)" "$work/stream" /dev/null \
        "$docker_cli" exec -i -e "PGAPPNAME=$APPNAME" "$container" pg_restore -f /dev/null
    read_rc=$bounded_rc
    # A reader that stopped early leaves tee writing into nothing: it is ended.
    (( read_rc == 0 )) || end_reader
    finish_reader
    if (( read_rc != 0 )); then
        finish_failed "the dump of $database failed the full read (pg_restore -f /dev/null): $(tail -n 3 "$tmp_err" | tr '\n' ' ')- it is truncated or corrupt and was removed; earlier backups in $dir are untouched"
    fi
    checks+=('"full_read"')
    run_bounded container "pg_restore --list" "$partial" "$work/toc" \
        "$docker_cli" exec -i -e "PGAPPNAME=$APPNAME" "$container" pg_restore --list
    # A database with no objects at all (one a restore replaces after everything
    # in it was dropped) has an empty table of contents: the full read above
    # already proved the archive whole, so that is not a failure.
    (( bounded_rc == 0 )) \
        || finish_failed "the table of contents of the dump of $database cannot be read: $(tr '\n' ' ' <"$tmp_err")"
    toc_entries=$(grep -c '^[0-9]' "$work/toc" || true)
    checks+=('"toc"')
    # The checksum is of the bytes that passed the full read: they must be the
    # file, whole, as it is now (a file cut or rewritten under the reader is not).
    read_bytes=$(tr -dc 0-9 <"$work/bytes")
    file_bytes=$(stat -c %s -- "$partial")
    if [[ "$read_bytes" != "$file_bytes" ]]; then
        finish_failed "the dump of $database changed while it was checked: the full read and the checksum read ${read_bytes:-no} bytes, the file has $file_bytes. Another process writes to $out_dir? The dump was removed; earlier backups in $dir are untouched"
    fi
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
# A full dump was summed as it was read (above); the small schema dump is summed here.
[[ "$kind" == full ]] || run_bounded local "sha256sum of $partial" /dev/null "$work/sha256" sha256sum -- "$partial"
sha256=$(awk '{ print $1 }' "$work/sha256")
[[ "$bounded_rc" == 0 && "$sha256" =~ ^[0-9a-f]{64}$ ]] || finish_failed "sha256sum did not give a checksum for $partial"
checks+=('"sha256"')
size=$(stat -c %s -- "$partial")
t_end=$(now)

# ---------------------------------------------------------------- 6. sidecars, rename
stage="write"
checks_json=$(IFS=,; printf '[%s]' "${checks[*]}")
tables_json=null
if (( ${#tables[@]} > 0 )); then
    tables_json=$(for t in "${tables[@]}"; do json_str "$t"; echo; done | paste -sd, -)
    tables_json="[$tables_json]"
fi
fields=$(printf '"kind": %s, "class": %s, "series": %s, "database": %s, "file": %s, "path": %s, "size": %s, "sha256": %s, "compression": %s, "compressed_on": %s, "uncompressed_size": %s, "dump_format": %s, "database_size": %s, "server_version": %s, "server_version_num": %s, "pg_dump_version": %s, "alembic_revision": %s, "toc_entries": %s, "rows": %s, "row_counts": %s, "context": %s, "started": %s, "finished": %s, "duration_seconds": %s, "dump_seconds": %s, "verify_seconds": %s, "checksum_seconds": %s, "checks": %s, "tables": %s, "container": %s, "host": %s' \
    "$(json_str "$kind")" "$(json_str "$class")" "$(json_str "$series")" "$(json_str "$database")" \
    "$(json_str "$name")" "$(json_str "$final")" "$size" \
    "$(json_str "$sha256")" \
    "$(if [[ -n "$host_zstd" ]]; then json_str "zstd:$host_zstd"; elif [[ "$kind" == full ]]; then json_str "$compress"; else echo null; fi)" \
    "$(if [[ -n "$host_zstd" ]]; then json_str "docker host"; elif [[ "$kind" == full ]]; then json_str container; else echo null; fi)" \
    "$uncompressed_size" \
    "$(json_str "$(if [[ "$kind" == full ]]; then echo custom; else echo plain-schema-only; fi)")" \
    "$database_size" "$(json_str "$server_version")" "$server_version_num" \
    "$(json_str "$pg_dump_version")" \
    "$(if [[ -z "$alembic_revision" ]]; then echo null; else json_str "$alembic_revision"; fi)" \
    "$toc_entries" "$rows" "$row_counts" "${context:-null}" \
    "$(json_str "$(iso_utc "$t_start")")" "$(json_str "$(iso_utc "$t_end")")" \
    "$(seconds_between "$t_start" "$t_end")" "$(seconds_between "$t_dump" "$t_dumped")" \
    "$(seconds_between "$t_dumped" "$t_verified")" "$(seconds_between "$t_verified" "$t_end")" \
    "$checks_json" "$tables_json" "$(json_str "$container")" "$(json_str "$(uname -n)")")

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
sync -- "$out_dir" "$dir"
cleanup=()

stale_json=$(if (( ${#stale[@]} > 0 )); then printf '%s\n' "${stale[@]}" | while IFS= read -r f; do json_str "$f"; echo; done | paste -sd, -; fi)
printf '%s {"changed": true, "failed": false, "verified": true, "manifest": %s, "sha256_file": %s, "removed_leftovers": [%s], "terminated_stale_sessions": %s, "free_bytes": %s, "required_bytes": %s, %s}\n' \
    "$MARKER" "$(json_str "$final.json")" "$(json_str "$final.sha256")" "$stale_json" "$ended_stale" "$free_bytes" "$required_bytes" "$fields"
