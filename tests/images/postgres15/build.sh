#!/usr/bin/env bash
#
# build.sh - resolve the PostgreSQL 15 image the fancai.db_runbooks tests use,
# building an offline equivalent of `postgres:15` when no registry is reachable.
#
# stdout: EXACTLY one line, the image reference to use. Everything else
# (progress, docker/debootstrap output, errors) goes to stderr, so callers can
# simply do:  image="$(tests/images/postgres15/build.sh)"
#
# Resolution order:
#   a. $DB_RUNBOOKS_TEST_IMAGE, if set: used as is; pulled when not present
#      locally (it is built instead when it names the offline image below).
#   b. postgres:15 (the official image), if present locally or if
#      `docker pull postgres:15` succeeds within 60 s.
#   c. fancai-db-runbooks/postgres:15, built offline:
#        1. debootstrap a minimal Debian bookworm root filesystem and install
#           postgresql-15 into it with apt (no cluster, no services, no docs);
#        2. import it as fancai-db-runbooks/postgres-rootfs:15;
#        3. `docker build` the Dockerfile next to this script on top of it.
#      Both images carry a label with the sha256 of their inputs; when it
#      matches, the build step is skipped, so a warm run takes about a second.
#
# Options:
#   --local     skip (a) and (b): always resolve to the offline image.
#   --rebuild   rebuild the offline image from scratch (implies --local).
#   -h, --help  show this help.
#
# Environment:
#   DB_RUNBOOKS_TEST_IMAGE               image to use instead (see a.)
#   DB_RUNBOOKS_DEBIAN_MIRROR            default http://deb.debian.org/debian
#   DB_RUNBOOKS_DEBIAN_SECURITY_MIRROR   default http://deb.debian.org/debian-security
#   TMPDIR                               work area for the root filesystem
#                                        (default /var/tmp, needs ~600 MB)
#
# The offline build needs root (debootstrap, chroot, mount) and, when
# debootstrap is missing, an apt-based machine to install it.
#
# Exit codes: 0 success (image reference printed), 1 failure, 2 usage error.

set -euo pipefail

# Keep the real stdout on fd 3 for the final answer; send everything else,
# including the output of every command below, to stderr.
exec 3>&1 1>&2

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR

readonly OFFICIAL_IMAGE="postgres:15"
readonly LOCAL_IMAGE="fancai-db-runbooks/postgres:15"
readonly ROOTFS_IMAGE="fancai-db-runbooks/postgres-rootfs:15"
readonly INPUTS_LABEL="io.fancai.db-runbooks.inputs-sha256"
readonly ROOTFS_LABEL="io.fancai.db-runbooks.rootfs-sha256"
readonly PULL_TIMEOUT=60

readonly SUITE="bookworm"
readonly MIRROR="${DB_RUNBOOKS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
readonly SECURITY_MIRROR="${DB_RUNBOOKS_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

# Files whose content defines the offline image.
readonly BUILD_INPUTS=(build.sh Dockerfile docker-entrypoint.sh)

# Temporary work directory of the root filesystem build (cleaned by the trap).
WORK_DIR=""

