# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run lock for a job that runs without Ansible (a cron script): filters run_lock_key and run_lock_shell.

Documentation: run_lock_key.yml and run_lock_shell.yml. A scheduled job on the
docker host must take the same lock as fancai.db_runbooks.run_lock, in the
same directory, and say who is in the way in the same words. So nothing is
derived again here: the key is _run_lock.lock_key, the directory rule, the
holder and the info files are _run_lock's own scripts (run as they are, with
/bin/sh), and a holder is described by a printf format taken from
_run_lock.describe_holder itself. What this module adds is the POSIX sh that
calls those scripts and reads their answer (unit-tested in
tests/unit/test_run_lock_shell.py, which runs it with /bin/sh).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shlex

from ansible.errors import AnsibleFilterError

from ansible_collections.fancai.db_runbooks.plugins.module_utils import _run_lock as L
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    check_container_name,
    check_identifier,
)

# Fields of an info file that a message may show (the ones run_lock writes).
INFO_FIELDS = ("playbook", "ansible_pid", "user", "controller", "since", "mode", "container", "database",
               "run", "watch_pid", "max_seconds", "holder_pid", "lock_file", "waited_seconds")
# Read from each holder's info file by the shell (those the messages use).
_READ_FIELDS = ("playbook", "ansible_pid", "user", "controller", "since", "mode", "watch_pid",
                "max_seconds", "holder_pid")
_MARK = "\x01"


def _printf_escape(text):
    return text.replace("\\", "\\\\").replace("%", "%%")


def _dq(text):
    """*text* for the inside of a double-quoted shell word."""
    return "".join("\\" + c if c in '\\"$`' else c for c in text)


def holder_format():
    """describe_holder's wording as (printf format, [(field, default)]) in the order the fields appear.

    describe_holder is called with a marker for each field, so the format is
    its own text; the default of a field is what it writes when the field is
    missing.
    """
    marks = dict((f, "%s%s%s" % (_MARK, f, _MARK)) for f in INFO_FIELDS)
    full = L.describe_holder(marks)
    used = sorted((full.index(m), f) for f, m in marks.items() if m in full)
    fields = []
    for _pos, field in used:
        mark = marks[field]
        prefix, suffix = full.split(mark, 1)
        without = L.describe_holder(dict((f, m) for f, m in marks.items() if f != field))
        if not (without.startswith(prefix) and without.endswith(suffix)):
            raise ValueError("describe_holder does not show %s in one place" % field)
        fields.append((field, without[len(prefix):len(without) - len(suffix)]))
    fmt = full
    for field, _default in fields:
        fmt = fmt.replace(marks[field], "\x02")
    if _MARK in fmt:
        raise ValueError("describe_holder wrote a field twice")
    return _printf_escape(fmt).replace("\x02", "%s"), fields


