# -*- coding: utf-8 -*-
# Copyright (c) fancai.db_runbooks contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a schema file before psql runs it: the psql meta-commands in it, seen as psql sees them.

A schema file is sent to ``psql -f -`` in the PostgreSQL container. psql runs
every backslash meta-command it finds outside quoted text, wherever it is on a
line: ``\\connect`` to another database, ``\\!`` (a shell), ``\\o`` (a file),
``\\i`` (an unchecked file) act outside the database being loaded, in check
mode too. :func:`check_schema` reads the file the way psql's lexer does
(src/bin/psql/psqlscan.l) and refuses every meta-command except those pg_dump
writes: ``\\restrict KEY`` / ``\\unrestrict KEY`` (pg_dump 15.14+) and
``\\connect`` to the very database being loaded.

What it follows, as psql does:

- single-quoted strings: plain ones have no escapes (standard_conforming_strings
  is on; a file that turns it off, or switches client_encoding away from UTF8,
  changes how psql reads the rest of it and is refused); ``E'…'`` strings (E
  directly at the start of a token) take backslash escapes, ``\\'`` included.
  psql reads line by line, so unlike the server it never joins ``'a'`` and a
  ``'b'`` on the next line into one string;
- dollar-quoted bodies (``$$ … $$``, ``$tag$ … $tag$``), double-quoted
  identifiers, ``--`` comments and nested ``/* */`` comments;
