"""Store operations both modes share: connections, preferences, id maps, transactions,
billed-task claims. Each function takes an open Session; callers own the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from json import encoder as json_encoder
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bridge.domain import LIVE_STATES as DOMAIN_LIVE_STATES
from bridge.domain import (
    Connection,
    ConnectionState,
    InvoiceLine,
    Money,
    Side,
    Transaction,
    TxnKind,
)
from bridge.errors import NotConnected
from bridge.store.bulk import upsert, upsert_tuples
from bridge.store.tables import (
    BilledTask,
    ConnectionRow,
    IdMap,
    InvoiceLineRow,
    Preferences,
    TransactionRow,
)

LIVE_STATES = tuple(s.value for s in DOMAIN_LIVE_STATES)


def key_fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


#: what json.dumps(record, sort_keys=True, default=str) builds on every call, built once: the
#: same text (so the same fingerprints as ever), without an encoder made per record
_FINGERPRINT_JSON = json.JSONEncoder(sort_keys=True, default=str)
#: the C encoder that JSONEncoder.encode makes anew on each call (with a dict of markers to
#: catch cycles, which a record of plain fields cannot have), made once: 6 us a record, not 10
_CEncoder = Callable[[Any, int], Sequence[str]]
_MAKE_C_ENCODER: Callable[..., _CEncoder] | None = getattr(json_encoder, "c_make_encoder", None)
_FINGERPRINT_C = (
    _MAKE_C_ENCODER(None, str, json_encoder.encode_basestring_ascii, None, ": ", ", ", True, False, True)
    if _MAKE_C_ENCODER is not None else None
)


def record_fingerprint(record: dict[str, Any]) -> str:
    """A stable hash of the fields of an upstream record that we map (E14)."""
    if _FINGERPRINT_C is None:
        return hashlib.sha256(_FINGERPRINT_JSON.encode(record).encode()).hexdigest()
    return hashlib.sha256("".join(_FINGERPRINT_C(record, 0)).encode()).hexdigest()


# --- connections -------------------------------------------------------------------------

def latest_connection(session: Session, mode: str) -> ConnectionRow | None:
    return session.execute(
        select(ConnectionRow).where(ConnectionRow.mode == mode).order_by(ConnectionRow.id.desc()).limit(1)
    ).scalar_one_or_none()


def live_connection(session: Session, mode: str) -> ConnectionRow:
    row = latest_connection(session, mode)
    if row is None:
        raise NotConnected(f"no {mode} integration is connected", hint=f"run `bpbridge {mode} connect` first")
    if row.state == ConnectionState.MIGRATED:
        raise NotConnected(f"the {mode} integration to portal {row.portal_id} was migrated",
                           hint="operate it with `bpbridge enhanced ...`; `bpbridge migrate rollback` undoes the move")
    if row.state not in LIVE_STATES:
        raise NotConnected(f"the {mode} integration to portal {row.portal_id} is {row.state}",
                           hint=f"run `bpbridge {mode} connect` first")
    return row


def require_enabled(row: ConnectionRow) -> None:
    if row.state != ConnectionState.CONNECTED:
        raise NotConnected(
            f"the {row.mode} integration is {row.state}",
            hint=f"run `bpbridge {row.mode} reenable --portal {row.portal_id}`",
        )


def new_connection(
    session: Session, *, mode: str, organization_id: str, portal_id: str, email: str,
    key: str, shared_name: str, shared_email: str, now: dt.datetime, migrated_from: int | None = None,
) -> ConnectionRow:
    row = ConnectionRow(
        mode=mode, organization_id=organization_id, portal_id=portal_id, email=email,
        state=ConnectionState.CONNECTED.value, shared_name=shared_name, shared_email=shared_email,
        key_fingerprint=key_fingerprint(key) if key else "", connected_at=now, changed_at=now,
        migrated_from=migrated_from,
    )
    session.add(row)
    session.flush()
    return row


def to_connection(row: ConnectionRow) -> Connection:
    return Connection(
        mode=row.mode, portal_id=row.portal_id, organization_id=row.organization_id,
        email=row.email, state=row.state,
        shared={"name": row.shared_name, "email": row.shared_email},
        connected_at=row.connected_at,
    )


def set_state(row: ConnectionRow, state: str, now: dt.datetime) -> None:
    row.state = state
    row.changed_at = now


# --- preferences -------------------------------------------------------------------------

def preferences(session: Session, connection_id: int) -> Preferences | None:
    return session.get(Preferences, connection_id)


# --- id map ------------------------------------------------------------------------------

def books_id_for(session: Session, connection_id: int, kind: str, projects_id: str) -> str | None:
    row = session.get(IdMap, (connection_id, kind, projects_id))
    return row.books_id if row else None


def projects_id_for(session: Session, connection_id: int, kind: str, books_id: str) -> str | None:
    return session.execute(
        select(IdMap.projects_id).where(
            IdMap.connection_id == connection_id, IdMap.kind == kind, IdMap.books_id == books_id
        ).limit(1)
    ).scalar_one_or_none()


def mappings(session: Session, connection_id: int, kind: str) -> dict[str, IdMap]:
    rows = session.execute(
        select(IdMap).where(IdMap.connection_id == connection_id, IdMap.kind == kind)
    ).scalars()
    return {r.projects_id: r for r in rows}


def put_mappings(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert id-map rows: dicts with connection_id, kind, projects_id, books_id,
    fingerprint, updated_at (and optionally migration_id)."""
    upsert(
        session, IdMap.__table__,  # type: ignore[arg-type]
        rows, key=("connection_id", "kind", "projects_id"),
        update=("books_id", "fingerprint", "updated_at"),
    )


