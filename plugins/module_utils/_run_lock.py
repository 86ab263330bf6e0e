# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the run lock (action plugin fancai.db_runbooks.run_lock).

One lock per (container, database), taken on the docker host with flock(1) on
a file under /run/lock/db_runbooks/.  Every task of an ansible-playbook run is
a separate process, so the lock is kept by a small detached holder (setsid sh)
that inherits the locked descriptor and lives as long as the run: with a local
connection it watches the ansible-playbook pid (``kill -0`` every second); on a
remote docker host, where that pid cannot be seen, it holds for at most
``max_seconds`` or until the run releases it.

Each holder writes who it is (the run, the playbook, user, controller host,
since when, mode) into an info file beside the lock file, so a refused run
can say who is in the way.  Nothing here talks to a host: this module builds
the shell scripts and reads their output (unit-tested in
tests/unit/test_run_lock.py, which also runs the scripts with /bin/sh).

This is a private module (leading underscore): its API may change between
releases of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

MODES = ("exclusive", "shared")
STATES = ("held", "released")
# Where the locks live, unless the task names a directory.
DEFAULT_DIR = "/run/lock/db_runbooks"
# When /run/lock is missing (or not writable): one directory per user id.
FALLBACK_DIR_PREFIX = "/tmp/db_runbooks-locks-"
# A remote docker host cannot watch the controller's ansible-playbook: its
# holder gives the lock up after this long (6 h) unless released before.
DEFAULT_MAX_SECONDS = 6 * 3600
# $0 of every holder process: how a holder is told from any other process.
HOLDER_NAME = "db_runbooks-lock-holder"
# Exit codes of the scripts.
RC_BUSY = 75
RC_UNUSABLE = 73
RC_MISSING_TOOL = 69
RC_FAILED = 70

# A key longer than this is shortened (file names stop at 255 bytes).
_MAX_KEY = 160
_SAFE_RE = re.compile(r"[^A-Za-z0-9._@-]")


def lock_key(container, database):
    """File-name stem of the lock of *database* in *container*: '<container>@<database>'.

    '@' appears in neither a docker container name nor a plain identifier, so
    two different pairs never share a key.  A very long pair keeps a readable
    prefix and ends in a digest of the whole.
    """
    key = "%s@%s" % (container, database)
    safe = _SAFE_RE.sub("_", key)
    if safe != key or len(key) > _MAX_KEY:
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
        safe = "%s-%s" % (safe[:_MAX_KEY - 17], digest)
    return safe


def run_tag(run_id):
    """16 hex digits naming one ansible-playbook run in info file names."""
    return hashlib.sha1(str(run_id).encode("utf-8")).hexdigest()[:16]


def run_id(controller, pid, start_ticks=""):
    """Identity of one ansible-playbook run: controller host, pid and the process's start time.

    The start time (from /proc on a Linux controller) keeps a later run that
    happens to get the same pid from passing for this one.
    """
    return "%s:%s:%s" % (controller, pid, start_ticks)


def process_start_ticks(stat_line):
    """Field 22 (starttime) of a /proc/<pid>/stat line, or '' when it cannot be read."""
    if not stat_line:
        return ""
    # The command name (field 2) is in parentheses and may itself hold spaces or ')'.
    rest = stat_line.rsplit(")", 1)[-1].split()
    # rest[0] is field 3 (state): starttime is field 22.
    return rest[19] if len(rest) > 19 else ""


def mode_covers(held, wanted):
    """True when a lock held in mode *held* already gives what *wanted* asks for."""
    if held not in MODES or wanted not in MODES:
        raise ValueError("modes are %s, got %r and %r" % (", ".join(MODES), held, wanted))
    return held == "exclusive" or wanted == "shared"


