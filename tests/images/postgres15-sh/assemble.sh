#!/bin/bash
#
# assemble.sh OUT - run inside the build stage of the Dockerfile (Debian
# bookworm with postgresql-15 installed): copy into OUT exactly what the
# PostgreSQL 15 server and client binaries need to run, plus dash as /bin/sh
# and setpriv (outside PATH, for the entrypoint's switch to postgres).
# Nothing else: no bash, no coreutils, no findutils, no sed/awk/gzip/tee.

set -euo pipefail

out="$1"
bindir=/usr/lib/postgresql/15/bin
libdir=/usr/lib/postgresql/15/lib
sharedir=/usr/share/postgresql/15

mkdir -p "$out"

# copy PATH...: copy files (dereferenced) to the same path below OUT.
copy() {
    local f
    for f; do
        mkdir -p "${out}$(dirname "$f")"
        cp -L --preserve=mode,timestamps "$f" "${out}${f}"
    done
}

# The PostgreSQL binaries, extension modules and data files. The JIT provider
# is left out (it needs LLVM's 100 MB library; PostgreSQL then runs without JIT).
copy "$bindir"/*
for f in "$libdir"/*.so; do
    [[ "$(basename "$f")" == llvmjit* ]] || copy "$f"
done
mkdir -p "${out}${sharedir}"
cp -a "${sharedir}/." "${out}${sharedir}/"
rm -rf "${out}${sharedir}/man"
# System time zone data (Debian builds PostgreSQL --with-system-tzdata).
mkdir -p "${out}/usr/share/zoneinfo"
cp -a /usr/share/zoneinfo/. "${out}/usr/share/zoneinfo/"
# The C.UTF-8 locale (LANG=C.UTF-8); no other locale.
mkdir -p "${out}/usr/lib/locale"
cp -a /usr/lib/locale/C.utf8 "${out}/usr/lib/locale/"

# The shell: dash, as /bin/sh only.
copy /bin/dash
mv "${out}/bin/dash" "${out}/bin/sh"
# The switch from root to postgres, hidden from PATH.
mkdir -p "${out}/usr/local/libexec/dbrb"
cp -L /usr/bin/setpriv "${out}/usr/local/libexec/dbrb/setpriv"

# Every shared library those ELF files load, and the dynamic loader.
declare -A seen=()
while IFS= read -r lib; do
    [[ -n "$lib" && -z "${seen[$lib]:-}" ]] || continue
    seen[$lib]=1
    copy "$lib"
done < <(
    for f in "${out}${bindir}"/* "${out}${libdir}"/*.so "${out}/bin/sh" "${out}/usr/local/libexec/dbrb/setpriv"; do
        ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
    done | sort -u
)
copy /lib64/ld-linux-x86-64.so.2

# Users, groups and the directories the server and the entrypoint use.
mkdir -p "${out}/etc"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
    'postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh' >"${out}/etc/passwd"
printf '%s\n' 'root:x:0:' 'postgres:x:999:' 'nogroup:x:65534:' >"${out}/etc/group"
: >"${out}/etc/hosts"
: >"${out}/etc/resolv.conf"
: >"${out}/etc/hostname"
install -d -m 0755 "${out}/root" "${out}/dev" "${out}/proc" "${out}/sys"
install -d -m 1777 "${out}/tmp"
install -d -o 999 -g 999 -m 0755 "${out}/var/lib/postgresql" "${out}/docker-entrypoint-initdb.d"
# PGDATA exists with its final mode: the entrypoint has no mkdir or chmod.
install -d -o 999 -g 999 -m 0700 "${out}/var/lib/postgresql/data"
install -d -o 999 -g 999 -m 3775 "${out}/var/run/postgresql"
ln -s /var/run "${out}/run"

# The tools a script might reach for must not be there.
for tool in bash env cat timeout flock sha256sum tee awk sed gzip ls rm mkdir chmod; do
    if [[ -n "$(find "$out" -name "$tool" ! -type d -print -quit)" ]]; then
        echo "assemble.sh: $tool ended up in the image" >&2
        exit 1
    fi
done
