#!/usr/bin/env bash
#
# docker-entrypoint.sh - entrypoint of the fancai.db_runbooks PostgreSQL 15
# test image.
#
# Behaves like the official postgres image's entrypoint for everything the
# tests rely on:
#   * `docker run IMAGE` / `docker run IMAGE -c foo=bar` runs `postgres`;
#     any other command is exec'd unchanged.
#   * Starts as root, creates/fixes ownership of PGDATA and the socket
#     directory, then re-executes itself as `postgres` (setpriv, no gosu).
#   * On the first start (no PGDATA/PG_VERSION): checks POSTGRES_PASSWORD,
#     runs initdb, writes pg_hba.conf, listens on all addresses, creates
#     POSTGRES_DB with a temporary socket-only server and runs the
#     /docker-entrypoint-initdb.d scripts.
#   * Finally exec's the server, which therefore runs as PID 1 and receives
#     the container's stop signal (SIGINT, fast shutdown) directly.
#
# Supported variables (as in the official image): POSTGRES_PASSWORD,
# POSTGRES_USER, POSTGRES_DB, POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR,
# POSTGRES_HOST_AUTH_METHOD, and the *_FILE variants of the first four.
# POSTGRES_INITDB_ARGS is split on whitespace (no shell quoting).
#
# The password is never printed nor placed on a command line: initdb reads
# it from a pipe.

set -Eeuo pipefail

readonly INITDB_DIR=/docker-entrypoint-initdb.d
readonly SOCKET_DIR=/var/run/postgresql

log() { printf '%s\n' "$*"; }
err() { printf '%s\n' "$*" >&2; }

# file_env VAR [DEFAULT]: set VAR from $VAR, from the file named by
# $VAR_FILE (Docker secrets), or from DEFAULT - in that order.
file_env() {
    local var="$1" def="${2:-}"
    local file_var="${var}_FILE"
    local val="$def"

    if [[ -n "${!var:-}" && -n "${!file_var:-}" ]]; then
        err "error: both ${var} and ${file_var} are set (but are exclusive)"
        exit 1
    fi
    if [[ -n "${!var:-}" ]]; then
        val="${!var}"
    elif [[ -n "${!file_var:-}" ]]; then
        val="$(<"${!file_var}")"
    fi
    export "$var"="$val"
    unset "$file_var"
}

# True when the arguments only ask postgres for help/version/config output;
# no initialisation is done in that case.
want_help() {
    local arg
    for arg; do
        case "$arg" in
            -'?' | --help | --describe-config | -V | --version) return 0 ;;
        esac
    done
    return 1
}

# Load the POSTGRES_* settings and find out whether a cluster already exists.
setup_env() {
    file_env POSTGRES_PASSWORD
    file_env POSTGRES_USER postgres
    file_env POSTGRES_DB "$POSTGRES_USER"
    file_env POSTGRES_INITDB_ARGS
    : "${POSTGRES_INITDB_WALDIR:=}"
    : "${POSTGRES_HOST_AUTH_METHOD:=}"
    : "${PGDATA:=/var/lib/postgresql/data}"
    export PGDATA

    DATABASE_ALREADY_EXISTS=
    if [[ -s "$PGDATA/PG_VERSION" ]]; then
        DATABASE_ALREADY_EXISTS=true
    fi
}

# Create PGDATA (and the WAL dir) and the socket directory. As root, also
# hand everything to the postgres user; as another user, do what we can.
create_db_directories() {
    local user_id
    user_id="$(id -u)"

    mkdir -p "$PGDATA"
    # Ignore failures: with a bind mount owned by someone else this is the
    # best we can do, and initdb reports a real problem clearly.
    chmod 00700 "$PGDATA" || :

    mkdir -p "$SOCKET_DIR" || :
    chmod 03775 "$SOCKET_DIR" || :

    if [[ -n "$POSTGRES_INITDB_WALDIR" ]]; then
        mkdir -p "$POSTGRES_INITDB_WALDIR"
        if [[ "$user_id" == 0 ]]; then
            find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres: '{}' +
        fi
        chmod 700 "$POSTGRES_INITDB_WALDIR"
    fi

    if [[ "$user_id" == 0 ]]; then
        find "$PGDATA" \! -user postgres -exec chown postgres: '{}' +
        find "$SOCKET_DIR" \! -user postgres -exec chown postgres: '{}' +
    fi
}

# Refuse to initialise a cluster that nobody could log into over TCP.
verify_minimum_env() {
    if [[ -z "$POSTGRES_PASSWORD" && "$POSTGRES_HOST_AUTH_METHOD" != trust ]]; then
        cat >&2 <<-'EOE'
		Error: Database is uninitialized and superuser password is not specified.
		       You must specify POSTGRES_PASSWORD to a non-empty value for the
		       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

		       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
		       connections without a password. This is *not* recommended.

		       See PostgreSQL documentation about "trust":
		       https://www.postgresql.org/docs/current/auth-trust.html
		EOE
        exit 1
    fi
    if [[ "$POSTGRES_HOST_AUTH_METHOD" == trust ]]; then
        cat >&2 <<-'EOWARN'
		********************************************************************************
		WARNING: POSTGRES_HOST_AUTH_METHOD has been set to "trust". This will allow
		         anyone with access to the Postgres port to access your database without
		         a password, even if POSTGRES_PASSWORD is set.
		********************************************************************************
		EOWARN
    fi
}

