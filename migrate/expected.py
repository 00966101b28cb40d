"""M3: what the enhanced state must be, derived from the legacy state on its own terms.

This does not call the converter: it states the migration's rules as SQL predicates over
the legacy scope (which records must be left out, and why) and projects every other legacy
record onto the fields the enhanced record must carry. `verify` diffs that with the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_, select

from bridge.store import Store
from bridge.store.keyset import key_rows
from bridge.store.tables import InvoiceLineRow, TransactionRow
from migrate.kinds import Kind

Record = tuple[tuple[Any, ...], dict[str, Any]]


def _left_out_txn(source: int, upstream: list[str]) -> ColumnElement[bool]:
    t = TransactionRow.__table__.c
    deleted = t.project_id.not_in(upstream) if upstream else literal(True)
    return and_(t.connection_id == source, or_(and_(t.status == "draft", t.customer_id.is_(None)), deleted))


def expected_left_outs(store: Store, source: int, upstream: list[str]) -> Iterator[Record]:
    """(kind, key) -> reason code of every legacy record that must be left out, key-sorted."""
    t = TransactionRow.__table__.c
    out: list[Record] = []
    with store.engine.connect() as c:
        for row in c.execute(select(t.kind, t.books_id, t.status, t.customer_id, t.project_id)
                             .where(_left_out_txn(source, upstream))):
            code = ("draft_without_customer" if row.status == "draft" and not row.customer_id
                    else "project_deleted_upstream")
            out.append((("transactions", f"{row.kind}/{row.books_id}"), {"reason_code": code}))
        lines = InvoiceLineRow.__table__.c
        gone = select(t.books_id).where(_left_out_txn(source, upstream), t.kind == "invoice")
        for row in c.execute(select(lines.invoice_id, lines.line_no).where(
                lines.connection_id == source, lines.invoice_id.in_(gone))):
            out.append((("invoice_lines", f"{row.invoice_id}/{row.line_no}"), {"reason_code": "invoice_left_out"}))
    return iter(sorted(out))


def expected_records(store: Store, kind: Kind, source: int, upstream: list[str], batch: int) -> Iterator[Record]:
    """Every legacy record of `kind` that must be carried, as (key, fields), key-sorted."""
    excluded: set[tuple[Any, ...]] = set()
    for (kname, key), _ in expected_left_outs(store, source, upstream):
        if kname == kind.name:
            excluded.add(tuple(_split_key(kind, key)))
    for row in key_rows(store, kind.table, kind.key, [kind.table.c.connection_id == source], batch):
        key = kind.key_of(row)
        if key not in excluded:
            yield key, {f: getattr(row, f) for f in kind.fields}


def actual_records(store: Store, kind: Kind, target: int, batch: int) -> Iterator[Record]:
    for row in key_rows(store, kind.table, kind.key, [kind.table.c.connection_id == target], batch):
        yield kind.key_of(row), {f: getattr(row, f) for f in kind.fields}


def _split_key(kind: Kind, text: str) -> list[Any]:
    parts = text.split("/", len(kind.key) - 1)
    types = [kind.table.c[k].type.python_type for k in kind.key]
    return [typ(p) for typ, p in zip(types, parts)]
