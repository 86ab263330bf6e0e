#!/usr/bin/env bash
#
# build.sh - resolve the image of the application's PostgreSQL for the
# fancai.db_runbooks tests (compose mode of molecule/shared/create.yml): the
# application runs postgres:15.7-alpine, so nothing may assume bash or GNU
# tools inside its container.
#
# stdout: EXACTLY one line, the image reference to use. Everything else goes
# to stderr:  image="$(tests/images/postgres15-sh/build.sh)"
#
# Resolution order:
#   a. $DB_RUNBOOKS_TEST_APP_IMAGE, if set: used as is when present locally
#      (built when it names the image below); an error otherwise.
#   b. postgres:15.7-alpine, if present locally (never pulled: no wait on a
#      registry).
#   c. fancai-db-runbooks/postgres-sh:15, built offline: a FROM scratch image
#      holding PostgreSQL 15 (from fancai-db-runbooks/postgres-rootfs:15,
#      made by tests/images/postgres15/build.sh --local when missing), dash as
#      /bin/sh and nothing else (assemble.sh), with a POSIX sh entrypoint.
#      It carries a label with the sha256 of its inputs (this script,
#      Dockerfile, assemble.sh, docker-entrypoint.sh, the base image's id);
#      when it matches nothing is built, so a warm run takes well under a second.
#
# Options:
#   --local     skip (a) and (b): always resolve to the offline image.
#   --rebuild   rebuild the offline image (implies --local).
#   -h, --help  show this help.
#
# Exit codes: 0 success (image reference printed), 1 failure, 2 usage error.

set -euo pipefail

exec 3>&1 1>&2

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/../../.." && pwd)"
readonly SCRIPT_DIR REPO_DIR

readonly APP_IMAGE="postgres:15.7-alpine"
readonly LOCAL_IMAGE="fancai-db-runbooks/postgres-sh:15"
readonly BASE_IMAGE="fancai-db-runbooks/postgres-rootfs:15"
readonly INPUTS_LABEL="io.fancai.db-runbooks.inputs-sha256"
readonly BUILD_INPUTS=(build.sh Dockerfile assemble.sh docker-entrypoint.sh)

log() { printf '[postgres15-sh-image +%ss] %s\n' "$SECONDS" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
    sed -n '3,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&"${1:-2}"
}

emit() {
    printf '%s\n' "$1" >&3
    exit 0
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
image_label() { docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }
image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

require_docker() {
    command -v docker >/dev/null 2>&1 ||
        die "the docker client is not installed (see tests/scripts/docker-engine.sh)"
    timeout 30 docker info >/dev/null 2>&1 ||
        die "no Docker engine answers 'docker info'; run tests/scripts/docker-engine.sh first"
}

inputs_sha256() {
    local f
    {
        for f in "${BUILD_INPUTS[@]}"; do
            printf '== %s\n' "$f"
            cat "${SCRIPT_DIR}/${f}"
        done
        printf '== base %s\n' "$(image_id "$BASE_IMAGE")"
    } | sha256sum | cut -d' ' -f1
}

ensure_base_image() {
    image_exists "$BASE_IMAGE" && return 0
    log "${BASE_IMAGE} is missing; building it with tests/images/postgres15/build.sh --local"
    bash "${REPO_DIR}/tests/images/postgres15/build.sh" --local >/dev/null ||
        die "could not build ${BASE_IMAGE}"
    image_exists "$BASE_IMAGE" || die "tests/images/postgres15/build.sh --local did not leave ${BASE_IMAGE}"
}

build_image() {
    local rebuild="$1" hash lock_file old_image
    ensure_base_image
    hash="$(inputs_sha256)"

    if [[ "$rebuild" != true && "$(image_label "$LOCAL_IMAGE" "$INPUTS_LABEL")" == "$hash" ]]; then
        log "${LOCAL_IMAGE} is up to date (inputs sha256 ${hash:0:12}); nothing to build"
        return 0
    fi

    lock_file="${TMPDIR:-/tmp}/fancai-db-runbooks-postgres15-sh.lock"
    if command -v flock >/dev/null 2>&1 && exec 9>>"$lock_file"; then
        if ! flock --nonblock 9; then
            log "another build is running; waiting for ${lock_file}"
            flock 9
        fi
        if [[ "$rebuild" != true && "$(image_label "$LOCAL_IMAGE" "$INPUTS_LABEL")" == "$hash" ]]; then
            log "${LOCAL_IMAGE} was built meanwhile; nothing to build"
            return 0
        fi
    fi

    old_image="$(image_id "$LOCAL_IMAGE")"
    log "docker build ${LOCAL_IMAGE} (inputs sha256 ${hash:0:12})"
    docker build \
        --build-arg "BASE_IMAGE=${BASE_IMAGE}" \
        --build-arg "INPUTS_SHA256=${hash}" \
        --tag "$LOCAL_IMAGE" \
        --file "${SCRIPT_DIR}/Dockerfile" \
        "$SCRIPT_DIR" ||
        die "docker build of ${LOCAL_IMAGE} failed"

    [[ "$(image_label "$LOCAL_IMAGE" "$INPUTS_LABEL")" == "$hash" ]] ||
        die "${LOCAL_IMAGE} was built but does not carry the expected ${INPUTS_LABEL} label"
    log "${LOCAL_IMAGE} built"

    # The image the tag moved away from, unless a container still uses it.
    if [[ -n "$old_image" && "$old_image" != "$(image_id "$LOCAL_IMAGE")" ]] &&
        [[ "$(docker image inspect --format '{{len .RepoTags}}' "$old_image" 2>/dev/null)" == 0 ]]; then
        docker image rm "$old_image" >/dev/null 2>&1 || log "kept superseded image ${old_image:7:12} (still in use)"
    fi
}

main() {
    local force_local=false rebuild=false
    while (($#)); do
        case "$1" in
            --local) force_local=true ;;
            --rebuild) force_local=true rebuild=true ;;
            -h | --help) usage 3; exit 0 ;;
            *) log "unknown argument: $1"; usage; exit 2 ;;
        esac
        shift
    done

    trap 'exit 130' INT
    trap 'exit 143' TERM
    require_docker

    if [[ "$force_local" != true ]]; then
        if [[ -n "${DB_RUNBOOKS_TEST_APP_IMAGE:-}" && "$DB_RUNBOOKS_TEST_APP_IMAGE" != "$LOCAL_IMAGE" ]]; then
            image_exists "$DB_RUNBOOKS_TEST_APP_IMAGE" ||
                die "DB_RUNBOOKS_TEST_APP_IMAGE=${DB_RUNBOOKS_TEST_APP_IMAGE} is not present locally;" \
                    "load it (docker load) or unset DB_RUNBOOKS_TEST_APP_IMAGE"
            log "using DB_RUNBOOKS_TEST_APP_IMAGE=${DB_RUNBOOKS_TEST_APP_IMAGE} (present locally)"
            emit "$DB_RUNBOOKS_TEST_APP_IMAGE"
        fi
        if [[ -z "${DB_RUNBOOKS_TEST_APP_IMAGE:-}" ]] && image_exists "$APP_IMAGE"; then
            log "using ${APP_IMAGE} (present locally)"
            emit "$APP_IMAGE"
        fi
    fi

    build_image "$rebuild"
    emit "$LOCAL_IMAGE"
}

main "$@"
