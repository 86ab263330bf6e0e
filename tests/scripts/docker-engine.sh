#!/usr/bin/env bash
#
# docker-engine.sh - make sure a Docker engine answers `docker info`.
#
# The integration tests of fancai.db_runbooks start throw-away database
# containers, so they need a working Docker engine, not just the client.
#
#   * Engine already answers          -> print one line, exit 0.
#   * Root on a Debian/apt machine    -> install the engine if needed
#                                        (docker.io, or docker-ce when Docker's
#                                        own CLI package is installed), start
#                                        dockerd in the background and wait
#                                        until it answers.
#   * Anything else (not root, no apt, DOCKER_HOST pointing elsewhere)
#                                     -> explain what is missing, exit 1.
#
# The script is idempotent: a second run finds the engine up and does nothing.
#
# Environment:
#   DB_RUNBOOKS_DOCKERD_ARGS   extra arguments for dockerd (word-split),
#                              e.g. "--storage-driver=vfs" inside containers
#                              that cannot nest overlayfs.
#   DB_RUNBOOKS_DOCKERD_WAIT   seconds to wait for the engine (default 60).
#
# Exit codes: 0 engine answers, 1 engine unavailable / could not be started.

set -euo pipefail

readonly PROG="docker-engine"
readonly DOCKERD_LOG="/var/log/dockerd-db-runbooks.log"
readonly DOCKERD_PIDFILE="/var/run/docker.pid"
readonly WAIT_SECONDS="${DB_RUNBOOKS_DOCKERD_WAIT:-60}"

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# True when the engine answers. Bounded so a wedged daemon cannot hang us.
engine_answers() {
    command -v docker >/dev/null 2>&1 && timeout 15 docker info >/dev/null 2>&1
}

# One-line summary of the running engine.
engine_summary() {
    local version
    version="$(timeout 15 docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown)"
    printf '%s: Docker engine is up (server %s)\n' "$PROG" "$version"
}

# Explain how to get an engine on machines we do not manage ourselves.
explain_and_fail() {
    local reason="$1"
    log "ERROR: no Docker engine answers 'docker info' and it cannot be started here: ${reason}."
    if ! command -v docker >/dev/null 2>&1; then
        log "  - the docker client is not installed."
    fi
    if ! command -v dockerd >/dev/null 2>&1; then
        log "  - the Docker engine (dockerd) is not installed."
    fi
    log "How to fix:"
    log "  - Debian/Ubuntu, as root: apt-get install docker.io && dockerd &   (or re-run this script as root)"
    log "  - other systems: install Docker Engine (https://docs.docker.com/engine/install/) and start it"
    log "  - if an engine runs but you are not allowed to use it: add yourself to the 'docker' group"
    log "    or point DOCKER_HOST at a reachable engine."
    exit 1
}

# Print the last lines of the dockerd log (used on failure).
show_log_tail() {
    if [[ -s "$DOCKERD_LOG" ]]; then
        log "last lines of ${DOCKERD_LOG}:"
        tail -n 40 "$DOCKERD_LOG" >&2 || true
    fi
}

# Install the engine with apt. `apt-get update` runs at most once per call.
install_engine() {
    local package="docker.io"

    export DEBIAN_FRONTEND=noninteractive

    log "running apt-get update"
    # An unreachable third-party source makes `apt-get update` exit non-zero
    # even though the Debian indexes were refreshed; let the install decide.
    if ! apt-get update >&2; then
        log "WARNING: apt-get update reported errors; trying the install anyway"
    fi

    # docker.io conflicts with Docker's own docker-ce-cli package. If that CLI
    # is installed and its repository offers the matching engine, use it
    # instead of replacing the CLI.
    if dpkg-query -W -f '${Status}' docker-ce-cli 2>/dev/null | grep -q 'ok installed' &&
        apt-cache policy docker-ce 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        package="docker-ce"
    fi

    log "installing ${package}"
    apt-get install -y "$package" >&2 || die "apt-get install ${package} failed"
    command -v dockerd >/dev/null 2>&1 || die "${package} is installed but dockerd is still not on PATH"
}

# PID of a dockerd that is already running (possibly still starting), if any.
running_dockerd_pid() {
    local pid
    if [[ -s "$DOCKERD_PIDFILE" ]]; then
        pid="$(cat "$DOCKERD_PIDFILE" 2>/dev/null || true)"
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
            [[ "$(cat "/proc/${pid}/comm" 2>/dev/null || true)" == dockerd ]]; then
            printf '%s\n' "$pid"
            return 0
        fi
    fi
    # No pid file: scan /proc (procps/pgrep is not always installed).
    local comm
    for comm in /proc/[0-9]*/comm; do
        if [[ "$(cat "$comm" 2>/dev/null || true)" == dockerd ]]; then
            pid="${comm#/proc/}"
            printf '%s\n' "${pid%/comm}"
            return 0
        fi
    done
    return 0
}

# Start dockerd detached from this script so that it survives our exit.
start_dockerd() {
    local -a extra_args=()
    if [[ -n "${DB_RUNBOOKS_DOCKERD_ARGS:-}" ]]; then
        read -r -a extra_args <<<"$DB_RUNBOOKS_DOCKERD_ARGS"
    fi

    # A pid file left behind by a dead dockerd makes the new one refuse to start.
    if [[ -e "$DOCKERD_PIDFILE" ]]; then
        log "removing stale ${DOCKERD_PIDFILE}"
        rm -f "$DOCKERD_PIDFILE"
    fi

    mkdir -p "$(dirname "$DOCKERD_LOG")"
    printf '\n==== %s: dockerd started by %s ====\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$PROG" >>"$DOCKERD_LOG"

    log "starting dockerd in the background (log: ${DOCKERD_LOG})"
    # setsid: own session, so no SIGHUP/SIGINT from our terminal reaches it;
    # nohup: ignore SIGHUP anyway; stdin from /dev/null so it never holds ours.
    setsid nohup dockerd "${extra_args[@]}" >>"$DOCKERD_LOG" 2>&1 </dev/null &
    DOCKERD_PID=$!
    disown "$DOCKERD_PID" 2>/dev/null || true
}

# Poll `docker info` until it answers, the daemon dies, or time runs out.
wait_for_engine() {
    local pid="$1" deadline=$((SECONDS + WAIT_SECONDS))

    log "waiting up to ${WAIT_SECONDS}s for the engine to answer"
    while ((SECONDS < deadline)); do
        if engine_answers; then
            return 0
        fi
        # setsid may have forked, so fall back to any dockerd process.
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null && [[ -z "$(running_dockerd_pid)" ]]; then
            show_log_tail
            die "dockerd exited during start-up"
        fi
        sleep 1
    done
    show_log_tail
    die "the Docker engine did not answer within ${WAIT_SECONDS}s"
}

main() {
    local pid

    if engine_answers; then
        engine_summary
        exit 0
    fi

    # An engine elsewhere cannot be fixed by starting a local daemon.
    if [[ -n "${DOCKER_HOST:-}" && "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ]]; then
        explain_and_fail "DOCKER_HOST=${DOCKER_HOST} does not answer"
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        explain_and_fail "not running as root"
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        explain_and_fail "this is not an apt-based (Debian/Ubuntu) machine"
    fi

    if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
        install_engine
    fi

    pid="$(running_dockerd_pid || true)"
    if [[ -n "$pid" ]]; then
        log "dockerd is already running (pid ${pid}); not starting another one"
    else
        start_dockerd
        pid="$DOCKERD_PID"
    fi

    wait_for_engine "$pid"
    engine_summary
}

main "$@"
