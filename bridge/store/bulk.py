"""Bulk writes that suit each backend: multi-row INSERT with ON CONFLICT per dialect, and
INSERT ... SELECT for rows that are already in the store (they never pass through Python)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.store import Store

from sqlalchemy import Select, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert_for(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"bulk upsert is not written for {dialect}")


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
    stmt = _insert_for(session, table)
    keys = list(key)
    if update is None:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={c: getattr(stmt.excluded, c) for c in update}
        )
    session.execute(stmt, list(rows))


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