# The sh that takes and releases the lock. Variables and functions are all
# prefixed run_lock_ / RUN_LOCK_, so the script that includes it keeps its
# names. It uses `$$` (the including script's pid) as the pid the holder
# watches: the lock ends when the script ends, however it ends.
_SHELL = r"""
RUN_LOCK_RC= RUN_LOCK_STATUS= RUN_LOCK_DETAIL= RUN_LOCK_HOLDERS= RUN_LOCK_MESSAGE=
RUN_LOCK_USED_DIR= RUN_LOCK_FILE= RUN_LOCK_HELD= RUN_LOCK_WAITED=0
RUN_LOCK_TAG=$(printf '%08x%08x' "$$" "$(date +%s)")
run_lock_unknown= run_lock_limits= run_lock_kills=
# One holder's fields were read (run_lock_f_*): add it to the holders in the way.
run_lock_add() {
    run_lock_one=$(printf "$RUN_LOCK_HOLDER_FORMAT" @HOLDER_ARGS@)
    RUN_LOCK_HOLDERS=${RUN_LOCK_HOLDERS:+$RUN_LOCK_HOLDERS; }$run_lock_one
    if [ -z "${run_lock_f_watch_pid:-}" ]; then
        run_lock_limits=${run_lock_limits:+$run_lock_limits, }$(printf "$RUN_LOCK_LIMIT_FORMAT" "${run_lock_f_max_seconds:-?}" "${run_lock_f_since:-?}")
        run_lock_kills=${run_lock_kills:+$run_lock_kills; }$(printf "$RUN_LOCK_KILL_FORMAT" "${run_lock_f_holder_pid:-?}")
    fi
}
# Read the acquire script's answer ($1): STATUS, DIR and the INFO blocks.
run_lock_parse() {
    RUN_LOCK_STATUS= RUN_LOCK_DETAIL= RUN_LOCK_HOLDERS= run_lock_limits= run_lock_kills= run_lock_in=
    while IFS= read -r run_lock_line; do
        if [ -n "$run_lock_in" ]; then
            case $run_lock_line in
                END)
                    [ "$run_lock_in" = 1 ] && run_lock_add
                    run_lock_in= ;;
                *=*)
                    run_lock_name=${run_lock_line%%=*}
                    case $run_lock_name in
                        @READ_FIELDS@)
                            eval "[ -n \"\${run_lock_f_$run_lock_name+x}\" ] || run_lock_f_$run_lock_name=\${run_lock_line#*=}" ;;
                    esac ;;
            esac
            continue
        fi
        case $run_lock_line in
            "STATUS "*)
                run_lock_line=${run_lock_line#STATUS }
                RUN_LOCK_STATUS=${run_lock_line%% *}
                case $run_lock_line in *" "*) RUN_LOCK_DETAIL=${run_lock_line#* } ;; esac ;;
            "DIR "*)
                RUN_LOCK_USED_DIR=${run_lock_line#DIR }
                RUN_LOCK_FILE=$RUN_LOCK_USED_DIR/$RUN_LOCK_KEY.lock ;;
            "INFO "*)
                run_lock_line=${run_lock_line#INFO }
                run_lock_in=${run_lock_line%% *}
                [ "$run_lock_in" = 1 ] || run_lock_in=0
                unset @UNSET_FIELDS@ ;;
        esac
    done <<RUN_LOCK_EOF
$1
RUN_LOCK_EOF
}
# Take the lock in mode RUN_LOCK_MODE, waiting up to $1 seconds (0: not at
# all). Sets RUN_LOCK_RC (0 held, 75 another run holds it, other: could not
# try), RUN_LOCK_STATUS, RUN_LOCK_FILE, RUN_LOCK_WAITED and, when it is not
# held, RUN_LOCK_MESSAGE; RUN_LOCK_HOLDERS names the runs in the way. Returns RUN_LOCK_RC.
run_lock_take() {
    run_lock_wait=$1
    run_lock_host=$(uname -n 2>/dev/null) || run_lock_host='?'
    run_lock_user=$(id -un 2>/dev/null) || run_lock_user=$(id -u)
    run_lock_info=$(printf '%s\nansible_pid=%s\ncontroller=%s\nmax_seconds=\nrun=%s\nsince=%s\nuser=%s\nwatch_pid=%s' \
        "$RUN_LOCK_INFO" "$$" "$run_lock_host" "$run_lock_host:$$:$RUN_LOCK_TAG" \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$run_lock_user" "$$")
    run_lock_out=$(/bin/sh -c "$RUN_LOCK_ACQUIRE_SH" db_runbooks-lock "$RUN_LOCK_DIR" "$RUN_LOCK_KEY" \
        "$RUN_LOCK_MODE" "$run_lock_wait" "$RUN_LOCK_TAG" "$$" "$RUN_LOCK_MAX_SECONDS" "$run_lock_info" \
        "$RUN_LOCK_HOLDER_SH" 2>&1)
    RUN_LOCK_RC=$?
    run_lock_parse "$run_lock_out"
    case $RUN_LOCK_STATUS in
        acquired|reentrant)
            RUN_LOCK_RC=0 RUN_LOCK_HELD=1 RUN_LOCK_MESSAGE=
            case $RUN_LOCK_DETAIL in ''|*[!0-9]*) RUN_LOCK_WAITED=0 ;; *) RUN_LOCK_WAITED=$RUN_LOCK_DETAIL ;; esac ;;
        busy)
            RUN_LOCK_RC=@RC_BUSY@
            case $RUN_LOCK_DETAIL in ''|*[!0-9]*) RUN_LOCK_WAITED=0 ;; *) RUN_LOCK_WAITED=$RUN_LOCK_DETAIL ;; esac
            run_lock_who=$RUN_LOCK_HOLDERS
            [ -n "$run_lock_who" ] || run_lock_who=$(printf "$RUN_LOCK_UNKNOWN_FORMAT" "${RUN_LOCK_FILE:-?}" "${RUN_LOCK_FILE:-?}")
            run_lock_after=
            [ "$run_lock_wait" -gt 0 ] && run_lock_after=$(printf "$RUN_LOCK_WAITED_FORMAT" "$RUN_LOCK_WAITED")
            RUN_LOCK_MESSAGE=$(printf "$RUN_LOCK_BUSY_FORMAT" "$run_lock_who" "$run_lock_after")
            [ -n "$run_lock_limits" ] && RUN_LOCK_MESSAGE="$RUN_LOCK_MESSAGE$(printf "$RUN_LOCK_UNWATCHED_FORMAT" "$run_lock_limits" "$run_lock_kills")" ;;
        missing)
            RUN_LOCK_MESSAGE=$(printf "$RUN_LOCK_MISSING_FORMAT" "$RUN_LOCK_DETAIL") ;;
        unusable)
            RUN_LOCK_MESSAGE=$(printf "$RUN_LOCK_UNUSABLE_FORMAT" "${RUN_LOCK_USED_DIR:-?}" "$RUN_LOCK_DETAIL") ;;
        *)
            [ "$RUN_LOCK_RC" -ne 0 ] || RUN_LOCK_RC=@RC_FAILED@
            RUN_LOCK_MESSAGE=$(printf "$RUN_LOCK_FAILED_FORMAT" "$RUN_LOCK_RC" "$(printf '%s' "$run_lock_out" | tr '\n' ' ')") ;;
    esac
    return "$RUN_LOCK_RC"
}
# Give the lock back now (the holder would notice the script's end within a second anyway).
run_lock_release() {
    [ -n "$RUN_LOCK_HELD" ] || return 0
    RUN_LOCK_HELD=
    /bin/sh -c "$RUN_LOCK_RELEASE_SH" db_runbooks-unlock "$RUN_LOCK_DIR" "$RUN_LOCK_KEY" "$RUN_LOCK_TAG" > /dev/null 2>&1
}
"""


