"""The sandbox's one SQLite file: a document table per (service, kind) plus bookkeeping tables.

Every record is a JSON body in `docs`, found by (service, kind, id), listed by (service, kind,
parent) in insertion order (`rid`), and looked up by an optional secondary key `ref` (a contact's
name, a reference number, a ZSC key). Paging happens in SQL, never by loading a kind into Python.
WAL and a busy timeout let several processes open the same file and see one world.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Body = dict[str, Any]
Row = tuple[str, str, str, str, str, Body]  # service, kind, id, parent, ref, body

FIRST_ID = 460_000_000_000_000_001  # 18 digits, counted up: ids are deterministic

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    rid INTEGER PRIMARY KEY,
    service TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    parent TEXT NOT NULL DEFAULT '',
    ref TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
    service TEXT NOT NULL, method TEXT NOT NULL, template TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (service, method, template)
);
CREATE TABLE IF NOT EXISTS hits (scope TEXT NOT NULL, key TEXT NOT NULL, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS hits_key ON hits (scope, key, ts);
CREATE TABLE IF NOT EXISTS inflight (key TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""

# indexes of docs: dropped while a seed loads in bulk, then built once (several times faster)
INDEXES = {
    "docs_key": "CREATE UNIQUE INDEX IF NOT EXISTS docs_key ON docs (service, kind, id)",
    "docs_parent": "CREATE INDEX IF NOT EXISTS docs_parent ON docs (service, kind, parent)",
    "docs_ref": "CREATE INDEX IF NOT EXISTS docs_ref ON docs (service, kind, ref)",
    "docs_id": "CREATE INDEX IF NOT EXISTS docs_id ON docs (id)",
}
TABLES = ("docs", "meta", "calls", "hits", "inflight")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _dump(body: Body) -> str:
    return _ENCODER.encode(body)


#: a connection's memo of records and settings read by key: (service, kind, id) or ("", "meta",
#: key) -> the stored JSON text, or None for "not there"
Memo = dict[tuple[str, str, str], "str | None"]
MEMO_LIMIT = 4096  # entries; past it the memo starts over (a sync reads ~20,000 distinct tasks)


class Tx:
    """One transaction on one connection; every read and write of the sandbox goes through it.

    Reads by key go through the connection's memo, kept right by this class's own writes and
    emptied by `Db` when another connection has committed or a transaction rolls back: a
    call's token, user, organization and settings lookups cost no query after the first.
    """

    def __init__(self, conn: sqlite3.Connection, memo: Memo | None = None) -> None:
        self.conn = conn
        self.memo: Memo = {} if memo is None else memo

    def _remember(self, key: tuple[str, str, str], text: str | None) -> None:
        if len(self.memo) >= MEMO_LIMIT:
            self.memo.clear()
        self.memo[key] = text

    # -- documents -------------------------------------------------------------------------
    def get(self, service: str, kind: str, id_: str) -> Body | None:
        key = (service, kind, id_)
        if key in self.memo:
            text = self.memo[key]
        else:
            row = self.conn.execute(
                "SELECT body FROM docs WHERE service=? AND kind=? AND id=?", (service, kind, id_)
            ).fetchone()
            text = row[0] if row else None
            self._remember(key, text)
        return json.loads(text) if text is not None else None  # a fresh copy for each caller

    def insert(self, service: str, kind: str, id_: str, body: Body,
               parent: str = "", ref: str = "") -> Body:
        self.conn.execute(
            "INSERT INTO docs (service, kind, id, parent, ref, body) VALUES (?,?,?,?,?,?)",
            (service, kind, id_, parent, ref, _dump(body)),
        )
        self.memo.pop((service, kind, id_), None)
        return body

    def insert_many(self, rows: Iterable[Row]) -> None:
        self.memo.clear()
        self.conn.executemany(
            "INSERT INTO docs (service, kind, id, parent, ref, body) VALUES (?,?,?,?,?,?)",
            ((s, k, i, p, r, _dump(b)) for s, k, i, p, r, b in rows),
        )

    def put(self, service: str, kind: str, id_: str, body: Body,
            parent: str | None = None, ref: str | None = None) -> Body:
        """Replace an existing record's body (and parent/ref when given)."""
        sets, args = ["body=?"], [_dump(body)]
        if parent is not None:
            sets.append("parent=?")
            args.append(parent)
        if ref is not None:
            sets.append("ref=?")
            args.append(ref)
        self.conn.execute(
            f"UPDATE docs SET {', '.join(sets)} WHERE service=? AND kind=? AND id=?",
            (*args, service, kind, id_),
        )
        self.memo.pop((service, kind, id_), None)
        return body

    def delete(self, service: str, kind: str, id_: str) -> bool:
        cur = self.conn.execute(
            "DELETE FROM docs WHERE service=? AND kind=? AND id=?", (service, kind, id_)
        )
        self.memo.pop((service, kind, id_), None)
        return cur.rowcount > 0

    def select(self, service: str, kind: str, *, parent: str | None = None,
               ref: str | None = None, where: Sequence[str] = (), params: Sequence[Any] = (),
               order: str = "d.rid", limit: int | None = None, offset: int = 0) -> list[Body]:
        """Bodies of one kind, filtered and paged in SQL; `where` clauses see the row as `d`."""
        sql, args = self._filter(service, kind, parent, ref, where, params)
        if limit is not None:
            # page on the index first, then read only the page's bodies
            inner = f"SELECT d.rid FROM docs d WHERE {sql} ORDER BY {order} LIMIT ? OFFSET ?"
            rows = self.conn.execute(
                f"SELECT d.body FROM docs d JOIN ({inner}) p ON p.rid = d.rid ORDER BY {order}",
                (*args, limit, offset),
            ).fetchall()
        else:
            rows = self.conn.execute(
                f"SELECT d.body FROM docs d WHERE {sql} ORDER BY {order}", args
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def select_kinds(self, service: str, kinds: Sequence[str], parent: str, *,
                     where: Sequence[str] = (), params: Sequence[Any] = (),
                     limit: int = 100, offset: int = 0) -> list[tuple[str, Body]]:
        """(kind, body) of several kinds under one parent, in insertion order, paged."""
        marks = ",".join("?" for _ in kinds)
        clauses = " AND ".join([f"d.service=? AND d.kind IN ({marks}) AND d.parent=?", *where])
        rows = self.conn.execute(
            f"SELECT d.kind, d.body FROM docs d WHERE {clauses} ORDER BY d.rid LIMIT ? OFFSET ?",
            (service, *kinds, parent, *params, limit, offset),
        ).fetchall()
        return [(k, json.loads(b)) for k, b in rows]

    def count(self, service: str, kind: str, *, parent: str | None = None,
              ref: str | None = None, where: Sequence[str] = (), params: Sequence[Any] = ()) -> int:
        sql, args = self._filter(service, kind, parent, ref, where, params)
        return int(self.conn.execute(f"SELECT count(*) FROM docs d WHERE {sql}", args).fetchone()[0])

    @staticmethod
    def _filter(service: str, kind: str, parent: str | None, ref: str | None,
                where: Sequence[str], params: Sequence[Any]) -> tuple[str, list[Any]]:
        clauses, args = ["d.service=?", "d.kind=?"], [service, kind]
        if parent is not None:
            clauses.append("d.parent=?")
            args.append(parent)
        if ref is not None:
            clauses.append("d.ref=?")
            args.append(ref)
        clauses.extend(where)
        args.extend(params)
        return " AND ".join(clauses), args

    def iter_all(self, service: str) -> Iterator[tuple[str, Body]]:
        """Every record of a service as (kind, body), by kind then insertion order."""
        cur = self.conn.execute(
            "SELECT kind, body FROM docs WHERE service=? ORDER BY kind, rid", (service,)
        )
        for kind, body in cur:
            yield kind, json.loads(body)

    # -- ids, counters, settings -----------------------------------------------------------
    def next_id(self) -> str:
        """The next free 18-digit id (skips ids a seed already used)."""
        n = int(self.meta("id_counter", FIRST_ID))
        while self.conn.execute("SELECT 1 FROM docs WHERE id=? LIMIT 1", (str(n),)).fetchone():
            n += 1
        self.set_meta("id_counter", n + 1)
        return str(n)

    def counter(self, name: str) -> int:
        """1, 2, 3... per name (invoice numbers, token serials)."""
        n = int(self.meta(f"counter:{name}", 0)) + 1
        self.set_meta(f"counter:{name}", n)
        return n

    def meta(self, key: str, default: Any = None) -> Any:
        memo_key = ("", "meta", key)
        if memo_key in self.memo:
            text = self.memo[memo_key]
        else:
            row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            text = row[0] if row else None
            self._remember(memo_key, text)
        return json.loads(text) if text is not None else default

    def set_meta(self, key: str, value: Any) -> None:
        text = json.dumps(value)
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (key, text),
        )
        self._remember(("", "meta", key), text)

    def del_meta(self, key: str) -> None:
        self.conn.execute("DELETE FROM meta WHERE key=?", (key,))
        self._remember(("", "meta", key), None)

    def bulk_load(self, rows: Iterable[Row]) -> None:
        """Insert many records without index upkeep, then build the indexes once.

        A duplicate (service, kind, id) fails the unique index: ValueError, rolled back.
        """
        self.memo.clear()
        for name in INDEXES:
            self.conn.execute(f"DROP INDEX IF EXISTS {name}")
        self.insert_many(rows)
        try:
            for statement in INDEXES.values():
                self.conn.execute(statement)
        except sqlite3.IntegrityError as exc:
            raise ValueError("two records of one kind share an id") from exc

    def wipe(self, keep_meta: Sequence[str] = ()) -> None:
        """Empty every table (meta keys named in `keep_meta` survive)."""
        self.memo.clear()
        for table in TABLES:
            if table == "meta" and keep_meta:
                marks = ",".join("?" for _ in keep_meta)
                self.conn.execute(f"DELETE FROM meta WHERE key NOT IN ({marks})", tuple(keep_meta))
            else:
                self.conn.execute(f"DELETE FROM {table}")