def _clean(value):
    """One line, no control characters: info files are 'name=value' lines."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", str(value if value is not None else "")).strip()


def info_text(fields):
    """Render the info file's fields as 'name=value' lines (sorted, one line each)."""
    lines = []
    for name in sorted(fields):
        if not re.match(r"^[a-z_]+$", name):
            raise ValueError("info field name %r is not lower-case letters and '_'" % name)
        lines.append("%s=%s" % (name, _clean(fields[name])))
    return "\n".join(lines)


def parse_info(text):
    """Parse 'name=value' lines into a dict (the first value of a name wins)."""
    out = {}
    for line in (text or "").splitlines():
        if "=" not in line:
            continue
        name, value = line.split("=", 1)
        out.setdefault(name.strip(), value)
    return out


# Shell shared by both scripts: find the lock directory, tell a live holder.
# Runs under /bin/sh (dash on Debian); needs flock and setsid (util-linux),
# sed, grep, tr, date and sleep on the docker host.
_COMMON = r"""
set -u
umask 077
field() { sed -n "s/^$1=//p" "$2" 2>/dev/null | head -n 1; }
# A live holder of info file $2: pid $1 is a process whose command line names
# that file (a pid reused by something else does not pass).
is_holder() {
  [ -n "$1" ] || return 1
  if [ -d "/proc/$1" ]; then
    [ -r "/proc/$1/cmdline" ] || return 0
    tr '\000' '\n' < "/proc/$1/cmdline" 2>/dev/null | grep -qxF -- "$2"
  else
    kill -0 "$1" 2>/dev/null
  fi
}
pick_dir() {
  if [ -n "$lock_dir" ]; then :
  elif [ -d /run/lock/db_runbooks ] || [ -L /run/lock/db_runbooks ] || { [ -d /run/lock ] && [ -w /run/lock ]; }; then
    lock_dir=/run/lock/db_runbooks
  else
    lock_dir=/tmp/db_runbooks-locks-$(id -u)
  fi
}
check_dir() {
  if [ -L "$lock_dir" ] || [ ! -d "$lock_dir" ] || [ ! -O "$lock_dir" ] || [ ! -w "$lock_dir" ]; then
    echo "STATUS unusable $(id -un 2>/dev/null || id -u) $(ls -ld "$lock_dir" 2>&1 | head -n 1)"
    exit 73
  fi
}
show() {
  for f in "$lock_dir/$key".????????????????.info; do
    [ -f "$f" ] || continue
    if is_holder "$(field holder_pid "$f")" "$f"; then a=1; else a=0; fi
    echo "INFO $a $f"; cat "$f"; echo; echo "END"
  done
}
"""