def _messages(container, database, mode, advice):
    """printf formats of what the shell says, worded as run_lock words them."""
    where = "%s/%s" % (container, database)
    esc = _printf_escape
    article = "an" if mode == "exclusive" else "a"
    return dict(
        # busy_message: "another run is in progress on <where>: <who>; this run asked for a <mode> lock<after>."
        RUN_LOCK_BUSY_FORMAT=esc("another run is in progress on %s: " % where) + "%s" + esc(
            "; this scheduled run asked for %s %s lock" % (article, mode)) + "%s" + esc(
            ". It runs again at its next scheduled time.%s Nothing was touched." % ((" " + advice) if advice else "")),
        RUN_LOCK_WAITED_FORMAT=" after waiting %s s",
        RUN_LOCK_UNKNOWN_FORMAT="a holder that has not written who it is yet (lock file %s; `fuser -v %s` on "
                                "the docker host names it)",
        RUN_LOCK_UNWATCHED_FORMAT=" A lock taken through a remote connection cannot see its ansible-playbook "
                                  "end: it lasts until that run releases it or for at most %s. If that run is "
                                  "gone, end its holder on the docker host: %s.",
        RUN_LOCK_LIMIT_FORMAT="%s s (%s)",
        RUN_LOCK_KILL_FORMAT="kill %s",
        RUN_LOCK_MISSING_FORMAT="%s is not installed on this docker host: the run lock needs flock and setsid "
                                "(util-linux) and sed, grep, tr, date, sleep (coreutils). Install them "
                                "(apt-get install util-linux coreutils). Nothing was touched.",
        RUN_LOCK_UNUSABLE_FORMAT="the lock directory %s is not usable by this user (%s): it must be a directory "
                                 "(not a link) owned by the user the runbooks run as. Run this job as that user, "
                                 "remove the directory if nothing uses it, or set db_runbooks_lock_dir for the "
                                 "runbooks and this job alike. Nothing was touched.",
        RUN_LOCK_FAILED_FORMAT=esc("could not take the run lock on %s (exit " % where) + "%s): %s" + esc(
            ". Nothing was touched."),
    )


