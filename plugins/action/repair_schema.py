# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin behind fancai.db_runbooks.repair_schema (documentation: plugins/modules/repair_schema.py).

It reads the live catalog of the database (one psql round trip) and which of
its tables hold rows, plans the repair with ``_repair.plan_repair`` against the
expected catalog, counts the rows each new constraint or unique index would
reject (read-only), and only when none would, applies the steps: the
transactional ones in one ``--single-transaction`` psql call, each other one
alone, with ``lock_timeout`` and ``statement_timeout`` set for the session.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible.errors import AnsibleActionFail

from ansible_collections.fancai.db_runbooks.plugins.action.psql import (
    CONNECTION_ARGSPEC,
    PsqlActionBase,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._catalog import (
    build_catalog_script,
    coerce_expected,
    keyed_catalog,
    parse_catalog_output,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._repair import (
    BLOCKERS_QUERY,
    batches,
    describe_blockers,
    describe_builds,
    describe_violations,
    ident,
    index_builds_query,
    plan_repair,
    precheck_query,
    script_of,
)
from ansible_collections.fancai.db_runbooks.plugins.module_utils._runbooks import (
    build_psql_argv,
    build_script,
    check_identifier,
    describe_failure,
    parse_rows,
    quote_literal,
)

_ARGSPEC = dict(
    CONNECTION_ARGSPEC,
    database=dict(type="str", required=True),
    expected=dict(type="dict"),
    apply=dict(type="bool", default=True),
    lock_probe=dict(type="bool", default=False),
    require_online=dict(type="bool", default=False),
    lock_timeout=dict(type="str", default="5s"),
    statement_timeout=dict(type="str", default="30min"),
    maintenance_database=dict(type="str", default="postgres"),
)

_DURATION_RE = re.compile(r"^[0-9]+(us|ms|s|min|h|d)?$")
# PostgreSQL's DETAIL of a unique build that met a duplicate: "Key (email)=(x@y) is duplicated."
_DUPLICATE_KEY_RE = re.compile(r"(?m)(?<=DETAIL:  )Key \(.*\)=\(.*\) is duplicated\.$")

# Every table and materialized view opened for reading (pg_relation_size takes ACCESS SHARE): waits,
# within lock_timeout, for any session holding ACCESS EXCLUSIVE on one of them.
_LOCK_PROBE_QUERY = (
    "SELECT count(*) AS relations FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm') AND pg_catalog.pg_relation_size(c.oid) >= 0"
)

# Which tables hold at least one row (read-only: EXISTS stops at the first row).
_ROWS_QUERY = (
    "SELECT c.relname AS name, (xpath('/row/x/text()', query_to_xml(format("
    "'SELECT EXISTS (SELECT 1 FROM %I.%I) AS x', n.nspname, c.relname), false, true, '')))[1]::text = 'true' "
    "AS has_rows FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
)


class ActionModule(PsqlActionBase):
    """Bring a database to the expected schema in place, keeping every row."""

    def run(self, tmp=None, task_vars=None):
        # The process that forked this worker: ansible-playbook. Workers run in a session of their own, so a
        # kill of ansible-playbook (its process group, a lost terminal) leaves this one running; it must not
        # go on repairing unwatched, beside the next run (see _orphaned).
        self._parent_pid = os.getppid()
        task_vars, result, args = self._begin(tmp, task_vars, _ARGSPEC)
        container, login_user = self._psql_target(args, task_vars)
        self._login_user = login_user
        database = args["database"]
        for value, what in ((database, "database"), (args["maintenance_database"], "maintenance_database")):
            err = check_identifier(value, what)
            if err:
                raise AnsibleActionFail(err)
        for what in ("lock_timeout", "statement_timeout"):
            if not _DURATION_RE.match(str(args[what])):
                raise AnsibleActionFail(
                    "%s=%r is not a PostgreSQL duration: give e.g. '5s', '500ms' or '30min'." % (what, args[what]))
        if re.match(r"^0+[a-z]*$", args["lock_timeout"]):
            raise AnsibleActionFail(
                "lock_timeout=%r would wait for ever behind the application's locks: give e.g. '5s'."
                % args["lock_timeout"])
        if args["lock_probe"]:
            return self._lock_probe(args, task_vars, result, container, login_user)
        if args["expected"] is None:
            raise AnsibleActionFail("expected is required (verify_result.reference.catalog) unless lock_probe=true.")
        expected, err = coerce_expected(args["expected"])
        if err:
            raise AnsibleActionFail(err)
        if not expected.get("tables"):
            raise AnsibleActionFail(
                "expected lists no table: give the expected catalog (verify_result.reference.catalog), "
                "not an empty one.")

        check_mode = bool(self._task.check_mode)
        queries, statements = [], []
        result.update(changed=False, database=database, container=container, queries=queries,
                      statements=statements, steps=[], unrepairable=[], extra=[], online=True,
                      additive=True, applied=[], violations=[], sql="")
        docker_cli = args["docker_cli"]
        settings = {"lock_timeout": args["lock_timeout"], "statement_timeout": args["statement_timeout"]}
        self._db_argv = build_psql_argv(container, login_user, database, docker_cli=docker_cli, settings=settings)
        self._tx_argv = build_psql_argv(container, login_user, database, docker_cli=docker_cli, settings=settings,
                                        single_transaction=True)
        self._lock_timeout = args["lock_timeout"]
        self._ro_argv = build_psql_argv(container, login_user, database, docker_cli=docker_cli,
                                        settings=dict(settings, default_transaction_read_only="on"))

        # 1. The live catalog and which tables hold rows (read-only).
        script = build_catalog_script([("actual", database)])
        queries.append(script)
        maint = build_psql_argv(container, login_user, args["maintenance_database"], docker_cli=docker_cli,
                                settings=settings)
        rc, stdout, stderr = self._psql_run(maint, script=script)
        if rc != 0:
            self._fail(result, rc, stderr, "Nothing was changed: could not read the catalog of %s" % database)
            if self._lock_timed_out(stderr):
                result["msg"] += " " + describe_blockers(self._blockers(queries), self._lock_timeout)
            return result
        try:
            section = parse_catalog_output(stdout).get("actual") or {}
        except (ValueError, KeyError, IndexError) as exc:
            result.update(failed=True, msg="could not read the catalog psql printed (%s)" % exc)
            return result
        if not section.get("exists"):
            result.update(failed=True, msg=(
                "database %s does not exist in container %s: there is nothing to repair in place; build it "
                "with playbooks/restore.yml." % (database, container)))
            return result
        actual = keyed_catalog(section["catalog"])
        rows = self._query(_ROWS_QUERY, queries, result, read_only=True)
        if rows is None:
            result["msg"] = "Nothing was changed: " + result.get("msg", "")
            return result
        with_rows = set(r["name"] for r in rows if r.get("has_rows"))

        # 2. The plan.
        plan = plan_repair(expected, actual, tables_with_rows=with_rows)
        steps = plan["steps"]
        shown = [self._shown(s) for s in steps]
        sql_text = script_of(steps)
        result.update(steps=shown, unrepairable=plan["unrepairable"], extra=plan["extra"], online=plan["online"],
                      additive=plan["additive"], sql=sql_text, tables_with_rows=sorted(with_rows))
        if steps and self._task.diff:
            result["diff"] = {"prepared": sql_text}

        # 3. An index build another session still runs (an interrupted run leaves its build running in the
        #    server): dropping or building beside it would wait for its lock and fail. Refused, nothing changed.
        if any(not s["transactional"] and s.get("index") for s in steps):
            builds = self._query(index_builds_query(), queries, result, read_only=True)
            if builds is None:
                result["msg"] = "Nothing was changed: " + result.get("msg", "")
                return result
            refusal = describe_builds(steps, builds, database)
            if refusal:
                result.update(failed=True, index_builds=builds, msg=refusal + self._left(plan))
                return result

        # 4. Rows a new constraint or unique index would reject: counted before anything changes.
        pre = precheck_query(steps)
        if pre:
            counted = self._query(pre, queries, result, read_only=True)
            if counted is None:
                result["msg"] = "Nothing was changed: " + result.get("msg", "")
                return result
            result["violations"] = [dict(r, what=steps[int(r["step"])]["what"]) for r in counted if int(r["rows"] or 0)]
            refusal = describe_violations(steps, counted, database)
            if refusal:
                result.update(failed=True, msg=refusal + self._left(plan))
                return result

        if not steps:
            result["msg"] = "nothing to repair in %s%s" % (database, self._left(plan))
            return result
        if args["require_online"] and not plan["online"]:
            offline = [s["what"] for s in steps if s["destructive"] or not s["online"]]
            result.update(failed=True, msg=(
                "Nothing was changed: %s %s not additive and online (%s), and no safety dump was taken for "
                "this run. Run the role fancai.db_runbooks.repair (it dumps first), or pass "
                "require_online=false after taking one." % (
                    ", ".join(offline), "is" if len(offline) == 1 else "are",
                    "; ".join(s["detail"] for s in steps if (s["destructive"] or not s["online"]) and s["detail"]))))
            return result
        if check_mode or not args["apply"]:
            result.update(changed=check_mode and bool(steps), msg="%s: %d step(s) planned in %s%s" % (
                "check mode" if check_mode else "plan", len(steps), database, self._left(plan)))
            return result

        # 5. Apply, batch by batch; stop at the first failure.
        for batch in batches(steps):
            if self._orphaned():
                return self._stopped_orphaned(result, batch["steps"][0])
            if batch["transactional"]:
                sql = [s for step in batch["steps"] for s in step["sql"]]
                rc, stdout, stderr = self._run_sql(sql, queries, transaction=True)
                if rc != 0:
                    return self._failed_step(result, batch["steps"], rc, stderr, in_transaction=True)
                statements.extend(sql)
                result["applied"] += [s["what"] for s in batch["steps"]]
                result["changed"] = True
                continue
            step = batch["steps"][0]
            done = []
            for sql in step["sql"]:
                if done and self._orphaned():
                    return self._stopped_orphaned(result, step, done)
                rc, stdout, stderr = self._run_sql([sql], queries)
                if rc != 0:
                    if self._orphaned():
                        # No cleanup either: the next run finds what this step left (an invalid index is
                        # dropped and built again) and plans from it, alone.
                        return self._stopped_orphaned(result, step, done, stderr)
                    cleanup = self._cleanup(step, done, queries)
                    return self._failed_step(result, [step], rc, stderr, cleanup=cleanup, done_of_step=done)
                done.append(sql)
                statements.append(sql)
                result["changed"] = True
            result["applied"].append(step["what"])
        result["msg"] = "repaired %s: %s%s" % (database, "; ".join(result["applied"]), self._left(plan))
        return result

    # ------------------------------------------------------------------

    def _lock_probe(self, args, task_vars, result, container, login_user):
        """Read-only: can every table and materialized view be read within lock_timeout? Nothing else."""
        database = args["database"]
        settings = {"lock_timeout": args["lock_timeout"], "statement_timeout": args["statement_timeout"]}
        self._lock_timeout = args["lock_timeout"]
        self._ro_argv = build_psql_argv(container, login_user, database, docker_cli=args["docker_cli"],
                                        settings=dict(settings, default_transaction_read_only="on"))
        queries = []
        result.update(changed=False, database=database, container=container, queries=queries, lock_probe=True)
        exists_query = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = %s) AS exists" % (
            quote_literal(database))
        maint = build_psql_argv(container, login_user, args["maintenance_database"], docker_cli=args["docker_cli"],
                                settings=dict(settings, default_transaction_read_only="on"))
        queries.append(exists_query)
        rc, stdout, stderr = self._psql_run(maint, script=build_script(None, exists_query))
        if rc != 0:
            return self._fail(result, rc, stderr, "Nothing was changed: could not ask whether %s exists" % database)
        if not (parse_rows(stdout) or [{}])[0].get("exists"):
            result.update(relations=0, msg="database %s does not exist: no lock to wait for" % database)
            return result
        rows = self._query(_LOCK_PROBE_QUERY, queries, result, read_only=True,
                           what="Nothing was changed: reading the tables of %s (as the verification does) "
                                "waited too long" % database)
        if rows is None:
            return result
        result.update(relations=int((rows or [{}])[0].get("relations") or 0),
                      msg="every table and materialized view of %s can be read" % database)
        return result

    @staticmethod
    def _shown(step):
        return dict((k, v) for k, v in step.items() if k in (
            "kind", "name", "what", "sql", "transactional", "online", "destructive", "precheck", "detail"))

    @staticmethod
    def _left(plan):
        parts = []
        if plan["unrepairable"]:
            parts.append(" Left for a rebuild or a restore from backup: %s." % "; ".join(
                "%s (%s)" % (u["finding"], u["why"]) for u in plan["unrepairable"]))
        if plan["extra"]:
            parts.append(" Not in the schema, left alone: %s." % ", ".join(plan["extra"]))
        return "".join(parts)

    def _query(self, query, queries, result, read_only=False, what="a read-only probe failed"):
        script = build_script(None, query)
        queries.append(query)
        rc, stdout, stderr = self._psql_run(self._ro_argv if read_only else self._db_argv, script=script)
        if rc != 0:
            self._fail(result, rc, stderr, what)
            if self._lock_timed_out(stderr):
                result["msg"] += " " + describe_blockers(self._blockers(queries), self._lock_timeout)
            return None
        try:
            return parse_rows(stdout) or []
        except ValueError as exc:
            result.update(failed=True, msg="psql printed rows that are not JSON (%s)" % exc)
            return None

    def _orphaned(self):
        """ansible-playbook, which forked this worker, is gone (killed): its run lock is free, nobody watches."""
        parent = getattr(self, "_parent_pid", None)
        return parent is not None and os.getppid() != parent

    def _stopped_orphaned(self, result, step, done=None, stderr=None):
        result.update(failed=True, failed_step=step["what"], msg=(
            "ansible-playbook ended while the repair ran: stopped before %s%s%s, touching nothing more (its run "
            "lock is free and nobody reads this result). Complete before it: %s. Run playbooks/repair.yml "
            "again: it plans from the database as it is then." % (
                "the rest of " if done else "", step["what"],
                " (its last statement failed: %s)" % stderr.strip().splitlines()[0] if (stderr or "").strip() else "",
                "; ".join(result["applied"]) or "nothing")))
        return result

    @staticmethod
    def _lock_timed_out(stderr):
        return "lock timeout" in (stderr or "")

    def _blockers(self, queries):
        """Who holds locks on the database's tables now (after a lock timeout); [] when that cannot be read."""
        return self._rows_for_message(self._ro_argv, BLOCKERS_QUERY, queries)

    def _run_sql(self, sql, queries, transaction=False):
        script = build_script(sql)
        queries.append(script)
        return self._psql_run(self._tx_argv if transaction else self._db_argv, script=script)

    def _fail(self, result, rc, stderr, what):
        result.update(failed=True, rc=rc, stderr=stderr, msg="%s: %s" % (what, describe_failure(
            rc, stderr, self._psql_container, result.get("database"), self._login_user)))
        return result

    def _cleanup(self, step, done, queries):
        """Undo what a failed step left: the invalid index a failed CONCURRENTLY build leaves, a NOT VALID key."""
        out = []
        index = step.get("index")
        if index:
            probe = ("SELECT NOT i.indisvalid AS invalid FROM pg_catalog.pg_index i "
                     "WHERE i.indexrelid = pg_catalog.to_regclass(%s)" % quote_literal("public." + ident(index)))
            rows = self._query(probe, queries, {}) or []
            created_here = any(s.startswith("CREATE") for s in done)
            if (rows and rows[0].get("invalid")) or (created_here and step.get("drop_index_on_failure")):
                sql = "DROP INDEX CONCURRENTLY IF EXISTS public.%s" % ident(index)
                rc, _, stderr = self._run_sql([sql], queries)
                out.append("%s (%s)" % (sql, "done" if rc == 0 else "failed: %s" % stderr.strip()[:200]))
                if rc != 0:
                    out.append("index %s is left INVALID: it serves no query and costs only on writes; the next "
                               "run drops it and builds it again (or run `%s;` once nothing holds the table)"
                               % (index, sql))
        if step["kind"] == "validate" and step.get("added"):
            sql = "ALTER TABLE public.%s DROP CONSTRAINT IF EXISTS %s" % (ident(step["table"]), ident(step["constraint"]))
            rc, _, stderr = self._run_sql([sql], queries)
            out.append("%s (%s)" % (sql, "done" if rc == 0 else "failed: %s" % stderr.strip()[:200]))
        return out

    def _failed_step(self, result, steps, rc, stderr, in_transaction=False, cleanup=None, done_of_step=None):
        what = ", ".join(s["what"] for s in steps)
        reason = describe_failure(rc, stderr, self._psql_container, result["database"], self._login_user)
        key = _DUPLICATE_KEY_RE.search(stderr or "")
        if key:
            # Which key repeats: the same key values a precheck shows; never a whole row ("Failing row
            # contains" may hold a password hash).
            reason += " (%s)" % key.group(0).strip()
        queries = result["queries"]
        blockers = self._blockers(queries) if self._lock_timed_out(stderr) else None
        done = result["applied"]
        lines = ["The repair stopped at %s: %s" % ("the transaction (%s)" % what if in_transaction else what, reason)]
        if in_transaction:
            lines.append("That transaction was rolled back: none of its statements took effect.")
        if done_of_step:
            lines.append("Of that step, done before the failure: %s." % "; ".join(done_of_step))
        if cleanup:
            lines.append("Undone after the failure: %s." % "; ".join(cleanup))
        lines.append("Complete before it, each whole on its own: %s." % ("; ".join(done) if done else "nothing"))
        if blockers is not None:
            lines.append(describe_blockers(blockers, self._lock_timeout))
            lines.append("Every row is as it was; the next run plans from the database as it is then.")
        else:
            lines.append("Every row is as it was. Fix the cause, then run playbooks/repair.yml again: it plans from "
                         "the database as it is now.")
        result.update(failed=True, rc=rc, stderr=stderr, failed_step=what, msg=" ".join(lines))
        return result