# Take the lock: $1 lock dir ('' = default), $2 key, $3 mode, $4 wait seconds,
# $5 run tag, $6 pid to watch ('' = none), $7 max seconds, $8 info text,
# $9 the holder's script.
ACQUIRE_SCRIPT = _COMMON + r"""
lock_dir=$1 key=$2 mode=$3 wait=$4 tag=$5 watch=$6 max=$7 info=$8 holder=$9
for tool in flock setsid sed grep tr date sleep; do
  command -v "$tool" > /dev/null 2>&1 || { echo "STATUS missing $tool"; exit 69; }
done
pick_dir
echo "DIR $lock_dir"
[ -e "$lock_dir" ] || [ -L "$lock_dir" ] || mkdir -p -m 0700 "$lock_dir" 2> /dev/null
check_dir
chmod 0700 "$lock_dir" 2> /dev/null
lock="$lock_dir/$key.lock"
own="$lock_dir/$key.$tag.info"
if [ -f "$own" ] && is_holder "$(field holder_pid "$own")" "$own"; then
  echo "STATUS reentrant"; echo "INFO 1 $own"; cat "$own"; echo; echo "END"; exit 0
fi
( : >> "$lock" ) 2> /dev/null || { echo "STATUS unusable cannot open $lock"; exit 73; }
exec 9>> "$lock"
if [ "$mode" = exclusive ]; then flag=-x; else flag=-s; fi
start=$(date +%s)
if [ "$wait" -gt 0 ]; then flock "$flag" -w "$wait" 9; else flock "$flag" -n 9; fi
rc=$?
waited=$(( $(date +%s) - start ))
if [ "$rc" -ne 0 ]; then echo "STATUS busy $waited"; show; exit 75; fi
# Holding the lock: under an exclusive lock no other holder can exist, and an
# info file whose holder is gone is stale (a holder killed with SIGKILL). One
# without a holder_pid yet belongs to a shared lock being taken right now.
for f in "$lock_dir/$key".????????????????.info; do
  [ -f "$f" ] && [ "$f" != "$own" ] || continue
  if [ "$mode" = exclusive ]; then rm -f "$f"; continue; fi
  hp=$(field holder_pid "$f")
  [ -n "$hp" ] && ! is_holder "$hp" "$f" && rm -f "$f"
done
printf '%s\nlock_file=%s\nwaited_seconds=%s\n' "$info" "$lock" "$waited" > "$own.tmp.$$" && mv -f "$own.tmp.$$" "$own" \
  || { echo "STATUS unusable cannot write $own"; exit 73; }
setsid /bin/sh -c "$holder" db_runbooks-lock-holder "$own" "$watch" "$max" < /dev/null > /dev/null 2>&1 &
i=0
while [ "$i" -lt 100 ]; do
  hp=$(field holder_pid "$own")
  [ -n "$hp" ] && break
  sleep 0.05; i=$((i + 1))
done
if [ -z "$hp" ]; then rm -f "$own"; echo "STATUS failed the holder did not start"; exit 70; fi
echo "STATUS acquired $waited"; echo "INFO 1 $own"; cat "$own"; echo; echo "END"
"""

# The holder: keeps descriptor 9 (the locked file) open while the run lives.
# $1 its info file, $2 the pid to watch ('' = none), $3 max seconds.
# It ends when the info file no longer names it (released), when the watched
# pid is gone, or after max seconds when there is nothing to watch.
HOLDER_SCRIPT = r"""
own=$1 watch=$2 max=$3
cd /
trap '' HUP
mine() { grep -qx "holder_pid=$$" "$own" 2> /dev/null; }
# The watched process exists and is not a zombie (killed, not yet reaped).
running() {
  if [ -d /proc/self ]; then
    st=
    read -r st < "/proc/$1/stat" 2> /dev/null || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
  else
    kill -0 "$1" 2> /dev/null
  fi
}
trap 'mine && rm -f "$own"; exit 0' TERM INT
printf 'holder_pid=%s\n' "$$" >> "$own"
start=$(date +%s)
while :; do
  sleep 1 9>&- &
  wait $!
  mine || exit 0
  if [ -n "$watch" ]; then
    running "$watch" || break
  elif [ $(( $(date +%s) - start )) -ge "$max" ]; then
    break
  fi
done
mine && rm -f "$own"
exit 0
"""

# Release what this run holds: $1 lock dir ('' = default), $2 key, $3 run tag.
RELEASE_SCRIPT = _COMMON + r"""
lock_dir=$1 key=$2 tag=$3
pick_dir
echo "DIR $lock_dir"
own="$lock_dir/$key.$tag.info"
if [ ! -f "$own" ]; then echo "STATUS not_held"; exit 0; fi
echo "INFO 1 $own"; cat "$own"; echo; echo "END"
hp=$(field holder_pid "$own")
if is_holder "$hp" "$own"; then live=1; else live=0; fi
rm -f "$own"
[ "$live" = 1 ] && kill -TERM "$hp" 2> /dev/null
i=0
while [ "$live" = 1 ] && is_holder "$hp" "$own" && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
if [ "$live" = 1 ] && is_holder "$hp" "$own"; then echo "STATUS failed holder $hp still runs"; exit 70; fi
echo "STATUS released"
"""


