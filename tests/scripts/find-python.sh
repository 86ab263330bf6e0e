#!/usr/bin/env bash
# Print the path of a Python 3.12+ interpreter for the venv (ansible-core 2.21
# needs 3.12 or newer). Looks on PATH first, then in pyenv (whose python3.12
# shim only answers when that version is selected). Exit 1 if none is found.
set -euo pipefail

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

for cand in python3.12 python3.13 python3.14 python3; do
  if p=$(command -v "$cand" 2>/dev/null) && ok "$p"; then
    echo "$p"
    exit 0
  fi
done
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])(\.[0-9]+)?$' | sort -V); do
    p="$(pyenv prefix "$v")/bin/python3"
    if ok "$p"; then
      echo "$p"
      exit 0
    fi
  done
fi
echo "No Python 3.12 or newer found: install one (apt-get install python3.12, or pyenv install 3.12) or run make PYTHON=/path/to/python3.12" >&2
exit 1
