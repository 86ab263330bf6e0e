# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which schema is the truth, and what a database is compared with (pure logic).

The application (its backend container: its ``schema_backup.sql`` and its
Alembic chain) is the source of truth; the guide's hand-written DDL is the last
resort.  ``resolve_source`` turns ``db_runbooks_schema_source`` into one
concrete source; ``choose_reference`` decides what a database at Alembic
revision R is compared with.  The action plugins schema_source and
verify_schema do the I/O.  Unit-tested in ``tests/unit/test_schema_source.py``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.fancai.db_runbooks.plugins.module_utils._alembic import revision_relation

SOURCES = ("auto", "file", "backend", "alembic", "guide")

GUIDE_WARNING = (
    "the schema source is the guide's hand-written DDL, not the application's schema: it differs "
    "from what the application's migrations build (columns, indexes, materialized views). Use it "
    "only when neither the backend container nor a schema_backup.sql is at hand: give "
    "-e db_runbooks_schema_file=<schema_backup.sql>, or start the backend container "
    "(db_runbooks_backend_container) so its /app/alembic/schema_backup.sql or its Alembic chain is used.")


def source_problem(source, file_path, revision):
    """A message for inputs that cannot name a source, or None."""
    if source not in SOURCES:
        return ("db_runbooks_schema_source=%r is not one of %s: use auto (the default), file, backend, "
                "alembic or guide. Nothing was touched." % (source, ", ".join(SOURCES)))
    if source == "file" and not file_path:
        return ("db_runbooks_schema_source=file needs db_runbooks_schema_file (a .sql file on the "
                "controller, or inside db_runbooks_schema_file_container). Nothing was touched.")
    if source == "alembic" and not revision:
        return ("db_runbooks_schema_source=alembic needs db_runbooks_alembic_revision (the revision "
                "`alembic upgrade` builds, e.g. enum_checks_2025). Nothing was touched.")
    return None


def resolve_source(source, file_path, backend, reason_guide=None):
    """Return the concrete source: {kind, why}.

    *backend* describes the backend container as the action found it:
    ``{"container", "path", "running", "has_file"}`` (``has_file`` None when
    not looked at).  ``auto`` takes the file when one is given, else the
    backend's schema_backup.sql when the backend runs and holds it, else the
    guide's DDL (with the reason).
    """
    backend = backend or {}
    if source != "auto":
        why = {
            "file": "db_runbooks_schema_source=file",
            "backend": "db_runbooks_schema_source=backend",
            "alembic": "db_runbooks_schema_source=alembic",
            "guide": "db_runbooks_schema_source=guide",
        }[source]
        return {"kind": source, "why": why}
    if file_path:
        return {"kind": "file", "why": "auto: db_runbooks_schema_file is set"}
    if backend.get("running") and backend.get("has_file"):
        return {"kind": "backend",
                "why": "auto: the backend container %s runs and holds %s"
                       % (backend.get("container"), backend.get("path"))}
    if not backend.get("exists", backend.get("running")):
        why = "auto: no backend container %s" % backend.get("container")
    elif not backend.get("running"):
        why = "auto: the backend container %s is not running" % backend.get("container")
    else:
        why = "auto: the backend container %s has no %s" % (backend.get("container"), backend.get("path"))
    if reason_guide:
        why += " (%s)" % reason_guide
    return {"kind": "guide", "why": why}


def source_label(kind, file_path=None, file_container=None, backend_container=None,
                 backend_path=None, revision=None):
    """How messages name the source ("schema from <label>")."""
    if kind == "file":
        return ("%s:%s" % (file_container, file_path)) if file_container else file_path
    if kind == "backend":
        return "the backend's %s (container %s)" % (backend_path, backend_container)
    if kind == "alembic":
        return "the application's Alembic chain in container %s (alembic upgrade %s)" % (
            backend_container, revision or "head")
    return "the guide's hand-written DDL (bundled enum_checks_2025.sql)"


def history_revisions(history):
    """The revision ids of a parsed ``alembic history`` (a list of dicts)."""
    return [h.get("revision") for h in history or [] if h.get("revision")]


def relation(history, revision, reference):
    """same | newer | older | unknown | none: *revision* compared with *reference* in the chain."""
    if not revision:
        return "none"
    if revision == reference:
        return "same"
    return revision_relation(history or [], revision, reference)


def database_revision(versions):
    """The one revision alembic_version holds, or None (no table, no row, several rows)."""
    if versions and len(versions) == 1:
        return versions[0]
    return None


def choose_reference(kind, source_revision, versions, history):
    """What a database whose alembic_version holds *versions* is compared with.

    Returns {build, revision, relation, database_revision, why}: ``build`` is
    ``sql`` (load the checked schema text at *source_revision*) or
    ``alembic`` (run the application's chain up to ``revision`` in the
    scratch database).  The application's chain is used whenever it is known
    (*history* is the parsed ``alembic history``, None when the backend is not
    at hand): a database at a revision the application knows is compared with
    what the application builds for that revision.
    """
    rev = database_revision(versions)
    rel = relation(history, rev, source_revision)
    known = set(history_revisions(history))
    if kind == "alembic":
        if rev and rev in known:
            return {"build": "alembic", "revision": rev, "relation": rel, "database_revision": rev,
                    "why": "the application's chain at the database's revision %s" % rev}
        return {"build": "alembic", "revision": source_revision, "relation": rel,
                "database_revision": rev,
                "why": "the application's chain at %s" % source_revision}
    if kind != "guide" and rev and rev != source_revision and rev in known:
        return {"build": "alembic", "revision": rev, "relation": rel, "database_revision": rev,
                "why": "the database is at %s, not the schema file's %s: the application's chain "
                       "at %s" % (rev, source_revision, rev)}
    return {"build": "sql", "revision": source_revision, "relation": rel, "database_revision": rev,
            "why": "the schema source at %s" % source_revision}


def newer_refusal(database, container, database_rev, source_rev, label):
    """The refusal for a database at a revision newer than the schema source."""
    return (
        "Database %s in %s is at Alembic revision %s, which is newer than the schema source's %s "
        "(schema from %s). Nothing was touched, and a rebuild is not offered: it would replace the "
        "database with an older, empty schema. A database ahead of the schema file is moved on by "
        "the application's migrations (Method 2): ansible-playbook playbooks/alembic_status.yml "
        "shows where it stands, ansible-playbook playbooks/migrate.yml upgrades it (safety dump "
        "first). To rebuild it at its own revision through the chain: -e db_runbooks_schema_source=alembic "
        "-e db_runbooks_alembic_revision=%s."
        % (database, container, database_rev, source_rev, label, database_rev))
