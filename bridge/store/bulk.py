"""Bulk writes that suit each backend: multi-row INSERT with ON CONFLICT per dialect, and
INSERT ... SELECT for rows that are already in the store (they never pass through Python)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.store import Store

from sqlalchemy import ColumnElement, Select, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


def _insert_for(session: Session, table: Table) -> Any:
    return _insert_on(session.get_bind().dialect.name, table)


def _insert_on(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"bulk upsert is not written for {dialect}")


def _upsert_statement(dialect: str, table: Table, keys: list[str], update: Iterable[str] | None) -> Any:
    stmt = _insert_on(dialect, table)
    if update is None:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(index_elements=keys, set_={c: getattr(stmt.excluded, c) for c in update})


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Iterable[str],
    update: Iterable[str] | None = None,
) -> None:
    """Insert rows; on a key conflict update `update` columns (or do nothing if None)."""
    if not rows:
        return
    stmt = _upsert_statement(session.get_bind().dialect.name, table, list(key), update)
    session.execute(stmt, list(rows))


#: the backends `upsert_tuples` hands rows to the driver as they are
_RAW_ROWS = ("sqlite",)


def driver_value(dialect: Dialect, column: ColumnElement[Any], value: Any) -> Any:
    """`value` as `upsert_tuples` takes it for `column`: on SQLite converted by the column's
    type as SQLAlchemy would (a datetime to its text), elsewhere as it is (`upsert` converts it)."""
    if dialect.name not in _RAW_ROWS:
        return value
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process(value) if process is not None else value


def upsert_tuples(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    key: Iterable[str],
    update: Iterable[str] | None = None,
) -> None:
    """`upsert` for rows given as tuples of `columns`, each value as `driver_value` gives it.
    On SQLite they go to the driver's executemany as they are, the statement compiled once:
    SQLAlchemy's processing of each row's parameters cost more than SQLite's own work (an
    id-map row: 29 us through `upsert`, 13 us this way). Elsewhere, through `upsert`."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name not in _RAW_ROWS:
        upsert(session, table, [dict(zip(columns, r, strict=True)) for r in rows], key, update)
        return
    sql = _driver_sql(dialect, table, tuple(columns), tuple(key), None if update is None else tuple(update))
    session.connection().exec_driver_sql(sql, list(rows))


@functools.cache
def _driver_sql(dialect: Dialect, table: Table, columns: tuple[str, ...], key: tuple[str, ...],
                update: tuple[str, ...] | None) -> str:
    """The upsert's SQL for a positional driver, its parameters in the order of `columns`."""
    compiled = _upsert_statement(dialect.name, table, list(key), update).compile(
        dialect=dialect, column_keys=list(columns))
    if list(compiled.positiontup or ()) != list(columns):
        raise NotImplementedError(f"{dialect.name}: parameters not in the order of the columns")
    return str(compiled)


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]], key: Iterable[str]) -> None:
    upsert(session, table, rows, key, None)


def copy_rows(session: Session, table: Table, columns: Sequence[str], rows: Select[Any], key: Iterable[str]) -> int:
    """INSERT INTO `table` (`columns`) `rows` (a SELECT of as many columns, in that order),
    ignoring rows whose `key` is already there; how many were inserted. The database copies
    the values as it stores them: nothing is read into Python or converted on the way."""
    stmt = _insert_for(session, table).from_select(list(columns), rows).on_conflict_do_nothing(
        index_elements=list(key))
    inserted: int = session.execute(stmt).rowcount  # type: ignore[attr-defined]
    return inserted


def refresh_statistics(store: Store, tables: Iterable[Table]) -> None:
    """After a bulk load, let PostgreSQL's planner see the new row counts: with stale
    statistics it answers a keyset batch with a bitmap scan of everything past the key and
    a sort, instead of walking the primary key (25 s against 60 s for a million rows)."""
    if store.dialect != "postgresql":
        return  # SQLite's planner picks the primary key without statistics
    with store.connect() as c:
        for table in tables:
            c.execute(text(f'ANALYZE "{table.name}"'))
        c.commit()
