# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers behind fancai.db_runbooks.alembic: run the application's Alembic in its backend.

The backend container is a Python application whose ``DATABASE_URL`` holds the
database password. Nothing here reads it: :func:`runner_command` builds
``docker exec -i <backend> python3 -`` and a small script for its standard
input. Inside the container, the script reads the URL from the environment,
rewrites only the database name when asked (driver, user, host, port and query
string stay), runs the ``alembic`` CLI found on the container's PATH in its
working directory with that URL, and prints one JSON document in which the
password, the URL's userinfo and the whole URL are replaced by ``***``. It
writes no file (the backend may run as a non-root user on a read-only tree).

:func:`parse_runner` turns what came back into the action's result keys,
:func:`parse_history` reads ``alembic history``, :func:`revision_relation`
places one revision against another in that history.

This is a private module (leading underscore): its API may change between
releases of the collection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    check_container_name,
    check_identifier,
    timeout_reason,
)

# The line the runner prints before its JSON document.
RUNNER_MARKER = "__db_runbooks_alembic__"

# What `state` runs, in one docker exec.
STATE_STEPS = (["current"], ["heads"], ["history"])

# Alembic revision ids and the names a CLI argument may take (head, heads, base,
# a relative +1/-1, rev@head, a branch label): no spaces, no shell meaning.
REVISION_RE = re.compile(r"^[A-Za-z0-9_.@:+-]{1,64}$")
URL_VARIABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")

# docker exec's exit statuses when the program could not be started.
_RC_CANNOT_RUN = 126
_RC_NOT_FOUND = 127

# The script run by python3 inside the backend; __CONFIG__ becomes a JSON
# literal (the steps, the database, the variable name, the time limit).
# Python 3.6+, standard library only.
_RUNNER_SCRIPT = r'''
import json, os, shutil, signal, subprocess, sys, time
from urllib.parse import quote, unquote

CONFIG = json.loads(__CONFIG__)
MARKER = "__db_runbooks_alembic__"
SECRETS = []


def redact(text):
    for secret in SECRETS:
        text = text.replace(secret, "***")
    return text


def finish(doc, code):
    doc.setdefault("steps", [])
    if doc.get("error"):
        doc["error"] = redact(doc["error"])
    for step in doc["steps"]:
        step["stdout"] = redact(step["stdout"])
        step["stderr"] = redact(step["stderr"])
    sys.stdout.write(MARKER + "\n" + json.dumps(doc) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def split_url(url):
    """(scheme, userinfo, hostport, path, rest) of a SQLAlchemy URL, or None."""
    cut = url.find("://")
    if cut < 0:
        return None
    scheme, after = url[:cut], url[cut + 3:]
    query = after.find("?")
    head, rest = (after, "") if query < 0 else (after[:query], after[query:])
    at = head.rfind("@")
    userinfo, hostpath = ("", head) if at < 0 else (head[:at], head[at + 1:])
    slash = hostpath.find("/")
    hostport, path = (hostpath, "") if slash < 0 else (hostpath[:slash], hostpath[slash + 1:])
    return scheme, userinfo, hostport, path, rest


doc = {"runner": 1, "problem": None, "error": None, "url": None, "database": None,
       "workdir": os.getcwd(), "steps": []}
name = CONFIG["url_variable"]
url = os.environ.get(name, "")
if not url:
    doc.update(problem="no_url", error="%s is not set in the container's environment" % name)
    finish(doc, 3)
parts = split_url(url)
if parts is None:
    SECRETS.append(url)
    doc.update(problem="bad_url", error="%s does not look like a database URL (no '://')" % name)
    finish(doc, 3)
scheme, userinfo, hostport, path, rest = parts
if userinfo:
    password = userinfo.split(":", 1)[1] if ":" in userinfo else ""
    for value in (password, unquote(password), quote(unquote(password), safe=""), userinfo):
        if value and value not in SECRETS:
            SECRETS.append(value)
database = CONFIG.get("database")
new_url = url
if database:
    new_url = "%s://%s%s/%s%s" % (scheme, userinfo + "@" if userinfo else "", hostport, database, rest)
# Longest first, so a password inside a URL is never left half replaced.
SECRETS.extend([url, new_url])
SECRETS.sort(key=len, reverse=True)
doc["url"] = "%s://%s%s/%s%s" % (scheme, "***@" if userinfo else "", hostport,
                                 database or unquote(path), rest)
doc["database"] = database or unquote(path)

alembic = shutil.which("alembic")
if not alembic:
    doc.update(problem="no_alembic",
               error="alembic is not on the PATH of the container (PATH=%s)" % os.environ.get("PATH", ""))
    finish(doc, 4)

env = dict(os.environ)
env[name] = new_url
# No .pyc files, no writes: the backend may run as a user that owns nothing.
env["PYTHONDONTWRITEBYTECODE"] = "1"
env["PYTHONUNBUFFERED"] = "1"
limit = CONFIG.get("timeout") or 0
deadline = time.time() + limit if limit else None
code = 0
for index, args in enumerate(CONFIG["steps"]):
    step = {"args": args, "rc": None, "stdout": "", "stderr": "", "timed_out": False, "skipped": False}
    doc["steps"].append(step)
    if index == CONFIG.get("guarded") and code:
        # What the database is at could not be read: the change is not attempted.
        step["skipped"] = True
        continue
    left = None
    if deadline is not None:
        left = deadline - time.time()
        if left <= 0:
            step.update(timed_out=True, rc=124)
            code = code or 124
            break
    try:
        proc = subprocess.Popen([alembic] + args, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as exc:
        doc.update(problem="no_alembic", error="alembic could not be started: %s" % exc)
        finish(doc, 4)
    try:
        out, err = proc.communicate(timeout=left)
    except subprocess.TimeoutExpired:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                pass
            try:
                out, err = proc.communicate(timeout=5)
                break
            except subprocess.TimeoutExpired:
                out, err = b"", b""
        step["timed_out"] = True
    step["rc"] = 124 if step["timed_out"] else proc.returncode
    step["stdout"] = out.decode("utf-8", "replace")
    step["stderr"] = err.decode("utf-8", "replace")
    if step["rc"] != 0:
        code = code or step["rc"]
        if step["timed_out"]:
            break
finish(doc, code)
'''


