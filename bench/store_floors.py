"""The store's floors for bench/migrate.py: what this machine does with the same rows on the
same backend, measured in the same run, so a figure can be read as a ratio to it.

- write floor: as many rows of each kind as the legacy scope holds, of the same width (a
  legacy row of that kind with its key made unique), written by the plainest path from
  Python in one transaction into an empty scratch store at head (the same tables, keys and
  indexes, next to the bench store: a file beside it on SQLite, a database on the same
  server on PostgreSQL). SQLite: `executemany`; PostgreSQL: psycopg 3's `cursor.copy`
  (COPY ... FROM STDIN, `write_row`). The rows are made as they are written (a tuple from
  a template, well under a microsecond each).
- read+hash floor: the two sides verify compares (the legacy scope and, as the second
  side, the scratch store's rows of the same count and width) streamed in key order, the
  order a record-by-record comparison needs, each row's values hashed with blake2b.

Both talk to the driver directly (no SQLAlchemy per row), so they are what the machine
does, not what this toolkit's code does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, Table, create_engine, select, text
from sqlalchemy.engine import make_url

from bridge.store import Store
from bridge.store.repo import new_connection
from bridge.store.tables import ConnectionRow
from migrate.kinds import KINDS

FETCH = 10_000
NOW = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


@dataclass
class Floors:
    write: float
    read_hash: float


@contextmanager
def scratch_store(url: str) -> Iterator[str]:
    """An empty store at head beside the bench store at `url`; removed afterwards."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "").with_name(f"floor-{uuid.uuid4().hex[:8]}.db")
        try:
            yield f"sqlite:///{path}"
        finally:
            for extra in ("", "-wal", "-shm"):
                Path(f"{path}{extra}").unlink(missing_ok=True)
        return
    name = f"{parsed.database}_floor_{uuid.uuid4().hex[:6]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _key_order(table: Table) -> str:
    return ", ".join(f'"{c.name}"' for c in table.primary_key.columns)


def _templates(engine: Engine, source: int) -> dict[str, tuple[tuple[Any, ...], int, int]]:
    """kind -> (a legacy row of it as the driver holds it, the position of the key column
    made unique, the legacy row count)."""
    out = {}
    with engine.connect() as c:
        for kind in KINDS:
            t = kind.table
            row = c.exec_driver_sql(f'SELECT * FROM "{t.name}" WHERE connection_id = {int(source)} LIMIT 1').one()
            count = c.exec_driver_sql(f'SELECT count(*) FROM "{t.name}" WHERE connection_id = {int(source)}').scalar()
            # the last text column of the key (projects_id, books_id, invoice_id, task_id)
            vary = max(i for i, col in enumerate(t.columns) if col.name in kind.key and isinstance(col.type, String))
            out[kind.name] = (tuple(row), vary, int(count or 0))
    return out


def _rows(template: tuple[Any, ...], vary: int, count: int, connection: int) -> Iterator[tuple[Any, ...]]:
    head, tail = (connection, *template[1:vary]), template[vary + 1:]
    width = len(str(template[vary]))
    for i in range(count):
        yield (*head, str(i).zfill(width), *tail)


def write_floor(store: Store, scratch_url: str, source: int) -> float:
    """Seconds to write the legacy scope's row counts into `scratch_url` in one transaction."""
    templates = _templates(store.engine, source)
    scratch = Store.open(scratch_url)
    try:
        conn_id = _scratch_connection(scratch)  # the scope the rows are written in
        raw = scratch.engine.raw_connection()
        try:
            started = time.monotonic()
            cur: Any = raw.cursor()  # psycopg's or sqlite3's own
            for kind in KINDS:
                template, vary, count = templates[kind.name]
                cols = [c.name for c in kind.table.columns]
                rows = _rows(template, vary, count, conn_id)
                names = ", ".join(f'"{c}"' for c in cols)
                if scratch.dialect == "postgresql":
                    with cur.copy(f'COPY "{kind.table.name}" ({names}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" for _ in cols)
                    cur.executemany(f'INSERT INTO "{kind.table.name}" ({names}) VALUES ({marks})', rows)
            raw.commit()
            return time.monotonic() - started
        finally:
            raw.close()
    finally:
        scratch.close()


def _scratch_connection(scratch: Store) -> int:
    """The scratch store's one connection, made the first time."""
    with scratch.session() as s:
        existing = s.execute(select(ConnectionRow.id)).scalars().first()
        if existing is not None:
            return existing
        return new_connection(s, mode="legacy", organization_id="0", portal_id="0", email="floor@bench.example",
                              key="floor", shared_name="", shared_email="", now=NOW).id


def read_hash_floor(sides: list[tuple[Store, int]]) -> float:
    """Seconds to stream every kind's rows of each (store, connection) side in key order and
    hash them with blake2b."""
    started = time.monotonic()
    for store, connection in sides:
        raw = store.engine.raw_connection()
        try:
            for kind in KINDS:
                sql = (f'SELECT * FROM "{kind.table.name}" WHERE connection_id = {int(connection)} '
                       f"ORDER BY {_key_order(kind.table)}")
                digest = hashlib.blake2b(digest_size=32)
                for rows in _stream(raw, sql, store.dialect == "postgresql"):
                    for row in rows:
                        digest.update(repr(row).encode())
                digest.hexdigest()
            raw.commit()
        finally:
            raw.close()
    return time.monotonic() - started


def _stream(raw: Any, sql: str, server_side: bool) -> Iterator[list[Any]]:
    """Batches of FETCH rows: a server-side cursor on PostgreSQL (a client-side one would
    hold the whole result), fetchmany on SQLite."""
    cur = raw.driver_connection.cursor(name="floor") if server_side else raw.cursor()
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(FETCH):
            yield rows
    finally:
        cur.close()


def measure(store: Store, url: str, source: int, say: Callable[[str], None] = print) -> Floors:
    """Both floors once: a fresh scratch store written, then both sides read and hashed."""
    with scratch_store(url) as scratch_url:
        write = write_floor(store, scratch_url, source)
        scratch = Store.open(scratch_url)
        try:
            if scratch.dialect == "postgresql":
                with scratch.engine.connect() as c:  # as the migration does after its bulk copy
                    for kind in KINDS:
                        c.exec_driver_sql(f'ANALYZE "{kind.table.name}"')
                    c.commit()
            read = read_hash_floor([(store, source), (scratch, _scratch_connection(scratch))])
        finally:
            scratch.close()
    say(f"write {write:.2f}s, read+hash {read:.2f}s")
    return Floors(write, read)