class Db:
    """Connections to the sandbox file: one per thread, all closed together."""

    def __init__(self, path: str | Path | None) -> None:
        self._tmpdir: str | None = None
        if path is None:
            # a private file (not :memory:) so server threads share it like any other path
            self._tmpdir = tempfile.mkdtemp(prefix="bridge-sandbox-")
            path = Path(self._tmpdir) / "sandbox.db"
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        conn = self.connection()
        conn.execute("PRAGMA journal_mode=WAL")
        with self.tx(write=True) as tx:
            for stmt in [*SCHEMA.split(";"), *INDEXES.values()]:
                if stmt.strip():
                    tx.conn.execute(stmt)
        self._finalizer = weakref.finalize(self, Db._cleanup, self._conns, self._tmpdir)

    @staticmethod
    def _cleanup(conns: list[sqlite3.Connection], tmpdir: str | None) -> None:
        for conn in conns:
            conn.close()
        conns.clear()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def connection(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError("the sandbox database is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=60.0,
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MB: bulk seeds keep indexes in memory
            self._local.conn = conn
            self._local.memo = None  # a memo belongs to one connection
            with self._lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def tx(self, write: bool = False) -> Iterator[Tx]:
        """A transaction: committed when the block ends, rolled back when it raises."""
        conn = self.connection()
        # IMMEDIATE takes the write lock up front, so two writers never deadlock on upgrade
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        memo = self._memo(conn)
        try:
            yield Tx(conn, memo)
        except BaseException:
            conn.execute("ROLLBACK")
            memo.clear()  # it may hold what the rolled-back writes wrote
            raise
        conn.execute("COMMIT")

    def _memo(self, conn: sqlite3.Connection) -> Memo:
        """This thread's memo, emptied if another connection (thread or process) committed
        since it was last checked; `PRAGMA data_version` changes exactly then."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        memo: Memo | None = getattr(self._local, "memo", None)
        if memo is None or getattr(self._local, "version", None) != version:
            memo = self._local.memo = {}
            self._local.version = version
        return memo

    def release_thread(self) -> None:
        """Close this thread's connection (a served request's thread is about to end)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        self._local.memo = None
        with self._lock:
            if conn in self._conns:
                self._conns.remove(conn)
        conn.close()

    def read_meta(self, key: str, default: Any = None) -> Any:
        """One setting, read inside whatever transaction this thread has open (or none)."""
        conn = self.connection()
        return Tx(conn, self._memo(conn)).meta(key, default)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            self._finalizer()
