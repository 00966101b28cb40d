"""M3: what the enhanced state must be, derived from the legacy state on its own terms.

This does not call the converter: it states the migration's rules as SQL predicates over
the legacy scope (which records must be left out, and why) and projects every other legacy
record onto the fields the enhanced record must carry. `verify` diffs that with the store.
Records are flat rows (the key's columns, then the fields as text), read in key order
batch by batch as the driver's plain tuples (bridge.store.keyset.text_batches).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

from sqlalchemy import ColumnElement, String, and_, literal, or_, select

from bridge.store import Store
from bridge.store.keyset import text_batches
from bridge.store.tables import (
    ConnectionRow,
    InvoiceLineRow,
    MigrationLeftOut,
    MigrationRun,
    Preferences,
    TransactionRow,
)
from enhanced.preferences import Prefs
from migrate.kinds import Kind, compared_columns

Record = tuple[tuple[Any, ...], Any]
#: a record as read: its key's columns, then its fields (as text)
Row = tuple[Any, ...]
#: hears of each batch of rows as it is read
Seen = Callable[[list[Row]], None]
#: the keys a read covers: those past the first and at most the second (either end open when None)
Span = tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]
WHOLE: Span = (None, None)

#: What a compared column without a rule here is expected to be: never found, so a new
#: column of the connection, its preferences or a left-out fails verify until it has one.
NO_RULE = "<no rule for this column in migrate/expected.py>"

CONNECTION_FIELDS = compared_columns(ConnectionRow.__table__)  # type: ignore[arg-type]
PREFERENCE_FIELDS = compared_columns(Preferences.__table__)  # type: ignore[arg-type]
LEFT_OUT_FIELDS = compared_columns(MigrationLeftOut.__table__, ("kind", "key"))  # type: ignore[arg-type]


def expected_connection(legacy: ConnectionRow, run: MigrationRun) -> dict[str, Any]:
    """The target connection as the migration makes it: the legacy one's organization,
    portal, email, shares and key (a new column too, by default), as an enhanced connection
    migrated from it, made when the run started, disabled until re-enabled (M6)."""
    want = {name: getattr(legacy, name) for name in CONNECTION_FIELDS}
    want.update(mode="enhanced", state="disabled", migrated_from=legacy.id, connected_at=run.started_at)
    return want


def expected_preferences() -> dict[str, Any]:
    """The enhanced integration's default preferences, which a migration starts with."""
    default = Prefs()
    rules = {"modules": list(default.modules), "general_timesheets": default.general_timesheets,
             "cutoff_date": default.cutoff_date}
    return {name: rules.get(name, NO_RULE) for name in PREFERENCE_FIELDS}


def _left_out_txn(source: int, upstream: list[str]) -> ColumnElement[bool]:
    t = TransactionRow.__table__.c
    deleted = t.project_id.not_in(upstream) if upstream else literal(True)
    return and_(t.connection_id == source, or_(and_(t.status == "draft", t.customer_id.is_(None)), deleted))


def left_out_keys(store: Store, source: int, upstream: list[str]) -> dict[str, dict[tuple[Any, ...], str]]:
    """kind -> {key: reason code} of every legacy record that must be left out."""
    t = TransactionRow.__table__.c
    lines = InvoiceLineRow.__table__.c
    out: dict[str, dict[tuple[Any, ...], str]] = {"transactions": {}, "invoice_lines": {}}
    with store.connect() as c:
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
    def record(code: str) -> dict[str, Any]:
        rules = {"reason_code": code}
        return {name: rules.get(name, NO_RULE) for name in LEFT_OUT_FIELDS}

    return iter(sorted(((kind, "/".join(map(str, key))), record(code))
                       for kind, keys in left.items() for key, code in keys.items()))


def _batches(store: Store, kind: Kind, connection_id: int, batch: int, fields: tuple[str, ...],
             constants: tuple[str, ...] = (), span: Span = WHOLE) -> Iterator[list[Row]]:
    extra = [literal(value, String) for value in constants]
    yield from text_batches(store, kind.table, kind.key, {"connection_id": connection_id}, batch, fields, extra,
                            after=span[0], upto=span[1])


def expected_batches(store: Store, kind: Kind, source: int, excluded: dict[tuple[Any, ...], str],
                     batch: int, migration_id: str, seen: Seen | None = None,
                     span: Span = WHOLE) -> Iterator[list[Row]]:
    """Every legacy record of `kind` in `span` that must be carried, key-sorted, batch by
    batch, as a flat row: its key, its `fields` as the legacy row has them, then the
    `from_run` columns as the run sets them (all as text). `seen` hears of each batch as
    read, the records left out included."""
    from_run = {"migration_id": migration_id}
    left = sorted(excluded)
    for rows in _batches(store, kind, source, batch, kind.fields, tuple(from_run[c] for c in kind.from_run),
                         span):
        if seen is not None:
            seen(rows)
        yield without_keys(rows, len(kind.key), left)


def without_keys(rows: list[Row], n: int, left: list[tuple[Any, ...]]) -> list[Row]:
    """The key-sorted `rows` but those whose key (first `n` columns) is in the sorted `left`,
    found by bisection: the few left out cost nothing per row."""
    def key(row: Row) -> tuple[Any, ...]:
        return tuple(row[:n])

    if not rows or not left:
        return rows
    inside = left[bisect_left(left, key(rows[0])):bisect_right(left, key(rows[-1]))]
    drop = []
    for k in inside:
        i = bisect_left(rows, k, key=key)
        if i < len(rows) and key(rows[i]) == k:
            drop.append(i)
    if not drop:
        return rows
    out: list[Row] = []
    start = 0
    for i in drop:
        out.extend(rows[start:i])
        start = i + 1
    out.extend(rows[start:])
    return out


def actual_batches(store: Store, kind: Kind, target: int, batch: int,
                   seen: Seen | None = None, span: Span = WHOLE) -> Iterator[list[Row]]:
    """Every record of `kind` in the target scope and `span`, key-sorted, batch by batch, as
    a flat row: its key, then `kind.compared` as text."""
    for rows in _batches(store, kind, target, batch, kind.compared, span=span):
        if seen is not None:
            seen(rows)
        yield rows


def actual_records(store: Store, kind: Kind, target: int, batch: int) -> Iterator[Record]:
    """`actual_batches` record by record, as (key, values)."""
    n = len(kind.key)
    return ((tuple(row[:n]), tuple(row[n:])) for row in chain.from_iterable(actual_batches(store, kind, target, batch)))
