"""Read a table in key order, batch by batch, without OFFSET and without loading it whole.

Ordering is by code point on both backends (SQLite's BINARY collation; key columns declared
"C" on PostgreSQL), the same order Python compares strings in, so two streams can be
merged in Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Column, ColumnElement, Integer, MetaData, String, Table, cast, func, select, tuple_
from sqlalchemy.engine import Connection, Row
from sqlalchemy.types import NullType

from bridge.store import Store


def ordered(table: Table, key: Sequence[str], dialect: str) -> list[ColumnElement[Any]]:
    """The key columns as they order. Key columns are declared with the "C" collation on
    PostgreSQL (`tables.key_text`), so plain ORDER BY walks their index in code-point order."""
    return [table.c[name] for name in key]


def key_batches(
    store: Store,
    table: Table,
    key: Sequence[str],
    scope: Mapping[str, Any],
    batch: int,
    after: tuple[Any, ...] | None = None,
) -> Iterator[list[Row[Any]]]:
    """Batches of the rows whose `scope` columns equal its values (a connection), ordered
    by `key`, starting after the key tuple `after`.

    With the scope's equality on the primary key's leading columns and the row comparison on
    the rest, each batch is one range scan of the (scope, key) primary key on both backends
    (on PostgreSQL once its statistics are fresh: see `bulk.refresh_statistics`).
    """
    yield from _batches(store, table, key, scope, batch, after, [table], plain=False)


def text_batches(
    store: Store, table: Table, key: Sequence[str], scope: Mapping[str, Any], batch: int,
    fields: Sequence[str], extra: Sequence[ColumnElement[str]] = (), *,
    after: tuple[Any, ...] | None = None, upto: tuple[Any, ...] | None = None,
) -> Iterator[list[tuple[Any, ...]]]:
    """`key_batches` in a cheap, canonical form for comparing: a row is a plain tuple of the
    key columns, then `fields` as text (cast in SQL unless text already), then the `extra`
    text columns (constants, say). Nothing in such a row needs processing, so the driver's
    tuples are taken as they come, with no Row made per row (which costs more than reading
    the row). Only keys past `after` and at most `upto` (either end open when None)."""
    picked = [*(table.c[k] for k in key), *(_as_text(table.c[f]) for f in fields), *extra]
    yield from _batches(store, table, key, scope, batch, after, picked, plain=True, upto=upto)


def _as_text(column: Column[Any]) -> ColumnElement[Any]:
    """A column as text in SQL; a text column as it is (a CAST of it to text, a no-op on both
    backends, costs SQLite a tenth of reading the row)."""
    return column if isinstance(column.type, String) else cast(column, String)


def _batches(store: Store, table: Table, key: Sequence[str], scope: Mapping[str, Any], batch: int,
             after: tuple[Any, ...] | None, picked: list[Any], *, plain: bool,
             upto: tuple[Any, ...] | None = None) -> Iterator[list[Any]]:
    key_cols = ordered(table, key, store.dialect)
    order = [*(table.c[name] for name in scope), *key_cols]
    where = key_range(table, key, scope, store.dialect, None, upto)
    while True:
        q = select(*picked).where(*where).order_by(*order).limit(batch)
        if after is not None:
            q = q.where(tuple_(*key_cols) > tuple_(*after))
        with store.connect() as c:
            result = c.execute(q)
            rows: list[Any] = list(result.cursor.fetchall()) if plain else list(result)
            result.close()
        if not rows:
            return
        yield rows
        last = rows[-1]
        after = tuple(last[:len(key)]) if plain else tuple(getattr(last, k) for k in key)
        if len(rows) < batch:
            return


def key_range(
    table: Table, key: Sequence[str], scope: Mapping[str, Any], dialect: str, after: tuple[Any, ...] | None,
    upto: tuple[Any, ...] | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE of the rows in `scope` whose key is past `after` and at most `upto` (either
    end open when None): one range scan of the (scope, key) primary key."""
    cols = ordered(table, key, dialect)
    where = [table.c[name] == value for name, value in scope.items()]
    if after is not None:
        where.append(tuple_(*cols) > tuple_(*after))
    if upto is not None:
        where.append(tuple_(*cols) <= tuple_(*upto))
    return where


def next_range(
    conn: Connection, table: Table, key: Sequence[str], scope: Mapping[str, Any], batch: int,
    after: tuple[Any, ...] | None,
) -> tuple[tuple[Any, ...], int] | None:
    """The next batch of keys past `after`, without reading its rows into Python: (the key
    of its last row, its row count), or None when no row is left. A full batch is found by
    one index probe (the `batch`-th key past `after`), the last, short one by a count."""
    cols = ordered(table, key, conn.dialect.name)
    where = key_range(table, key, scope, conn.dialect.name, after)
    nth = conn.execute(select(*cols).where(*where).order_by(*cols).offset(batch - 1).limit(1)).first()
    if nth is not None:
        return tuple(nth), batch
    rest: int = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    if not rest:
        return None
    last = conn.execute(select(*cols).where(*where).order_by(*(c.desc() for c in cols)).limit(1)).one()
    return tuple(last), rest


def key_rows(store: Store, table: Table, key: Sequence[str], scope: Mapping[str, Any],
             batch: int = 5000) -> Iterator[Row[Any]]:
    for rows in key_batches(store, table, key, scope, batch):
        yield from rows


@cache
def raw_table(table: Table) -> Table:
    """The same table with untyped columns: values pass between reads and writes as the
    driver holds them, with no per-value processing (for copying rows in bulk)."""
    def plain(col: Column[Any]) -> Any:
        # strings and integers need no processing; NullType passes the rest as they are
        return col.type if isinstance(col.type, (String, Integer)) else NullType()

    return Table(table.name, MetaData(),
                 *(Column(c.name, plain(c), primary_key=c.primary_key) for c in table.columns))
