"""Bulk writes that suit each backend: multi-row INSERT with ON CONFLICT per dialect."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
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