_CHANGING = ("upgrade", "downgrade", "stamp")


def _steps(args):
    """The alembic argument lists one exec runs for *args* (``["state"]`` is current + heads + history)."""
    args = [str(a) for a in args or []]
    if not args:
        raise ValueError("no alembic command given: use ['state'] or e.g. ['upgrade', 'head']")
    if args == ["state"]:
        return [list(s) for s in STATE_STEPS]
    for arg in args:
        if not re.match(r"^[A-Za-z0-9_.@:+=-]{1,128}$", arg):
            raise ValueError(
                "alembic argument %r is not a plain word: use revision ids, head or alembic's own options"
                % (arg,))
    if args[0] in _CHANGING:
        # What the database was at, the change, what it is at after: one exec.
        return [["current"], ["heads"], ["history"], args, ["current"]]
    return [args]


def _guarded(steps):
    """Index of the step that changes the database (skipped when a step before it failed), or None."""
    for index, step in enumerate(steps):
        if step and step[0] in _CHANGING:
            return index
    return None


def runner_script(steps, database=None, url_variable="DATABASE_URL", timeout=0):
    """The Python source piped to ``python3 -`` in the backend (no secret in it)."""
    config = json.dumps(dict(steps=steps, database=database or None, url_variable=url_variable,
                             timeout=int(timeout or 0), guarded=_guarded(steps)))
    return _RUNNER_SCRIPT.replace("__CONFIG__", repr(config), 1)


def runner_command(container, args, database=None, url_variable="DATABASE_URL", docker_cli="docker", timeout=0):
    """Return (argv, stdin_bytes) running ``alembic <args>`` in the backend *container*.

    *args* is an alembic command line such as ``["upgrade", "reading_goals_2026"]``, or
    ``["state"]`` for ``current``, ``heads`` and ``history`` in one exec. ``upgrade``,
    ``downgrade`` and ``stamp`` are run between a ``current``/``heads``/``history`` before and a
    ``current`` after, so one exec also says where the database was and is.
    *database* points the URL in *url_variable* at another database of the same server,
    inside the container: the password never appears in argv, stdin or output.
    *timeout* (seconds, 0 for none) ends alembic inside the container; the caller
    still bounds the docker exec itself on the docker host (a paused container).
    Raises ValueError on a bad argument.
    """
    err = check_container_name(container)
    if err:
        raise ValueError(err)
    if database:
        err = check_identifier(database, "database")
        if err:
            raise ValueError(err)
    if not isinstance(url_variable, str) or not URL_VARIABLE_RE.match(url_variable):
        raise ValueError(
            "url_variable %r is not an environment variable name: use letters, digits and '_' "
            "(for example DATABASE_URL)." % (url_variable,))
    steps = _steps(args)
    argv = [docker_cli, "exec", "-i", container, "python3", "-"]
    script = runner_script(steps, database=database, url_variable=url_variable, timeout=timeout)
    return argv, script.encode("utf-8")