def acquire_argv(key, mode, wait, tag, watch_pid, max_seconds, info, lock_dir=""):
    """argv that takes the lock on the docker host (run it with /bin/sh)."""
    if mode not in MODES:
        raise ValueError("mode must be one of %s, got %r" % (", ".join(MODES), mode))
    return ["/bin/sh", "-c", ACQUIRE_SCRIPT, "db_runbooks-lock", lock_dir or "", key, mode,
            str(int(wait)), tag, str(watch_pid or ""), str(int(max_seconds)), info, HOLDER_SCRIPT]


def release_argv(key, tag, lock_dir=""):
    """argv that releases this run's lock on the docker host."""
    return ["/bin/sh", "-c", RELEASE_SCRIPT, "db_runbooks-unlock", lock_dir or "", key, tag]


def parse_output(stdout):
    """Read a script's output: {'status', 'detail', 'dir', 'infos': [{'alive', 'path', 'fields'}]}."""
    out = dict(status=None, detail="", dir=None, infos=[])
    current = None
    for line in (stdout or "").splitlines():
        if current is not None:
            if line == "END":
                current["fields"] = parse_info("\n".join(current.pop("lines")))
                out["infos"].append(current)
                current = None
            else:
                current["lines"].append(line)
        elif line.startswith("STATUS "):
            parts = line[len("STATUS "):].split(" ", 1)
            out["status"] = parts[0]
            out["detail"] = parts[1] if len(parts) > 1 else ""
        elif line.startswith("DIR "):
            out["dir"] = line[len("DIR "):]
        elif line.startswith("INFO "):
            parts = line.split(" ", 2)
            current = dict(alive=len(parts) > 1 and parts[1] == "1",
                           path=parts[2] if len(parts) > 2 else "", lines=[])
    return out


def describe_holder(fields):
    """'<playbook> (pid N, user, host H) since T, mode M' for one info file."""
    return "%s (pid %s, %s, host %s) since %s, mode %s" % (
        fields.get("playbook") or "an unnamed run", fields.get("ansible_pid") or "?",
        fields.get("user") or "?", fields.get("controller") or "?",
        fields.get("since") or "?", fields.get("mode") or "?")


def busy_message(container, database, mode, wait, waited, infos, lock_file=None):
    """Why a run may not start: who holds the lock, since when, and what to do."""
    live = [i["fields"] for i in infos if i.get("alive")]
    where = "%s/%s" % (container, database)
    if live:
        who = "; ".join(describe_holder(f) for f in live)
    else:
        who = ("a holder that has not written who it is yet (lock file %s; `fuser -v %s` on "
               "the docker host names it)" % (lock_file or "?", lock_file or "?"))
    waited_text = (" after waiting %s s" % waited) if int(wait or 0) > 0 else ""
    msg = ("another run is in progress on %s: %s; this run asked for a%s %s lock%s. Wait for it or run "
           "again when it ends (-e db_runbooks_lock_wait=SECONDS waits up to that long). Nothing was touched."
           % (where, who, "n" if mode == "exclusive" else "", mode, waited_text))
    unwatched = [f for f in live if not f.get("watch_pid")]
    if unwatched:
        msg += (" A lock taken through a remote connection cannot see its ansible-playbook end: it lasts "
                "until that run releases it or for at most %s. If that run is gone, end its holder on the "
                "docker host: %s." % (
                    ", ".join("%s s (%s)" % (f.get("max_seconds") or "?", f.get("since") or "?") for f in unwatched),
                    "; ".join("kill %s" % (f.get("holder_pid") or "?") for f in unwatched)))
    return msg


def misuse_message(container, database, held, wanted, fields):
    """This run holds a weaker lock than it now asks for: the role order is wrong."""
    return ("this run holds a %s lock on %s/%s (taken %s) and now asks for an %s one: a lock is not "
            "upgraded, since another run may share it. Take the exclusive lock first (the role that changes "
            "the database before the ones that read it), or run them as separate ansible-playbook runs. "
            "Nothing was touched." % (held, container, database, fields.get("since") or "earlier", wanted))
