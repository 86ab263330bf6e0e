#!/usr/bin/env bash
# Provisional: postgres:15.7-alpine when present locally, else the test image.
set -euo pipefail
if docker image inspect postgres:15.7-alpine >/dev/null 2>&1; then echo postgres:15.7-alpine; exit 0; fi
bash "$(dirname "$0")/../postgres15/build.sh"