def run_lock_key(container, database):
    """The lock's file name stem for *container* and *database* (run_lock's own key)."""
    err = check_container_name(container) or check_identifier(database, "database")
    if err:
        raise AnsibleFilterError("run_lock_key: %s" % err)
    return L.lock_key(container, database)


def run_lock_shell(container, database, run_name, mode="shared", lock_dir="", advice=""):
    """POSIX sh that defines run_lock_take / run_lock_release for *container* and *database*.

    *run_name* is what other runs are told holds the lock (the info file's
    ``playbook``); *lock_dir* is run_lock's ``lock_dir`` ('' = its own rule:
    /run/lock/db_runbooks, else /tmp/db_runbooks-locks-<uid>); *advice* ends
    the message of a run that found the lock taken.
    """
    key = run_lock_key(container, database)
    if mode not in L.MODES:
        raise AnsibleFilterError("run_lock_shell: mode=%r: use one of %s." % (mode, ", ".join(L.MODES)))
    lock_dir = "" if lock_dir is None else lock_dir
    if not isinstance(lock_dir, str) or (lock_dir and not os.path.isabs(lock_dir)) or "\n" in lock_dir:
        raise AnsibleFilterError("run_lock_shell: lock_dir=%r: use an absolute directory on the docker host, "
                                 "or '' for run_lock's default (/run/lock/db_runbooks)." % (lock_dir,))
    if not isinstance(run_name, str) or not run_name.strip():
        raise AnsibleFilterError("run_lock_shell: run_name=%r: name the job (for example its script's path), "
                                 "so that a run it keeps out can say what is in the way." % (run_name,))
    fmt, fields = holder_format()
    values = dict(
        RUN_LOCK_DIR=lock_dir,
        RUN_LOCK_KEY=key,
        RUN_LOCK_MODE=mode,
        RUN_LOCK_MAX_SECONDS=str(L.DEFAULT_MAX_SECONDS),
        RUN_LOCK_INFO=L.info_text(dict(mode=mode, container=container, database=database, playbook=run_name)),
        RUN_LOCK_ACQUIRE_SH=L.ACQUIRE_SCRIPT,
        RUN_LOCK_HOLDER_SH=L.HOLDER_SCRIPT,
        RUN_LOCK_RELEASE_SH=L.RELEASE_SCRIPT,
        RUN_LOCK_HOLDER_FORMAT=fmt,
    )
    values.update(_messages(container, database, mode, advice or ""))
    body = (_SHELL
            .replace("@HOLDER_ARGS@", " ".join('"${run_lock_f_%s:-%s}"' % (f, _dq(d)) for f, d in fields))
            .replace("@READ_FIELDS@", "|".join(_READ_FIELDS))
            .replace("@UNSET_FIELDS@", " ".join("run_lock_f_%s" % f for f in _READ_FIELDS))
            .replace("@RC_BUSY@", str(L.RC_BUSY))
            .replace("@RC_FAILED@", str(L.RC_FAILED)))
    head = ["# The run lock of %s/%s (fancai.db_runbooks.run_lock), %s: filter fancai.db_runbooks.run_lock_shell."
            % (container, database, mode)]
    head += ["%s=%s" % (name, shlex.quote(values[name])) for name in sorted(values)]
    return "\n".join(head) + "\n" + body.lstrip("\n")


class FilterModule(object):
    """The run lock, for jobs that run without Ansible."""

    def filters(self):
        return {
            "run_lock_key": run_lock_key,
            "run_lock_shell": run_lock_shell,
        }
