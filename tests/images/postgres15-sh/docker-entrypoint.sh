#!/bin/sh
#
# docker-entrypoint.sh - entrypoint of the fancai.db_runbooks PostgreSQL 15
# image that has only /bin/sh. POSIX sh, shell builtins and the PostgreSQL
# binaries: the image holds no other command.
#
# Behaves like the official postgres image's entrypoint for what the tests use:
#   * `docker run IMAGE` / `docker run IMAGE -c foo=bar` runs `postgres`;
#     any other command is exec'd unchanged.
#   * Started as root, it re-executes itself as postgres (setpriv).
#   * On the first start (no PGDATA/PG_VERSION): requires POSTGRES_PASSWORD
#     (or POSTGRES_HOST_AUTH_METHOD=trust), runs initdb with
#     POSTGRES_INITDB_ARGS, writes pg_hba.conf, listens on all addresses,
#     creates POSTGRES_DB with a temporary socket-only server and runs
#     /docker-entrypoint-initdb.d in name order: *.sh executed when executable
#     (with their #! line), else sourced; *.sql fed to psql; anything else
#     (*.sql.gz included: there is no gzip here) is refused.
#   * Finally exec's the server as PID 1 (SIGINT: fast shutdown).
#
# Variables: POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE, its first line),
# POSTGRES_USER, POSTGRES_DB, POSTGRES_INITDB_ARGS (split on whitespace),
# POSTGRES_HOST_AUTH_METHOD. PGDATA must be the image's (or an empty volume):
# without mkdir/chown nothing else can be prepared.
#
# The password is never printed nor placed on a command line: initdb reads it
# from a here-document on its standard input.

set -eu

INITDB_DIR=/docker-entrypoint-initdb.d
SETPRIV=/usr/local/libexec/dbrb/setpriv

log() { printf '%s\n' "$*"; }
err() { printf '%s\n' "$*" >&2; }

# The effective user id, from /proc (there is no `id` command).
effective_uid() {
    while read -r key _real effective _rest; do
        if [ "$key" = "Uid:" ]; then
            printf '%s' "$effective"
            return 0
        fi
    done </proc/self/status
    return 1
}

setup_env() {
    if [ -n "${POSTGRES_PASSWORD:-}" ] && [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
        err "error: both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE are set (but are exclusive)"
        exit 1
    fi
    if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
        POSTGRES_PASSWORD=
        IFS= read -r POSTGRES_PASSWORD <"$POSTGRES_PASSWORD_FILE" || [ -n "$POSTGRES_PASSWORD" ]
        unset POSTGRES_PASSWORD_FILE
    fi
    POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}"
    POSTGRES_USER="${POSTGRES_USER:-postgres}"
    POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
    POSTGRES_INITDB_ARGS="${POSTGRES_INITDB_ARGS:-}"
    POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-}"
    PGDATA="${PGDATA:-/var/lib/postgresql/data}"
    export POSTGRES_PASSWORD POSTGRES_USER POSTGRES_DB POSTGRES_INITDB_ARGS PGDATA
}

verify_minimum_env() {
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        err 'Error: Database is uninitialized and superuser password is not specified.'
        err '       You must specify POSTGRES_PASSWORD to a non-empty value for the'
        err '       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".'
        err '       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" (not recommended).'
        exit 1
    fi
}

init_database_dir() {
    # Defaults first: POSTGRES_INITDB_ARGS (split on whitespace, no globbing) overrides them.
    set -f
    # shellcheck disable=SC2086  # word splitting wanted
    if [ -n "$POSTGRES_PASSWORD" ]; then
        initdb --username="$POSTGRES_USER" --encoding=UTF8 --locale=C.UTF-8 \
            --pwfile=/dev/stdin $POSTGRES_INITDB_ARGS <<EOPW
$POSTGRES_PASSWORD
EOPW
    else
        initdb --username="$POSTGRES_USER" --encoding=UTF8 --locale=C.UTF-8 \
            $POSTGRES_INITDB_ARGS </dev/null
    fi
    set +f
}

setup_hba_conf() {
    auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    {
        printf '%s\n' '# pg_hba.conf written by docker-entrypoint.sh on first start.'
        printf '%s\n' '# TYPE  DATABASE        USER            ADDRESS                 METHOD'
        printf '%s\n' 'local   all             all                                     trust'
        printf '%s\n' 'host    all             all             127.0.0.1/32            trust'
        printf '%s\n' 'host    all             all             ::1/128                 trust'
        printf '%s\n' 'local   replication     all                                     trust'
        printf '%s\n' 'host    replication     all             127.0.0.1/32            trust'
        printf '%s\n' 'host    replication     all             ::1/128                 trust'
        printf '\nhost    all             all             all                     %s\n' "$auth"
    } >"$PGDATA/pg_hba.conf"
    printf "\n# Added by docker-entrypoint.sh\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
}

process_sql() {
    dbname="$1"
    shift
    PGHOST='' PGHOSTADDR='' psql -X -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
        --no-password --no-psqlrc --dbname "$dbname" "$@"
}

temp_server_start() {
    PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
    export PGPASSWORD
    PGUSER="${PGUSER:-$POSTGRES_USER}" \
        pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
}

temp_server_stop() {
    PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -m fast -w stop
}

setup_db() {
    exists="$(process_sql postgres --set db="$POSTGRES_DB" --tuples-only --no-align <<'EOSQL'
SELECT 1 FROM pg_database WHERE datname = :'db';
EOSQL
)"
    if [ "$exists" != 1 ]; then
        process_sql postgres --set db="$POSTGRES_DB" <<'EOSQL'
CREATE DATABASE :"db";
EOSQL
        log ""
    fi
}

process_init_files() {
    log ""
    for f in "$INITDB_DIR"/*; do
        [ -e "$f" ] || continue
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then
                    log "$0: running $f"
                    "$f"
                else
                    log "$0: sourcing $f"
                    set +u
                    # shellcheck disable=SC1090
                    . "$f"
                    set -u
                fi
                ;;
            *.sql)
                log "$0: running $f"
                process_sql "$POSTGRES_DB" -f "$f"
                log ""
                ;;
            *)
                err "$0: cannot run $f: only *.sh and *.sql are supported here (no gzip, xz or zstd in this image)"
                exit 1
                ;;
        esac
    done
}

want_help() {
    for arg; do
        case "$arg" in
            -'?' | --help | --describe-config | -V | --version) return 0 ;;
        esac
    done
    return 1
}

main() {
    case "${1:-}" in
        -*) set -- postgres "$@" ;;
    esac

    if [ "${1:-}" = postgres ] && ! want_help "$@"; then
        setup_env
        if [ "$(effective_uid)" = 0 ]; then
            HOME=/var/lib/postgresql exec "$SETPRIV" --reuid=postgres --regid=postgres --init-groups "$0" "$@"
        fi

        if [ ! -s "$PGDATA/PG_VERSION" ]; then
            verify_minimum_env
            init_database_dir
            setup_hba_conf
            temp_server_start
            setup_db
            process_init_files
            temp_server_stop
            unset PGPASSWORD
            log ""
            log "PostgreSQL init process complete; ready for start up."
            log ""
        else
            log ""
            log "PostgreSQL Database directory appears to contain a database; Skipping initialization"
            log ""
        fi
    fi

    exec "$@"
}

main "$@"
