"""M3: what the enhanced state must be, derived from the legacy state on its own terms.

This does not call the converter: it states the migration's rules as SQL predicates over
the legacy scope (which records must be left out, and why) and projects every other legacy
record onto the fields the enhanced record must carry. `verify` diffs that with the store.
Records are (key, fields as text) tuples, read in key order batch by batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_, select

from bridge.store import Store
from bridge.store.keyset import key_batches
from bridge.store.tables import InvoiceLineRow, TransactionRow
from migrate.kinds import Kind

Record = tuple[tuple[Any, ...], Any]


def _left_out_txn(source: int, upstream: list[str]) -> ColumnElement[bool]:
    t = TransactionRow.__table__.c
    deleted = t.project_id.not_in(upstream) if upstream else literal(True)
    return and_(t.connection_id == source, or_(and_(t.status == "draft", t.customer_id.is_(None)), deleted))


def left_out_keys(store: Store, source: int, upstream: list[str]) -> dict[str, dict[tuple[Any, ...], str]]:
    """kind -> {key: reason code} of every legacy record that must be left out."""
    t = TransactionRow.__table__.c
    lines = InvoiceLineRow.__table__.c
    out: dict[str, dict[tuple[Any, ...], str]] = {"transactions": {}, "invoice_lines": {}}
    with store.engine.connect() as c:
        for row in c.execute(select(t.kind, t.books_id, t.status, t.customer_id)
                             .where(_left_out_txn(source, upstream))):
            draft = row.status == "draft" and not row.customer_id
            out["transactions"][(row.kind, row.books_id)] = (
                "draft_without_customer" if draft else "project_deleted_upstream")
        gone = select(t.books_id).where(_left_out_txn(source, upstream), t.kind == "invoice")
        for line in c.execute(select(lines.invoice_id, lines.line_no).where(
                lines.connection_id == source, lines.invoice_id.in_(gone))):
            out["invoice_lines"][(line.invoice_id, line.line_no)] = "invoice_left_out"
    return out


def expected_left_outs(left: dict[str, dict[tuple[Any, ...], str]]) -> Iterator[Record]:
    return iter(sorted(((kind, "/".join(map(str, key))), {"reason_code": code})
                       for kind, keys in left.items() for key, code in keys.items()))


def _records(store: Store, kind: Kind, connection_id: int, batch: int) -> Iterator[Record]:
    n = len(kind.key)
    for rows in key_batches(store, kind.table, kind.key, {"connection_id": connection_id},
                            batch, text_fields=kind.fields):
        for row in rows:
            yield tuple(row[:n]), tuple(row[n:])


def expected_records(store: Store, kind: Kind, source: int, excluded: dict[tuple[Any, ...], str],
                     batch: int) -> Iterator[Record]:
    """Every legacy record of `kind` that must be carried, key-sorted."""
    for key, values in _records(store, kind, source, batch):
        if key not in excluded:
            yield key, values


def actual_records(store: Store, kind: Kind, target: int, batch: int) -> Iterator[Record]:
    return _records(store, kind, target, batch)