# Run initdb for a new cluster.
init_database_dir() {
    local -a args=(
        --username="$POSTGRES_USER"
        --encoding=UTF8
        --locale=C.UTF-8
    )
    local -a extra=()

    if [[ -n "$POSTGRES_INITDB_WALDIR" ]]; then
        args+=(--waldir="$POSTGRES_INITDB_WALDIR")
    fi
    # User-supplied arguments come last so they override the defaults above.
    if [[ -n "$POSTGRES_INITDB_ARGS" ]]; then
        read -r -a extra <<<"$POSTGRES_INITDB_ARGS"
    fi

    if [[ -n "$POSTGRES_PASSWORD" ]]; then
        # printf is a shell builtin: the password never appears in argv.
        initdb "${args[@]}" --pwfile=<(printf '%s' "$POSTGRES_PASSWORD") "${extra[@]}"
    else
        initdb "${args[@]}" "${extra[@]}"
    fi
}

# Local connections are trusted (socket and loopback), everything else must
# authenticate - with scram-sha-256 unless POSTGRES_HOST_AUTH_METHOD says
# otherwise.
setup_hba_conf() {
    local auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"

    cat >"$PGDATA/pg_hba.conf" <<-EOHBA
	# pg_hba.conf written by docker-entrypoint.sh on first start.
	# TYPE  DATABASE        USER            ADDRESS                 METHOD
	local   all             all                                     trust
	host    all             all             127.0.0.1/32            trust
	host    all             all             ::1/128                 trust
	local   replication     all                                     trust
	host    replication     all             127.0.0.1/32            trust
	host    replication     all             ::1/128                 trust

	host    all             all             all                     ${auth}
	EOHBA
}

# Listen on every interface (the later setting in postgresql.conf wins).
setup_listen_addresses() {
    printf "\n# Added by docker-entrypoint.sh\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
}

# process_sql DBNAME [PSQL-ARGS...]: run psql against the (temporary)
# server over the unix socket, stopping at the first error.
process_sql() {
    local dbname="$1"
    shift
    PGHOST='' PGHOSTADDR='' psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
        --no-password --no-psqlrc --dbname "$dbname" "$@"
}

# Start a server reachable only through the unix socket, passing along any
# `-c name=value` options given on the command line.
temp_server_start() {
    if [[ "${1:-}" == postgres ]]; then
        shift
    fi
    set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"

    # Init scripts may connect with libpq defaults.
    PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
    export PGPASSWORD

    PGUSER="${PGUSER:-$POSTGRES_USER}" \
        pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

temp_server_stop() {
    PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
}

# Create POSTGRES_DB unless it already exists (e.g. "postgres").
setup_db() {
    local exists
    exists="$(process_sql postgres --set db="$POSTGRES_DB" --tuples-only <<-'EOSQL'
		SELECT 1 FROM pg_database WHERE datname = :'db';
	EOSQL
    )"
    if [[ -z "${exists//[[:space:]]/}" ]]; then
        process_sql postgres --set db="$POSTGRES_DB" <<-'EOSQL'
			CREATE DATABASE :"db";
		EOSQL
        log ""
    fi
}

# Run the init scripts in /docker-entrypoint-initdb.d in name order:
# *.sh are executed (or sourced when not executable), *.sql and *.sql.gz are
# fed to psql, anything else is ignored.
process_init_files() {
    local f
    log ""
    for f; do
        case "$f" in
            *.sh)
                if [[ -x "$f" ]]; then
                    log "$0: running $f"
                    "$f"
                else
                    log "$0: sourcing $f"
                    # Sourced like in the official image (the script may set
                    # variables for later ones); tolerate unset variables.
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
            *.sql.gz)
                log "$0: running $f"
                gzip -dc "$f" | process_sql "$POSTGRES_DB"
                log ""
                ;;
            *)
                log "$0: ignoring $f"
                ;;
        esac
    done
}

main() {
    # `docker run IMAGE -c shared_buffers=256MB` means "postgres -c ...".
    if [[ "${1:-}" == -* ]]; then
        set -- postgres "$@"
    fi

    if [[ "${1:-}" == postgres ]] && ! want_help "$@"; then
        setup_env
        create_db_directories

        if [[ "$(id -u)" == 0 ]]; then
            # Drop to the postgres user and start over.
            HOME=/var/lib/postgresql exec setpriv --reuid=postgres --regid=postgres --init-groups \
                "${BASH_SOURCE[0]}" "$@"
        fi

        if [[ -z "$DATABASE_ALREADY_EXISTS" ]]; then
            verify_minimum_env

            # Fail before initdb if the init directory cannot be read.
            ls "$INITDB_DIR"/ >/dev/null

            init_database_dir
            setup_hba_conf
            setup_listen_addresses

            temp_server_start "$@"
            setup_db
            shopt -s nullglob
            process_init_files "$INITDB_DIR"/*
            shopt -u nullglob
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