log() { printf '[postgres15-image +%ss] %s\n' "$SECONDS" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# usage [FD]: print the header comment above as help text (default: stderr).
usage() {
    sed -n '3,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&"${1:-2}"
}

# Print the chosen image reference on the real stdout and stop.
emit() {
    printf '%s\n' "$1" >&3
    exit 0
}

# ---------------------------------------------------------------------------
# Docker helpers
# ---------------------------------------------------------------------------

require_docker() {
    command -v docker >/dev/null 2>&1 ||
        die "the docker client is not installed (see tests/scripts/docker-engine.sh)"
    timeout 30 docker info >/dev/null 2>&1 ||
        die "no Docker engine answers 'docker info'; run tests/scripts/docker-engine.sh first"
}

image_exists() {
    docker image inspect "$1" >/dev/null 2>&1
}

# image_label IMAGE LABEL: print the label's value (empty when absent).
image_label() {
    docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

# image_id IMAGE: print the full image id (empty when absent).
image_id() {
    docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true
}

# remove_superseded OLD_ID NEW_ID: delete an image this script built earlier
# once a rebuild has moved the tag away from it. Never forced, so an image
# that a container still uses, or that got another tag, is kept.
remove_superseded() {
    local old_id="$1" new_id="$2" short
    [[ -n "$old_id" && "$old_id" != "$new_id" ]] || return 0
    image_exists "$old_id" || return 0
    short="${old_id#sha256:}"
    short="${short:0:12}"
    if [[ "$(docker image inspect --format '{{len .RepoTags}}' "$old_id" 2>/dev/null)" == 0 ]]; then
        if docker image rm "$old_id" >/dev/null 2>&1; then
            log "removed superseded image ${short}"
        else
            log "kept superseded image ${short} (still used by a container or a child image)"
        fi
    fi
}

# sha256 over the content of the given files in SCRIPT_DIR (order matters),
# plus any extra strings; the file names are part of the hash as well.
inputs_sha256() {
    local -a files=()
    local extra=""
    while (($#)); do
        if [[ "$1" == -- ]]; then
            shift
            extra="$*"
            break
        fi
        files+=("$1")
        shift
    done
    {
        local f
        for f in "${files[@]}"; do
            printf '== %s\n' "$f"
            cat "${SCRIPT_DIR}/${f}"
        done
        printf '== extra %s\n' "$extra"
    } | sha256sum | cut -d' ' -f1
}

# ---------------------------------------------------------------------------
# (a) / (b): images we do not build ourselves
# ---------------------------------------------------------------------------

use_requested_image() {
    local image="$1"
    if image_exists "$image"; then
        log "using DB_RUNBOOKS_TEST_IMAGE=${image} (present locally)"
        emit "$image"
    fi
    if [[ "$image" == "$LOCAL_IMAGE" ]]; then
        log "DB_RUNBOOKS_TEST_IMAGE names the offline image; building it"
        build_local_image
        emit "$LOCAL_IMAGE"
    fi
    log "DB_RUNBOOKS_TEST_IMAGE=${image} is not present locally; pulling it"
    if timeout "$PULL_TIMEOUT" docker pull "$image"; then
        emit "$image"
    fi
    die "DB_RUNBOOKS_TEST_IMAGE=${image} is not present locally and 'docker pull ${image}' failed;" \
        "load it (docker load/import) or unset DB_RUNBOOKS_TEST_IMAGE"
}

try_official_image() {
    if image_exists "$OFFICIAL_IMAGE"; then
        log "using ${OFFICIAL_IMAGE} (present locally)"
        emit "$OFFICIAL_IMAGE"
    fi
    log "trying 'docker pull ${OFFICIAL_IMAGE}' (timeout ${PULL_TIMEOUT}s)"
    if timeout "$PULL_TIMEOUT" docker pull "$OFFICIAL_IMAGE"; then
        emit "$OFFICIAL_IMAGE"
    fi
    log "${OFFICIAL_IMAGE} is not available; falling back to the offline image ${LOCAL_IMAGE}"
}

# ---------------------------------------------------------------------------
# (c) offline build: root filesystem
# ---------------------------------------------------------------------------

# Make sure debootstrap (and the Debian archive keyring it verifies the
# Release file with) is available, installing it on root + apt machines.
require_debootstrap() {
    if command -v debootstrap >/dev/null 2>&1 &&
        [[ -s /usr/share/keyrings/debian-archive-keyring.gpg ]]; then
        return 0
    fi
    if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        die "debootstrap is required to build ${LOCAL_IMAGE} offline but is not installed," \
            "and it can only be installed automatically as root on an apt-based machine." \
            "Install debootstrap and debian-archive-keyring, or set DB_RUNBOOKS_TEST_IMAGE" \
            "to an existing PostgreSQL 15 image."
    fi
    log "installing debootstrap with apt"
    export DEBIAN_FRONTEND=noninteractive
    # A broken third-party source makes `apt-get update` fail although the
    # Debian indexes were refreshed; let the install decide.
    apt-get update || log "WARNING: apt-get update reported errors; trying the install anyway"
    apt-get install -y --no-install-recommends debootstrap debian-archive-keyring ||
        die "could not install debootstrap with apt"
}

# List the mount points at or below the work directory, deepest first.
work_mounts() {
    [[ -n "$WORK_DIR" ]] || return 0
    awk -v root="$WORK_DIR" '
        { mp = $2; gsub(/\\040/, " ", mp) }
        mp == root || index(mp, root "/") == 1 { print mp }
    ' /proc/self/mounts | sort -r
}

# Unmount everything below the work directory. Returns non-zero if anything
# is still mounted afterwards.
unmount_work() {
    local mp
    while IFS= read -r mp; do
        [[ -n "$mp" ]] || continue
        umount "$mp" 2>/dev/null || umount -l "$mp" ||
            log "WARNING: could not unmount ${mp}"
    done < <(work_mounts)
    [[ -z "$(work_mounts)" ]]
}

# EXIT trap: never leave mounts behind, and only delete the work directory
# once nothing is mounted below it (a bind-mounted /dev must not be wiped).
# shellcheck disable=SC2329  # invoked by the trap only
cleanup() {
    local rc=$?
    if [[ -n "$WORK_DIR" && -d "$WORK_DIR" ]]; then
        if unmount_work; then
            rm -rf --one-file-system "$WORK_DIR"
        else
            log "WARNING: mounts remain below ${WORK_DIR}; not deleting it"
        fi
    fi
    return "$rc"
}

# Mount what apt and the maintainer scripts need inside the chroot.
mount_chroot() {
    local rootfs="$1" dev

    mount -t proc proc "${rootfs}/proc"

    # debootstrap creates device nodes with mknod; where that is impossible
    # (containers, nodev file systems) provide the basic ones by bind mounts
    # on a private tmpfs, like debootstrap itself does.
    if ! chroot "$rootfs" /bin/sh -c ': >/dev/null && head -c1 /dev/urandom >/dev/null' 2>/dev/null; then
        log "device nodes unusable in the chroot; bind-mounting them"
        mount -t tmpfs -o mode=0755,nosuid dbrb-dev "${rootfs}/dev"
        for dev in null zero full random urandom tty; do
            touch "${rootfs}/dev/${dev}"
            mount --bind "/dev/${dev}" "${rootfs}/dev/${dev}"
        done
        mkdir -p "${rootfs}/dev/pts" "${rootfs}/dev/shm"
        ln -sf /proc/self/fd "${rootfs}/dev/fd"
    fi

    # A private devpts instance keeps apt's pty logging quiet; optional.
    mkdir -p "${rootfs}/dev/pts"
    if mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "${rootfs}/dev/pts" 2>/dev/null; then
        if [[ ! -e "${rootfs}/dev/ptmx" ]]; then
            ln -s pts/ptmx "${rootfs}/dev/ptmx"
        fi
    fi
}

# Run a shell script inside the chroot with a clean, predictable environment.
in_chroot() {
    local rootfs="$1"
    shift
    chroot "$rootfs" /usr/bin/env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
        /bin/bash -euo pipefail -c "$@" </dev/null
}

# Configure apt/dpkg in the fresh root filesystem before installing anything.
configure_rootfs() {
    local rootfs="$1"

    cat >"${rootfs}/etc/apt/sources.list" <<EOF
deb ${MIRROR} ${SUITE} main
deb ${MIRROR} ${SUITE}-updates main
deb ${SECURITY_MIRROR} ${SUITE}-security main
EOF

    # Lean installs: no recommends/suggests, no translated package lists.
    cat >"${rootfs}/etc/apt/apt.conf.d/90fancai-db-runbooks" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF

    # Never ship documentation, man pages or message translations (copyright
    # files stay). Kept in the image so later installs stay lean too.
    # /usr/share/postgresql/*/man must NOT be excluded: the PostgreSQL
    # packages register those pages with update-alternatives, which fails
    # when they are missing; slim_rootfs removes them after installation.
    cat >"${rootfs}/etc/dpkg/dpkg.cfg.d/90fancai-db-runbooks-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
EOF

    # No fsync per file while building: the image is written out afterwards.
    # Removed again before the root filesystem is exported.
    echo 'force-unsafe-io' >"${rootfs}/etc/dpkg/dpkg.cfg.d/99fancai-db-runbooks-unsafe-io"

    # No service may start inside the chroot (and later in the container).
    printf '#!/bin/sh\n# Containers run no init system: never start services.\nexit 101\n' \
        >"${rootfs}/usr/sbin/policy-rc.d"
    chmod 0755 "${rootfs}/usr/sbin/policy-rc.d"
}

# The chroot scripts are single-quoted on purpose: they expand inside the chroot.
# shellcheck disable=SC2016
# Install postgresql-15 in the chroot the way the official image does:
# postgres user with uid/gid 999, no auto-created cluster.
install_postgresql() {
    local rootfs="$1"

    in_chroot "$rootfs" '
        groupadd --system --gid 999 postgres
        useradd --system --gid postgres --uid 999 --home-dir /var/lib/postgresql \
            --shell /bin/bash --comment "PostgreSQL administrator" postgres
        install -d -o postgres -g postgres -m 0755 /var/lib/postgresql

        apt-get update -q

        # postgresql-common first, so that createcluster.conf can switch off
        # the "main" cluster before postgresql-15 is configured.
        apt-get install -y -q postgresql-common
        sed -ri "s/^[#[:space:]]*(create_main_cluster)[[:space:]]*=.*/\1 = false/" \
            /etc/postgresql-common/createcluster.conf
        grep -qx "create_main_cluster = false" /etc/postgresql-common/createcluster.conf

        apt-get install -y -q postgresql-15

        # The official image ships no cluster either; fail loudly if one
        # was created anyway.
        if [ -n "$(ls -A /etc/postgresql 2>/dev/null)" ] ||
           [ -n "$(ls -A /var/lib/postgresql/15 2>/dev/null)" ]; then
            echo "a PostgreSQL cluster was created during installation" >&2
            exit 1
        fi
        /usr/lib/postgresql/15/bin/postgres --version
    '
}

# Drop everything a test container does not need.
# shellcheck disable=SC2016
slim_rootfs() {
    local rootfs="$1"

    in_chroot "$rootfs" '
        apt-get clean
        rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
               /var/cache/debconf/*-old /var/lib/dpkg/*-old
        find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
        find /usr/share/doc -mindepth 1 -depth -type d -empty -delete
        rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian /usr/share/linda \
               /usr/share/postgresql/15/man
        find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
        # Locale sources pulled in by postgresql-common (locales); the
        # image only uses C.UTF-8, which is built into libc.
        rm -rf /usr/share/i18n/locales /usr/share/i18n/charmaps
        find /var/log -type f -delete
        rm -rf /tmp/* /var/tmp/* /root/.cache
        rm -f /etc/dpkg/dpkg.cfg.d/99fancai-db-runbooks-unsafe-io
        # Host specific files copied by debootstrap; Docker provides its own.
        : >/etc/resolv.conf
        : >/etc/hostname
    '
    # debootstrap leftovers outside the package database.
    rm -rf "${rootfs}/debootstrap"
}

# Build fancai-db-runbooks/postgres-rootfs:15 unless an image built by this
# very script already exists.
ensure_rootfs_image() {
    local rebuild="$1" hash rootfs started
    hash="$(inputs_sha256 build.sh -- "$SUITE")"

    if [[ "$rebuild" != true && "$(image_label "$ROOTFS_IMAGE" "$ROOTFS_LABEL")" == "$hash" ]]; then
        log "root filesystem image ${ROOTFS_IMAGE} is up to date"
        return 0
    fi

    [[ "$(id -u)" -eq 0 ]] ||
        die "building ${LOCAL_IMAGE} offline needs root (debootstrap, chroot, mount)." \
            "Re-run as root, or set DB_RUNBOOKS_TEST_IMAGE to an existing PostgreSQL 15 image."
    require_debootstrap

    started=$SECONDS
    WORK_DIR="$(mktemp -d "${TMPDIR:-/var/tmp}/dbrb-postgres15.XXXXXX")"
    rootfs="${WORK_DIR}/rootfs"
    log "building the root filesystem in ${rootfs}"

    log "debootstrap --variant=minbase ${SUITE} (${MIRROR})"
    if ! debootstrap --variant=minbase --components=main "$SUITE" "$rootfs" "$MIRROR"; then
        if [[ -f "${rootfs}/debootstrap/debootstrap.log" ]]; then
            log "last lines of debootstrap.log:"
            tail -n 30 "${rootfs}/debootstrap/debootstrap.log" >&2 || true
        fi
        die "debootstrap failed"
    fi

    configure_rootfs "$rootfs"
    mount_chroot "$rootfs"
    log "installing postgresql-15 in the chroot"
    install_postgresql "$rootfs" || die "installing postgresql-15 in the chroot failed"
    slim_rootfs "$rootfs" || die "cleaning up the root filesystem failed"
    unmount_work || die "could not unmount the chroot file systems below ${WORK_DIR}"

    log "importing the root filesystem as ${ROOTFS_IMAGE}"
    tar --numeric-owner --xattrs -C "$rootfs" -c . |
        docker import --change "LABEL ${ROOTFS_LABEL}=${hash}" - "$ROOTFS_IMAGE" >/dev/null ||
        die "docker import of the root filesystem failed"

    rm -rf --one-file-system "$WORK_DIR"
    WORK_DIR=""
    log "root filesystem image ready in $((SECONDS - started))s"
}

# ---------------------------------------------------------------------------
# (c) offline build: final image
# ---------------------------------------------------------------------------

build_local_image() {
    local rebuild="${1:-false}" hash lock_file old_image old_rootfs
    hash="$(inputs_sha256 "${BUILD_INPUTS[@]}")"

    if [[ "$rebuild" != true && "$(image_label "$LOCAL_IMAGE" "$INPUTS_LABEL")" == "$hash" ]]; then
        log "${LOCAL_IMAGE} is up to date (inputs sha256 ${hash:0:12}); nothing to build"
        return 0
    fi

    # Serialise concurrent builds on this machine; the winner's result is
    # reused by the others.
    lock_file="${TMPDIR:-/tmp}/fancai-db-runbooks-postgres15.lock"
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
    old_rootfs="$(image_id "$ROOTFS_IMAGE")"

    ensure_rootfs_image "$rebuild"

    log "docker build ${LOCAL_IMAGE} (inputs sha256 ${hash:0:12})"
    docker build \
        --build-arg "BASE_IMAGE=${ROOTFS_IMAGE}" \
        --build-arg "INPUTS_SHA256=${hash}" \
        --tag "$LOCAL_IMAGE" \
        --file "${SCRIPT_DIR}/Dockerfile" \
        "$SCRIPT_DIR" ||
        die "docker build of ${LOCAL_IMAGE} failed"

    [[ "$(image_label "$LOCAL_IMAGE" "$INPUTS_LABEL")" == "$hash" ]] ||
        die "${LOCAL_IMAGE} was built but does not carry the expected ${INPUTS_LABEL} label"
    log "${LOCAL_IMAGE} built"

    # Old final image first: removing it also frees its parent layers.
    remove_superseded "$old_image" "$(image_id "$LOCAL_IMAGE")"
    remove_superseded "$old_rootfs" "$(image_id "$ROOTFS_IMAGE")"
}

# ---------------------------------------------------------------------------

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

    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    require_docker

    if [[ "$force_local" != true ]]; then
        if [[ -n "${DB_RUNBOOKS_TEST_IMAGE:-}" ]]; then
            use_requested_image "$DB_RUNBOOKS_TEST_IMAGE"
        fi
        try_official_image
    fi

    build_local_image "$rebuild"
    emit "$LOCAL_IMAGE"
}

main "$@"