def describe_command(args, database=None, url_variable="DATABASE_URL"):
    """The commands one exec runs, as the ``queries`` of a result (no secret)."""
    where = "" if not database else "  # %s pointed at database %s" % (url_variable, database)
    return ["alembic %s%s" % (" ".join(step), where) for step in _steps(args)]


# --- what came back --------------------------------------------------------------

_CURRENT_LINE_RE = re.compile(r"^(?P<rev>[A-Za-z0-9_.-]+)(?P<flags>(?: \([^()]*\))*)\s*$")
_HISTORY_LINE_RE = re.compile(
    r"^(?P<down>[^()]+?)(?: \((?P<deps>[^()]*)\))? -> (?P<rev>[A-Za-z0-9_.-]+)"
    r"(?P<flags>(?: \([^()]*\))*)(?:, (?P<doc>.*))?$")
_RUNNING_RE = re.compile(
    r"Running (?P<kind>upgrade|downgrade|stamp) (?P<from>.*?) ?-> (?P<to>[A-Za-z0-9_., -]+?)(?:,|$)")
# A driver's own exception line: psycopg2.errors.DuplicateTable: relation "…" already exists
_DB_ERROR_RE = re.compile(r"^(?P<cls>(?:psycopg2|psycopg|asyncpg|pg8000)[\w.]*\.\w+): (?P<msg>.+)$")
# SQLAlchemy's wrapper: sqlalchemy.exc.ProgrammingError: (psycopg2.errors.DuplicateTable) relation …
_SA_ERROR_RE = re.compile(r"^sqlalchemy\.exc\.\w+: \((?P<cls>[\w.]+)\) (?P<msg>.+)$")
_EXC_LINE_RE = re.compile(r"^(?P<cls>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): ?(?P<msg>.*)$")
_FLAG_WORDS = ("head", "effective head", "current", "branchpoint", "mergepoint")


def _flags(text):
    return re.findall(r"\(([^()]*)\)", text or "")


def parse_current(stdout):
    """Revisions ``alembic current`` (or ``heads``) printed, in order: ['reading_goals_2026']."""
    revs = []
    for line in (stdout or "").splitlines():
        line = line.strip()
        if not line or line.startswith(("INFO ", "WARNI", "DEBUG", "ERROR", "Current revision")):
            continue
        m = _CURRENT_LINE_RE.match(line)
        if m and m.group("rev") not in revs:
            revs.append(m.group("rev"))
    return revs


def parse_history(stdout):
    """``alembic history`` as [{revision, down_revisions, head, branchpoint, mergepoint, doc}], base first.

    Lines look like ``<base> -> initial_2024, initial``, ``a -> b (head), doc``,
    ``a, b -> c (head) (mergepoint), merge``, ``a -> b (branchpoint), doc``.
    """
    entries = []
    for line in (stdout or "").splitlines():
        m = _HISTORY_LINE_RE.match(line.strip())
        if not m:
            continue
        down = m.group("down").strip()
        downs = [] if down == "<base>" else [d.strip() for d in down.split(",") if d.strip()]
        flags = _flags(m.group("flags"))
        entries.append(dict(
            revision=m.group("rev"),
            down_revisions=downs,
            dependencies=[d.strip() for d in (m.group("deps") or "").split(",") if d.strip()],
            head="head" in flags,
            branchpoint="branchpoint" in flags,
            mergepoint="mergepoint" in flags,
            branch_labels=[f for f in flags if f not in _FLAG_WORDS],
            doc=m.group("doc") or "",
        ))
    # alembic prints the newest first; parents before children is what a reader wants.
    return _topological(list(reversed(entries)))


def _topological(entries):
    """*entries* reordered so every revision comes after the revisions it descends from."""
    by_rev = dict((e["revision"], e) for e in entries)
    done, out = set(), []

    def visit(rev, seen):
        if rev in done or rev not in by_rev or rev in seen:
            return
        seen.add(rev)
        for parent in by_rev[rev]["down_revisions"]:
            visit(parent, seen)
        done.add(rev)
        out.append(by_rev[rev])

    for entry in entries:
        visit(entry["revision"], set())
    return out


