#!/usr/bin/env bash
# Host tools the runbooks and tests use on the docker host, beyond the docker
# client: flock (util-linux), sha256sum (coreutils), crontab (cron: the
# matview_refresh schedule; ansible.builtin.cron needs it even for /etc/cron.d),
# zstd (backup_compressor=zstd, and a restore of a .dump.zst).
# Installs what is missing when root on an apt machine; elsewhere says what to
# install. Idempotent.
set -euo pipefail

need=()
command -v flock >/dev/null 2>&1 || need+=(util-linux)
command -v sha256sum >/dev/null 2>&1 || need+=(coreutils)
command -v crontab >/dev/null 2>&1 || need+=(cron)
command -v zstd >/dev/null 2>&1 || need+=(zstd)

if [ "${#need[@]}" -eq 0 ]; then
  echo "host packages: all present"
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "host packages: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
else
  echo "host packages: missing ${need[*]}; install them and run again" >&2
  exit 1
fi