- statement ends: ``;`` outside parentheses and outside the ``BEGIN … END`` of
  a ``CREATE [OR REPLACE] FUNCTION|PROCEDURE`` (psql 14+'s rule); ``\\;`` and
  ``\\:`` are not meta-commands;
- ``COPY … FROM STDIN``: the data starts on the line after the statement's
  ``;`` and ends at a line ``\\.``; backslashes in it are data. ``COPY`` to or
  from a server file or ``PROGRAM`` acts outside the database and is refused.

Where psql versions differ (``1E'…'`` is an E-string for psql 13-14, not for
15+), the reading that finds more meta-commands is the one taken.

The result's ``text`` is the file with each allowed meta-command turned into a
``--`` comment (line numbers unchanged): a ``\\connect`` inside psql's
``--single-transaction`` would end the transaction, and psql before 15.14 does
not know ``\\restrict``. :func:`load_script` makes the text psql is given, and
with a psql that has ``\\restrict`` (15.14+) it starts it with a random key so
that psql itself refuses any meta-command this scan could have missed.

Nothing here touches a file or a server; unit tests: tests/unit/test_schema_guard.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re
import secrets

# --- what is refused before the text is read ---------------------------------

_COMPRESSED = (
    (b"\x1f\x8b", "gzip", "zcat"),
    (b"BZh", "bzip2", "bzcat"),
    (b"\xfd7zXZ\x00", "xz", "xzcat"),
    (b"\x28\xb5\x2f\xfd", "zstd", "zstdcat"),
)
_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")

# psql's own limit on a \restrict key.
_KEY_RE = r"[A-Za-z0-9]+"

# Characters of an identifier (psqlscan.l ident_start / ident_cont, dolq_*).
_IDENT_START = "A-Za-z_\u0080-\U0010ffff"
_IDENT_CONT = "A-Za-z0-9_$\u0080-\U0010ffff"
_DOLQ_CONT = "A-Za-z0-9_\u0080-\U0010ffff"

# One token in psql's initial state. Order matters where two could start at the
# same character; each pattern takes as much as psql's rule does.
_TOKEN_RE = re.compile(
    r"(?P<space>[ \t\r\f\v\n]+)"
    r"|(?P<linecomment>--[^\n]*)"
    r"|(?P<blockcomment>/\*)"
    r"|(?P<word>[%(s)s][%(c)s]*)"
    # A number swallows what follows it (1E, 1.e, 0x1f, 1_000): psql 15+ reads
    # "1E'x'" as a plain string, psql 13-14 as an E-string; taking it as plain
    # means its backslashes are looked at, which is the reading that finds more.
    r"|(?P<number>[0-9.][0-9.%(c)s]*)"
    # "$tag$" opens a dollar quote; a "$" that does not is one character (psql's dolqfailed
    # throws back all but the "$"), so "$E'x'" is an E-string.
    r"|(?P<dollar>\$(?:[%(s)s][%(d)s]*)?\$)"
    r"|(?P<param>\$[0-9][%(c)s]*)"
    r"|(?P<quote>')"
    r"|(?P<dquote>\")"
    r"|(?P<backslash>\\)"
    r"|(?P<semi>;)"
    r"|(?P<lparen>\()"
    r"|(?P<rparen>\))"
    r"|(?P<other>.)" % dict(s=_IDENT_START, c=_IDENT_CONT, d=_DOLQ_CONT),
    re.S,
)
_E_STRING_STOP = re.compile(r"[\\']")
_COMMENT_STOP = re.compile(r"/\*|\*/")

# Settings that change how psql itself reads the text that follows.
_LEXER_SETTINGS = ("client_encoding", "standard_conforming_strings")
_UTF8_NAMES = ("utf8", "unicode")
_ON_VALUES = ("on", "true", "yes", "1")

# Why each refused meta-command is dangerous, for the message.
_WHY = {
    "!": "runs a shell command",
    "o": "writes query output to a file or a shell command",
    "out": "writes query output to a file or a shell command",
    "w": "writes the query buffer to a file or a shell command",
    "write": "writes the query buffer to a file or a shell command",
    "g": "sends the query and can write its output to a file or a shell command",
    "gx": "sends the query and can write its output to a file or a shell command",
    "gexec": "runs the rows of a query as more SQL, which this check never sees",
    "gset": "sets psql variables from query results",
    "copy": "reads or writes files, or runs a program, on the client",
    "i": "reads another file, which was not checked",
    "include": "reads another file, which was not checked",
    "ir": "reads another file, which was not checked",
    "include_relative": "reads another file, which was not checked",
    "setenv": "changes psql's environment",
    "set": "changes psql variables",
    "unset": "changes psql variables",
    "pset": "changes psql's output settings",
    "encoding": "changes the client encoding, and with it how psql reads the rest of the file",
    "cd": "changes psql's working directory",
    "c": "opens another connection",
    "connect": "opens another connection",
    "lo_import": "reads a file on the client into the database",
    "lo_export": "writes a large object to a file on the client",
    "lo_unlink": "deletes a large object",
    "lo_list": "is a large-object command",
    "if": "is a psql conditional",
    "elif": "is a psql conditional",
    "else": "is a psql conditional",
    "endif": "is a psql conditional",
    "e": "starts an editor",
    "edit": "starts an editor",
    "ef": "starts an editor",
    "ev": "starts an editor",
    "s": "writes the command history to a file",
    "q": "ends psql half-way through the file",
    "quit": "ends psql half-way through the file",
}


class SchemaRefused(Exception):
    """The schema source is refused; ``str(exc)`` is the operator's message."""

    def __init__(self, message, line=None, command=None):
        super(SchemaRefused, self).__init__(message)
        self.line = line
        self.command = command


def _line_of(data, offset):
    """1-based line number of *offset* in *data* (bytes or text)."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, offset) + 1


def _decompress_hint(label, path, container, tool):
    target = path
    for suffix in _COMPRESSED_SUFFIXES:
        if target.endswith(suffix):
            target = target[: -len(suffix)]
            break
    if target == path or not target.endswith(".sql"):
        target += ".sql"
    if container:
        return "docker exec %s sh -c '%s %s > %s'" % (container, tool, path, target)
    return "%s %s > %s" % (tool, path, target)


def check_bytes(data, label, path=None, container=None):
    """Refuse what is not a plain UTF-8 psql script; return its text.

    *label* names the file in messages ("container:path" or the path), *path*
    and *container* are used in the command that fixes it.
    """
    path = path or label
    if not data.strip():
        raise SchemaRefused(
            "Schema file %s is empty%s: nothing was touched. Give the .sql file pg_dump --schema-only "
            "wrote, or leave db_runbooks_schema_file unset for the bundled enum_checks_2025 DDL."
            % (label, "" if not data else " (only whitespace)"))
    for magic, kind, tool in _COMPRESSED:
        if data.startswith(magic):
            raise SchemaRefused(
                "Schema file %s is %s-compressed (%s): nothing was touched. Decompress it first: %s, "
                "then give the .sql file." % (label, kind, "gzipped" if kind == "gzip" else "compressed",
                                              _decompress_hint(label, path, container, tool)))
    if data.startswith(b"PGDMP"):
        raise SchemaRefused(
            "Schema file %s is a pg_dump custom-format archive, not SQL: nothing was touched. A "
            "custom-format dump is restored with pg_restore (see the backup role's README); for a schema "
            "file, write it out as SQL: pg_restore --schema-only -f schema.sql %s." % (label, path))
    if len(data) > 262 and data[257:262] == b"ustar":
        raise SchemaRefused(
            "Schema file %s is a tar archive (pg_dump -Ft?), not SQL: nothing was touched. Restore a "
            "tar-format dump with pg_restore, or give the plain .sql file (pg_dump --schema-only)." % label)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SchemaRefused(
            "Schema file %s is UTF-16 encoded: nothing was touched. Convert it to UTF-8 first: "
            "iconv -f UTF-16 -t UTF-8 %s > schema.utf8.sql." % (label, path))
    if data.startswith(b"PK\x03\x04"):
        raise SchemaRefused(
            "Schema file %s is a zip archive, not SQL: nothing was touched. Unpack it and give the .sql "
            "file inside." % label)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise SchemaRefused(
            "Schema file %s has a NUL byte at line %d (a binary file, not SQL): nothing was touched. Give "
            "the plain .sql file pg_dump --schema-only wrote." % (label, _line_of(data, nul)),
            line=_line_of(data, nul))
    if data.startswith(b"\xef\xbb\xbf"):
        raise SchemaRefused(
            "Schema file %s starts with a UTF-8 byte order mark, which PostgreSQL reads as part of the "
            "first statement: nothing was touched. Remove it: sed -i '1s/^\\xEF\\xBB\\xBF//' %s."
            % (label, path), line=1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise SchemaRefused(
            "Schema file %s is not UTF-8 (byte 0x%02x at line %d): nothing was touched. psql reads the "
            "file as UTF-8; convert it first, e.g. iconv -f LATIN1 -t UTF-8 %s > schema.utf8.sql (and "
            "make any SET client_encoding line in it say 'UTF8')."
            % (label, data[exc.start], line, path), line=line)


# --- meta-commands --------------------------------------------------------------

def _allowed_meta(name, args, database):
    """Return (allowed, why) for a meta-command \\<name> <args> in a file loaded into *database*."""
    args = args.strip(" \t\r\f\v")
    if name in ("restrict", "unrestrict"):
        if re.match(r"^%s$" % _KEY_RE, args):
            return True, None
        return False, "has an argument psql does not take as a key (letters and digits only, one key)"
    if name == "connect":
        m = re.match(r'^(?:-reuse-previous=on[ \t]+"dbname=\'(?P<cs>[^\'\\"]*)\'"|"(?P<q>(?:[^"]|"")*)"|(?P<bare>[^\s"\'`:\\]+))$',
                     args)
        if not m:
            return False, ("is not a \\connect pg_dump writes (\\connect %s, or "
                           "\\connect -reuse-previous=on \"dbname='%s'\")" % (database, database))
        target = m.group("cs") if m.group("cs") is not None else (
            m.group("q").replace('""', '"') if m.group("q") is not None else m.group("bare"))
        if target == database:
            return True, None
        return False, ("connects to database %s, outside the database the file is loaded into (%s); "
                       "pg_dump writes it with --create or pg_dumpall" % (target, database))
    return False, _WHY.get(name, "is a psql meta-command, not SQL")


def _statement_issue(tokens):
    """What a statement does that a schema file must not, from its first depth-0 tokens.

    *tokens* are (kind, value) pairs. Returns None for a harmless statement,
    ``"copy-in"`` for COPY ... FROM STDIN (data follows), else the reason it is
    refused.
    """
    if not tokens or tokens[0][0] != "word":
        return None
    first = tokens[0][1].lower()

    def word(i):
        return tokens[i][1].lower() if i < len(tokens) and tokens[i][0] == "word" else None

    if first == "copy":
        for i in range(1, len(tokens)):
            if word(i) in ("from", "to"):
                direction = word(i).upper()
                if word(i + 1) in ("stdin", "stdout"):
                    return "copy-in" if word(i + 1) == "stdin" else None
                if word(i + 1) == "program":
                    return "COPY %s PROGRAM runs a shell command on the database server" % direction
                if i + 1 < len(tokens) and tokens[i + 1][0] == "string":
                    return "COPY %s '%s' reads or writes a file on the database server" % (
                        direction, tokens[i + 1][1])
                return None
        return None
    if first != "set":
        return None
    i = 1
    if word(i) in ("session", "local"):
        i += 1
    name = word(i)
    if name == "names":
        name, values = "client_encoding", tokens[i + 1:]
    elif name in _LEXER_SETTINGS:
        values = tokens[i + 1:]
        if values[:1] == [("other", "=")] or (values and values[0][0] == "word" and values[0][1].lower() == "to"):
            values = values[1:]
    else:
        return None
    if len(values) != 1 or values[0][0] not in ("word", "string"):
        return "SET %s to a value this check cannot follow" % name
    value = values[0][1].lower()
    if values[0][0] == "word" and value == "default":
        return None
    if name == "client_encoding" and value.replace("-", "").replace("_", "") in _UTF8_NAMES:
        return None
    if name == "standard_conforming_strings" and value in _ON_VALUES:
        return None
    return "SET %s = %s changes how psql reads the rest of the file" % (name, values[0][1])


class _Scanner(object):
    """psql's lexer, reduced to what decides where meta-commands and COPY data are."""

    def __init__(self, text, database, label):
        self.text = text
        self.database = database
        self.label = label
        self.meta = []          # allowed meta-commands: dict(line, command, text)
        self.edits = []         # (start, end) of each allowed meta-command, commented out in the text
        self.sql_tokens = 0     # 0 at the end: the file holds no SQL
        self._line_pos = 0      # line() counts from the last position it was asked for
        self._line_no = 1
        # psql's statement state (psqlscan.l: paren_depth, begin_depth, identifiers)
        self.paren = 0
        self.begin_depth = 0
        self.ident_count = 0
        self.idents = [None] * 4
        self.stmt_tokens = []   # first depth-0 tokens of the current (sub-)statement: (kind, value)
        self.stmt_line = None   # line of its first token
        self.stmt_mention = None  # line where it names a setting that changes psql's reading
        self.batch_copies = 0   # COPY ... FROM STDIN among the sub-statements before the next ';'
        self.pending_copies = 0  # ... whose data follows the current line
        self.copy_line = None

    # -- helpers -----------------------------------------------------------------

    def refuse(self, line, why, fix, command=None):
        raise SchemaRefused("Schema file %s line %d: %s: nothing was touched. %s"
                            % (self.label, line, why, fix), line=line, command=command)

    def line(self, pos):
        if pos < self._line_pos:
            self._line_pos, self._line_no = 0, 1
        self._line_no += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line_no

    def _token(self, kind, value, pos):
        self.sql_tokens += 1
        if self.paren == 0 and len(self.stmt_tokens) < 24:
            if not self.stmt_tokens:
                self.stmt_line = self.line(pos)
            self.stmt_tokens.append((kind, value))
        if self.stmt_mention is None and kind in ("word", "string", "dquote", "dollar") \
                and any(s in value.lower() for s in _LEXER_SETTINGS):
            self.stmt_mention = self.line(pos)

    def _end_substatement(self):
        tokens = self.stmt_tokens
        first = tokens[0][1].lower() if tokens and tokens[0][0] == "word" else None
        why = _statement_issue(tokens)
        if why == "copy-in":
            self.batch_copies += 1
            if self.copy_line is None:
                self.copy_line = self.stmt_line
        elif why:
            self.refuse(self.stmt_line, why,
                        "A schema file may only create objects inside the database it is loaded into, "
                        "read the way psql reads it; remove that statement.",
                        "COPY" if first == "copy" else "SET")
        elif self.stmt_mention is not None and first not in ("set", "reset", "show"):
            self.refuse(self.stmt_mention,
                        "it names client_encoding or standard_conforming_strings outside a plain SET",
                        "Those settings change how psql reads the rest of the file, so this check could "
                        "not follow it (only SET client_encoding = 'UTF8' and SET "
                        "standard_conforming_strings = on are taken); remove that statement.", "SET")
        self.stmt_tokens = []
        self.stmt_line = None
        self.stmt_mention = None
        self.ident_count = 0

    def _word(self, word):
        low = word.lower()
        if self.ident_count == 0:
            self.idents = [None] * 4
        if low in ("create", "function", "procedure", "or", "replace") and self.ident_count < 4:
            self.idents[self.ident_count] = low[0]
        self.ident_count += 1
        i = self.idents
        if i[0] == "c" and (i[1] in ("f", "p") or (i[1] == "o" and i[2] == "r" and i[3] in ("f", "p"))) \
                and self.paren == 0:
            if low == "begin":
                self.begin_depth += 1
            elif low == "case":
                if self.begin_depth >= 1:
                    self.begin_depth += 1
            elif low == "end":
                if self.begin_depth > 0:
                    self.begin_depth -= 1

    # -- the scan ------------------------------------------------------------------

    def run(self):
        text = self.text
        n = len(text)
        pos = 0
        state = None       # None: psql's initial state; else a tuple, see _in_state
        while pos < n:
            pos, state = self._scan(pos, state)
            if self.pending_copies and pos < n:
                pos = self._copy_data(pos)
        if state is not None:
            what = {"string": "a string literal", "estring": "an E'' string literal",
                    "dquote": "a double-quoted identifier", "comment": "a /* comment */",
                    "dollar": "a dollar-quoted body"}[state[0]]
            self.refuse(state[1], "the file ends inside %s opened on that line" % what,
                        "Close it (is the file cut short?).")
        if self.stmt_tokens:
            self._end_substatement()
        if self.batch_copies or self.pending_copies:
            self.refuse(self.copy_line or 1, "COPY ... FROM stdin at the end of the file has no data",
                        "End the statement with ';' and its data with a line \\.")
        if self.sql_tokens == 0:
            raise SchemaRefused(
                "Schema file %s holds no SQL (only comments or whitespace): nothing was touched. Give the "
                ".sql file pg_dump --schema-only wrote." % self.label)

    def _copy_data(self, pos):
        """Skip the data of each pending COPY ... FROM STDIN from the start of a line; return the new position."""
        text = self.text
        n = len(text)
        while self.pending_copies:
            start_line = self.line(pos)
            while True:
                if pos >= n:
                    self.refuse(start_line, "the COPY data that starts on that line has no end line \\.",
                                "pg_dump ends every COPY block with a line \\.; is the file cut short?")
                eol = text.find("\n", pos)
                end = n if eol < 0 else eol + 1
                line = text[pos:end]
                pos = end
                if line in ("\\.\n", "\\.\r\n", "\\.", "\\.\r"):
                    break
            self.pending_copies -= 1
        self.copy_line = None
        return pos

    def _scan(self, pos, state):
        """Scan from *pos* in *state* to the end, or to the end of the line when COPY data follows it."""
        text = self.text
        limit = len(text)
        e_end = -1          # where a word token "E" (or "e") ended: an E'' string starts there
        while pos < limit:
            if state is not None:
                pos, state = self._in_state(pos, limit, state)
                continue
            m = _TOKEN_RE.match(text, pos, limit)
            kind = m.lastgroup
            value = m.group(kind)
            start = pos
            pos = m.end()
            if kind in ("space", "linecomment"):
                continue
            if kind == "blockcomment":
                state = ("comment", self.line(start), 1)
            elif kind == "word":
                self._word(value)
                self._token("word", value, start)
                if value in ("E", "e"):
                    e_end = pos
            elif kind == "quote":
                # A token that is just E, right before the quote: psql's xestart, an E'' string with
                # escapes. Anything else before it (1E, xE) makes a plain string.
                state = ("estring" if start == e_end else "string", self.line(start), start + 1)
            elif kind == "dquote":
                state = ("dquote", self.line(start), start + 1)
            elif kind == "dollar":
                state = ("dollar", self.line(start), value, start + len(value))
            elif kind == "backslash":
                nxt = text[pos:pos + 1]
                if nxt in (";", ":"):
                    # Not a meta-command: psql puts a ';' (or ':') in the query; '\\;' separates
                    # statements it sends together.
                    pos += 1
                    if nxt == ";" and self.paren == 0:
                        self._end_substatement()
                    continue
                pos = self._meta(start)
            elif kind == "semi":
                if self.paren == 0 and self.begin_depth == 0:
                    self._end_substatement()
                    if self.batch_copies:
                        # psql sends the statement and reads its data from the next line on; the rest
                        # of this line is read after the data.
                        self.pending_copies += self.batch_copies
                        self.batch_copies = 0
                        eol = text.find("\n", pos)
                        limit = len(text) if eol < 0 else eol + 1
                else:
                    self._token("other", value, start)
            elif kind == "lparen":
                self._token("other", value, start)
                self.paren += 1
            elif kind == "rparen":
                if self.paren > 0:
                    self.paren -= 1
                self._token("other", value, start)
            else:
                self._token("number" if kind == "number" else "other", value, start)
        return pos, state

    def _in_state(self, pos, limit, state):
        """Continue inside a string, identifier, dollar body or comment; return (pos, state).

        States: ("string" | "estring" | "dquote", open_line, content_start),
        ("dollar", open_line, tag, content_start), ("comment", open_line, depth).
        """
        text = self.text
        kind = state[0]
        if kind in ("string", "dquote"):
            quote = "'" if kind == "string" else '"'
            end = text.find(quote, pos, limit)
            if end < 0:
                return limit, state
            if text[end + 1:end + 2] == quote:
                return end + 2, state                # doubled: part of the text
            self._token(kind, text[state[2]:end], state[2] - 1)
            return end + 1, None
        if kind == "estring":
            while True:
                m = _E_STRING_STOP.search(text, pos, limit)
                if not m:
                    return limit, state
                if m.group() == "\\":
                    pos = m.end() + 1                # escapes the next character: a quote, a newline
                    continue
                if text[m.end():m.end() + 1] == "'":
                    pos = m.end() + 1
                    continue
                self._token("string", text[state[2]:m.start()], state[2] - 1)
                return m.end(), None
        if kind == "dollar":
            tag = state[2]
            end = text.find(tag, pos, limit)
            if end < 0:
                return limit, state
            self._token("dollar", text[state[3]:end], state[3])
            return end + len(tag), None
        depth = state[2]                             # nested /* */ comment
        while True:
            m = _COMMENT_STOP.search(text, pos, limit)
            if not m:
                return limit, ("comment", state[1], depth)
            pos = m.end()
            depth += 1 if m.group() == "/*" else -1
            if depth == 0:
                return pos, None

    def _meta(self, start):
        """A backslash in psql's initial state: a meta-command, to the end of the line."""
        text = self.text
        eol = text.find("\n", start)
        end = len(text) if eol < 0 else eol
        body = text[start + 1:end]
        m = re.match(r"[^\s\\]*", body)
        name = m.group()
        shown = ("\\" + body).rstrip()
        if len(shown) > 120:
            shown = shown[:117] + "..."
        line = self.line(start)
        allowed, why = _allowed_meta(name, body[m.end():], self.database)
        if not allowed:
            self.refuse(line, "psql meta-command %s %s" % (shown, why),
                        "A schema file may only hold SQL and the meta-commands pg_dump writes (\\restrict, "
                        "\\unrestrict, and \\connect to the database it is loaded into); remove that line, or "
                        "make the file again with pg_dump --schema-only (without --create).", "\\" + name)
        self.meta.append(dict(line=line, command="\\" + name, text=shown))
        self.edits.append((start, end))
        # psql forgets the CREATE FUNCTION prefix it was reading at a backslash.
        self.ident_count = 0
        return end


def check_text(text, database, label):
    """Scan psql script *text* to be loaded into *database*; refuse (SchemaRefused) or return the findings.

    Returns dict(lines, meta_commands, text): the number of lines, the allowed
    meta-commands seen (line, command, text), and the text with each of them
    turned into a ``--`` comment (same lines).
    """
    scanner = _Scanner(text, database, label)
    scanner.run()
    parts = []
    last = 0
    for start, end in scanner.edits:
        parts.append(text[last:start])
        parts.append("-- " + text[start:end])
        last = end
    parts.append(text[last:])
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    return dict(lines=lines, meta_commands=scanner.meta, text="".join(parts))


def check_schema(data, database, label, path=None, container=None):
    """Check the bytes of a schema file; return dict(size, sha256, lines, meta_commands, text).

    Raises SchemaRefused with the operator's message (file, line, command, fix).
    """
    text = check_bytes(data, label, path=path, container=container)
    found = check_text(text, database, label)
    found.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    return found


# --- what psql is given ---------------------------------------------------------

# The first release of each major version whose psql has \restrict (August 2025).
_RESTRICT_SINCE = {13: 130022, 14: 140019, 15: 150014, 16: 160010, 17: 170006}


def psql_has_restrict(version_num):
    """True when psql of that version (server_version_num form, e.g. 150014) knows \\restrict."""
    try:
        version_num = int(version_num)
    except (TypeError, ValueError):
        return False
    major = version_num // 10000
    if major >= 18:
        return True
    return version_num >= _RESTRICT_SINCE.get(major, 10 ** 9)


def load_script(text, restrict_key=None):
    """The script psql is given for the checked *text*, line numbers unchanged.

    With *restrict_key* (a psql that has \\restrict), line 1 starts with
    ``\\restrict KEY \\\\``: psql then refuses every meta-command, so one this
    check missed cannot act. The script ends with a comment line, so that
    nothing added after it (a ';') lands in COPY data.
    """
    if restrict_key is not None:
        if not re.match(r"^%s$" % _KEY_RE, restrict_key):
            raise ValueError("a \\restrict key is letters and digits only")
        head = "\\restrict %s \\\\ " % restrict_key
    else:
        head = "/* checked by fancai.db_runbooks.schema_source */ "
    return head + text + ("" if text.endswith("\n") else "\n") + "-- end of the schema source\n"


def new_restrict_key():
    """A random \\restrict key no file can know in advance."""
    return secrets.token_hex(16)