def _ancestors(history, revision):
    parents = dict((e["revision"], list(e.get("down_revisions") or [])) for e in history or [])
    seen, todo = set(), list(parents.get(revision, []))
    while todo:
        rev = todo.pop()
        if rev in seen:
            continue
        seen.add(rev)
        todo.extend(parents.get(rev, []))
    return seen


def revision_relation(history, revision, reference):
    """How *revision* stands to *reference* in *history* (a parse_history list).

    "same"; "newer" (revision descends from reference); "older" (reference
    descends from revision); "unknown" (not both in history, or on branches
    neither of which descends from the other).
    """
    known = set(e["revision"] for e in history or [])
    if revision == reference and revision in known:
        return "same"
    if revision not in known or reference not in known:
        return "unknown"
    if reference in _ancestors(history, revision):
        return "newer"
    if revision in _ancestors(history, reference):
        return "older"
    return "unknown"


def resolve_target(history, heads, target):
    """The revisions *target* means (head, heads, base or an id), or None when it cannot be told here."""
    if target == "head":
        return list(heads) if len(heads) == 1 else None
    if target == "heads":
        return list(heads)
    if target == "base":
        return []
    if target in set(e["revision"] for e in history or []):
        return [target]
    return None


def upgrade_path(history, current, targets):
    """Revisions an upgrade from *current* (a list) to *targets* applies, parents first."""
    have = set(current or [])
    for rev in current or []:
        have |= _ancestors(history, rev)
    want = set(targets or [])
    for rev in targets or []:
        want |= _ancestors(history, rev)
    return [e["revision"] for e in history or [] if e["revision"] in want - have]