#: the columns of a row `put_mapping_tuples` takes, in order
MAPPING_COLUMNS = ("connection_id", "kind", "projects_id", "books_id", "fingerprint", "updated_at")


def put_mapping_tuples(session: Session, rows: Sequence[tuple[Any, ...]]) -> None:
    """`put_mappings` for rows given as tuples of MAPPING_COLUMNS, each value as
    `bulk.driver_value` gives it: the same rows, cheaper to write (see `bulk.upsert_tuples`)."""
    upsert_tuples(
        session, IdMap.__table__,  # type: ignore[arg-type]
        MAPPING_COLUMNS, rows, key=("connection_id", "kind", "projects_id"),
        update=("books_id", "fingerprint", "updated_at"),
    )


# --- transactions ------------------------------------------------------------------------

def record_transaction(
    session: Session, connection_id: int, txn: Transaction, lines: Iterable[InvoiceLine] = (),
    *, projects_id: str | None = None, now: dt.datetime,
) -> None:
    session.merge(TransactionRow(
        connection_id=connection_id, kind=txn.kind.value, books_id=txn.transaction_id,
        projects_id=projects_id, project_id=txn.project_id, customer_id=txn.customer_id,
        currency=txn.total.currency, total=txn.total.amount, status=txn.status,
        origin=txn.origin.value, number=txn.number, created_at=now,
    ))
    session.execute(delete(InvoiceLineRow).where(
        InvoiceLineRow.connection_id == connection_id, InvoiceLineRow.invoice_id == txn.transaction_id
    ))
    for n, line in enumerate(lines, start=1):
        session.add(InvoiceLineRow(
            connection_id=connection_id, invoice_id=txn.transaction_id, line_no=n,
            description=line.description[:500], task_id=line.task_id, expense_id=line.expense_id,
            quantity=line.quantity, rate=line.rate, amount=line.amount,
        ))


def to_transaction(row: TransactionRow) -> Transaction:
    return Transaction(
        kind=TxnKind(row.kind), transaction_id=row.books_id, project_id=row.project_id,
        customer_id=row.customer_id, total=Money(Decimal(row.total), row.currency),
        status=row.status, origin=Side(row.origin), number=row.number,
    )


def project_transactions(session: Session, connection_id: int, project_id: str) -> list[Transaction]:
    rows = session.execute(
        select(TransactionRow).where(
            TransactionRow.connection_id == connection_id, TransactionRow.project_id == project_id
        ).order_by(TransactionRow.kind, TransactionRow.books_id)
    ).scalars()
    return [to_transaction(r) for r in rows]


def transaction_by_projects_id(
    session: Session, connection_id: int, kind: str, projects_id: str,
) -> TransactionRow | None:
    return session.execute(select(TransactionRow).where(
        TransactionRow.connection_id == connection_id, TransactionRow.kind == kind,
        TransactionRow.projects_id == projects_id,
    ).limit(1)).scalar_one_or_none()


def billed_task_ids(session: Session, connection_id: int, task_ids: Iterable[str] | None = None) -> set[str]:
    """Tasks billed or claimed (not the `expense:` keys that share the table)."""
    q = select(BilledTask.task_id).where(BilledTask.connection_id == connection_id,
                                         ~BilledTask.task_id.startswith("expense:"))
    ids = list(task_ids) if task_ids is not None else None
    if ids is not None:
        q = q.where(BilledTask.task_id.in_(ids))
    return set(session.execute(q).scalars())


def billed_expense_ids(session: Session, connection_id: int) -> set[str]:
    """Expenses billed or claimed under this connection (their `expense:<id>` keys), whichever
    integration billed them: a rollback carries the enhanced marks back here."""
    keys = session.execute(select(BilledTask.task_id).where(
        BilledTask.connection_id == connection_id, BilledTask.task_id.startswith("expense:"))).scalars()
    return {k.removeprefix("expense:") for k in keys}


def lines_of(session: Session, connection_id: int, invoice_id: str) -> list[InvoiceLine]:
    rows = session.execute(select(InvoiceLineRow).where(
        InvoiceLineRow.connection_id == connection_id, InvoiceLineRow.invoice_id == invoice_id
    ).order_by(InvoiceLineRow.line_no)).scalars()
    return [InvoiceLine(r.description, Decimal(r.quantity), Decimal(r.rate), r.task_id, r.expense_id) for r in rows]
