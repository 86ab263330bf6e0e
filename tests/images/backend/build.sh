#!/usr/bin/env bash
#
# build.sh - build the backend test image of fancai.db_runbooks: a stand-in
# for the bookreader application's backend container (Debian's python3,
# SQLAlchemy 2, Alembic, psycopg2, and the Alembic chain in /app).
#
# stdout: EXACTLY one line, the image reference to use. Everything else goes
# to stderr:  image="$(tests/images/backend/build.sh)"
#
# Resolution order:
#   a. $DB_RUNBOOKS_TEST_BACKEND_IMAGE, if set: used as is when present
#      locally (built when it names the image below); an error otherwise.
#   b. fancai-db-runbooks/bookreader-backend:test, built here:
#        1. the base is the Debian bookworm root filesystem image
#           fancai-db-runbooks/postgres-rootfs:15 (made by
#           tests/images/postgres15/build.sh --local when missing);
#        2. the wheels pinned in requirements.txt are downloaded on the docker
#           host with pip (CPython 3.11, manylinux x86_64) into
#           .cache/backend-wheels, and installed offline in the image;
#        3. `docker build` the Dockerfile next to this script.
#      The image carries a label with the sha256 of its inputs (this script,
#      Dockerfile, requirements.txt, every file below app/, the base image's
#      id); when it matches, nothing is built, so a warm run takes well under
#      a second. No container registry is used.
#
# Options:
#   --rebuild   build even when the label matches.
#   -h, --help  show this help.
#
# Environment:
#   DB_RUNBOOKS_TEST_BACKEND_IMAGE   image to use instead (see a.)
#   DB_RUNBOOKS_PIP                  pip command for the download (default: the
#                                    checkout's .venv/bin/python -m pip, else
#                                    python3 -m pip)
#
# Exit codes: 0 success (image reference printed), 1 failure, 2 usage error.

set -euo pipefail

exec 3>&1 1>&2

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "${SCRIPT_DIR}/../../.." && pwd)"
readonly SCRIPT_DIR REPO_DIR

readonly LOCAL_IMAGE="fancai-db-runbooks/bookreader-backend:test"
readonly BASE_IMAGE="fancai-db-runbooks/postgres-rootfs:15"
readonly INPUTS_LABEL="io.fancai.db-runbooks.inputs-sha256"
readonly WHEEL_DIR="${REPO_DIR}/.cache/backend-wheels"
# The image's python3 (Debian bookworm) and the wheels that fit it.
readonly PY_VERSION=3.11
readonly -a PLATFORMS=(manylinux2014_x86_64 manylinux_2_17_x86_64 manylinux_2_24_x86_64 manylinux_2_28_x86_64)

CONTEXT_DIR=""

log() { printf '[backend-image +%ss] %s\n' "$SECONDS" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
    sed -n '3,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&"${1:-2}"
}

emit() {
    printf '%s\n' "$1" >&3
    exit 0
}

# shellcheck disable=SC2317,SC2329  # invoked by the trap only
cleanup() {
    local rc=$?
    [[ -z "$CONTEXT_DIR" ]] || rm -rf "$CONTEXT_DIR"
    return "$rc"
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

# The files of the application, relative to SCRIPT_DIR, in a stable order.
app_files() {
    (cd "$SCRIPT_DIR" && find app -type f ! -name '*.pyc' ! -path '*/__pycache__/*' | LC_ALL=C sort)
}

# sha256 over the names and contents of the inputs, and the base image id.
inputs_sha256() {
    local f
    {
        for f in build.sh Dockerfile requirements.txt $(app_files); do
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

pip_command() {
    if [[ -n "${DB_RUNBOOKS_PIP:-}" ]]; then
        # shellcheck disable=SC2206  # a command line on purpose
        PIP=(${DB_RUNBOOKS_PIP})
    elif [[ -x "${REPO_DIR}/.venv/bin/python" ]]; then
        PIP=("${REPO_DIR}/.venv/bin/python" -m pip)
    else
        PIP=(python3 -m pip)
    fi
}

# Download the pinned wheels (hash-checked) into WHEEL_DIR; files already
# there are reused.
download_wheels() {
    local -a platform_args=() PIP=()
    local p
    for p in "${PLATFORMS[@]}"; do platform_args+=(--platform "$p"); done
    pip_command
    mkdir -p "$WHEEL_DIR"
    log "downloading the wheels of requirements.txt with ${PIP[*]}"
    "${PIP[@]}" download --quiet --disable-pip-version-check --no-deps --require-hashes \
        --only-binary :all: --python-version "$PY_VERSION" --implementation cp \
        --abi "cp${PY_VERSION/./}" "${platform_args[@]}" \
        --dest "$WHEEL_DIR" -r "${SCRIPT_DIR}/requirements.txt" ||
        die "pip download of tests/images/backend/requirements.txt failed (is PyPI reachable?)"
}

build_image() {
    local rebuild="$1" hash lock_file old_image
    ensure_base_image
    hash="$(inputs_sha256)"

    if [[ "$rebuild" != true && "$(image_label "$LOCAL_IMAGE" "$INPUTS_LABEL")" == "$hash" ]]; then
        log "${LOCAL_IMAGE} is up to date (inputs sha256 ${hash:0:12}); nothing to build"
        return 0
    fi

    lock_file="${TMPDIR:-/tmp}/fancai-db-runbooks-backend.lock"
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
    download_wheels

    CONTEXT_DIR="$(mktemp -d "${TMPDIR:-/tmp}/dbrb-backend-context.XXXXXX")"
    cp "${SCRIPT_DIR}/Dockerfile" "${SCRIPT_DIR}/requirements.txt" "$CONTEXT_DIR/"
    mkdir -p "${CONTEXT_DIR}/wheels"
    cp "$WHEEL_DIR"/*.whl "${CONTEXT_DIR}/wheels/"
    (cd "$SCRIPT_DIR" && app_files | while IFS= read -r f; do
        mkdir -p "${CONTEXT_DIR}/$(dirname "$f")"
        cp "$f" "${CONTEXT_DIR}/${f}"
    done)

    log "docker build ${LOCAL_IMAGE} (inputs sha256 ${hash:0:12})"
    docker build \
        --build-arg "BASE_IMAGE=${BASE_IMAGE}" \
        --build-arg "INPUTS_SHA256=${hash}" \
        --tag "$LOCAL_IMAGE" \
        "$CONTEXT_DIR" ||
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
    local rebuild=false
    while (($#)); do
        case "$1" in
            --rebuild) rebuild=true ;;
            -h | --help) usage 3; exit 0 ;;
            *) log "unknown argument: $1"; usage; exit 2 ;;
        esac
        shift
    done

    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    require_docker

    if [[ -n "${DB_RUNBOOKS_TEST_BACKEND_IMAGE:-}" && "$DB_RUNBOOKS_TEST_BACKEND_IMAGE" != "$LOCAL_IMAGE" ]]; then
        image_exists "$DB_RUNBOOKS_TEST_BACKEND_IMAGE" ||
            die "DB_RUNBOOKS_TEST_BACKEND_IMAGE=${DB_RUNBOOKS_TEST_BACKEND_IMAGE} is not present locally;" \
                "load it (docker load) or unset DB_RUNBOOKS_TEST_BACKEND_IMAGE"
        log "using DB_RUNBOOKS_TEST_BACKEND_IMAGE=${DB_RUNBOOKS_TEST_BACKEND_IMAGE} (present locally)"
        emit "$DB_RUNBOOKS_TEST_BACKEND_IMAGE"
    fi

    build_image "$rebuild"
    emit "$LOCAL_IMAGE"
}

main "$@"