def _error_line(text):
    """The database error of a failed alembic run, in one line, or ''."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    for line in reversed(lines):
        m = _DB_ERROR_RE.match(line)
        if m:
            return "%s: %s" % (m.group("cls"), m.group("msg"))
    for line in reversed(lines):
        m = _SA_ERROR_RE.match(line)
        if m:
            return "%s: %s" % (m.group("cls"), m.group("msg"))
    for line in reversed(lines):
        if line.startswith("FAILED:"):
            return line
    for line in reversed(lines):
        if _EXC_LINE_RE.match(line):
            return line
    return lines[-1] if lines else ""


def failed_revision(text):
    """The revision being applied when *text* (alembic's log) ended: Y of the last 'Running upgrade X -> Y'."""
    found = None
    for line in (text or "").splitlines():
        m = _RUNNING_RE.search(line)
        if m:
            found = m.group("to").split(",")[0].strip()
    return found


def _docker_problem(rc, stderr):
    err = (stderr or "").strip()
    low = err.lower()
    if "no such container" in low:
        return "missing"
    if "is paused" in low:
        return "paused"
    if "is not running" in low or "is restarting" in low:
        return "stopped"
    if ("executable file not found" in low or "no such file or directory" in low) and "python3" in low:
        return "no_python"
    if rc in (_RC_CANNOT_RUN, _RC_NOT_FOUND) and "python3" in low:
        return "no_python"
    if "cannot connect to the docker daemon" in low or "is the docker daemon running" in low:
        return "docker"
    return "docker" if rc else None


def _step_text(step):
    out = (step.get("stdout") or "") + (step.get("stderr") or "")
    return "$ alembic %s\n%s" % (" ".join(step.get("args") or []), out if out.endswith("\n") or not out else out + "\n")


def parse_runner(rc, stdout, stderr):
    """What one runner exec said, as the action's result keys.

    Returns dict(ok, rc, output, current, heads, history, failed_revision, error)
    and, besides: previous (``current`` before an upgrade), problem (None, or
    missing | stopped | paused | no_python | no_url | bad_url | no_alembic |
    timeout | docker | garbled | alembic), timed_out, url (redacted), database, steps.
    ``current`` is the last ``alembic current`` of the exec; None when it did not run.
    """
    res = dict(ok=False, rc=rc, output="", current=None, previous=None, heads=None, history=None,
               failed_revision=None, error=None, problem=None, timed_out=False, url=None,
               database=None, steps=[])
    lines = (stdout or "").splitlines()
    if RUNNER_MARKER not in lines:
        # docker exec prints the runtime's own errors (no python3) on stdout.
        err = ((stderr or "") + "\n" + (stdout or "")).strip()
        res["problem"] = _docker_problem(rc, err) or "garbled"
        res["error"] = err.splitlines()[0] if err else "(the runner printed nothing)"
        res["output"] = ((stdout or "") + (stderr or "")).strip()
        return res
    payload = "\n".join(lines[lines.index(RUNNER_MARKER) + 1:]).strip()
    try:
        doc = json.loads(payload)
    except ValueError:
        res.update(problem="garbled", error="the runner printed something that is not JSON")
        return res
    steps = doc.get("steps") or []
    res.update(url=doc.get("url"), database=doc.get("database"), steps=steps,
               output="".join(_step_text(s) for s in steps))
    if doc.get("problem"):
        res.update(problem=doc["problem"], error=doc.get("error"))
        return res
    currents = []
    for step in steps:
        args = step.get("args") or []
        ok = step.get("rc") == 0
        if args == ["current"]:
            currents.append(parse_current(step.get("stdout")) if ok else None)
        elif args == ["heads"] and ok:
            res["heads"] = parse_current(step.get("stdout"))
        elif args == ["history"] and ok:
            res["history"] = parse_history(step.get("stdout"))
    if currents:
        res["current"] = currents[-1]
        if len(currents) > 1:
            res["previous"] = currents[0]
    failed = [s for s in steps if s.get("rc") != 0 and not s.get("skipped")]
    if failed:
        step = failed[0]
        text = (step.get("stdout") or "") + "\n" + (step.get("stderr") or "")
        if step.get("timed_out"):
            res.update(problem="timeout", timed_out=True,
                       error="alembic %s did not finish in time and was ended" % " ".join(step.get("args") or []))
        else:
            res.update(problem="alembic", error=_error_line(text))
        if (step.get("args") or [""])[0] in ("upgrade", "downgrade"):
            res["failed_revision"] = failed_revision(text)
        return res
    res["ok"] = rc == 0
    if rc != 0:
        res.update(problem="docker", error=((stderr or "").strip().splitlines() or ["exit %s" % rc])[-1])
    return res


def describe_problem(result, container, url_variable="DATABASE_URL", timeout=None):
    """Word a failed runner exec (a parse_runner result) for an operator: what, and the fix."""
    problem = result.get("problem")
    error = result.get("error") or ""
    if problem == "missing":
        return ("the backend container %r does not exist on this docker host: check the name with "
                "`docker ps --format '{{.Names}}'` and set db_runbooks_backend_container." % container)
    if problem in ("stopped", "paused"):
        fix = "docker unpause" if problem == "paused" else "docker start"
        return ("the backend container %r is %s (%s): `%s %s`, or set db_runbooks_backend_container to "
                "the running backend." % (container, "paused" if problem == "paused" else "not running",
                                          error, fix, container))
    if problem == "no_python":
        return ("the backend container %r has no python3 on its PATH (%s): the collection runs the "
                "application's Alembic through it. Is db_runbooks_backend_container the application's "
                "backend?" % (container, error))
    if problem == "no_alembic":
        return ("the backend container %r has no alembic command (%s): is db_runbooks_backend_container the "
                "application's backend (the image that holds its migrations)?" % (container, error))
    if problem == "no_url":
        return ("the backend container %r has no %s in its environment (url_variable): set url_variable to "
                "the variable that holds the application's database URL." % (container, url_variable))
    if problem == "bad_url":
        return ("%s in the backend container %r is not a database URL of the form "
                "driver://user:password@host:port/database (url_variable)." % (url_variable, container))
    if problem == "timeout":
        return ("alembic in the backend container %r did not finish within %s s (db_runbooks_step_timeout) "
                "and was ended; PostgreSQL rolled back what it had begun: %s." % (
                    container, timeout if timeout is not None else "the allowed", error))
    if problem == "garbled":
        return ("the runner in the backend container %r printed something unexpected (%s)." % (container, error))
    if problem == "docker":
        return ("docker exec in the backend container %r failed (rc %s): %s" % (container, result.get("rc"), error))
    where = ""
    if result.get("failed_revision"):
        where = " in revision %s" % result["failed_revision"]
    return "alembic failed%s in the backend container %r: %s." % (where, container, (error or "(no message)").rstrip("."))


def describe_timeout(container, seconds, state=None):
    """Word a runner exec the docker host had to end, with what the container says of itself."""
    return ("alembic in the backend container %r did not finish within %d s (db_runbooks_step_timeout) "
            "and was ended: %s." % (container, int(seconds), timeout_reason(container, state, "alembic")))


def fmt_revisions(revisions):
    """['a', 'b'] -> 'a, b'; [] -> '<base> (no revision)'; None -> 'unknown'."""
    if revisions is None:
        return "unknown"
    return ", ".join(revisions) if revisions else "<base> (no revision)"
