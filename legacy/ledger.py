"""The legacy toolkit's own record of invoices and expenses (TransactionRow + lines).

An invoice not (yet) in Books is kept under a *local id* `local-<claim>`:
- a draft without customer (Books refuses invoices without `customer_id`; L4): status
  "draft" until `finalize_invoice` gives it a customer and puts it into Books;
- a Projects-side invoice whose mirror into Books has not been written yet: status
  "pending"; the next `sync` writes it.
When the Books invoice is made, the local rows are re-keyed to the Books id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bridge.domain import Invoice, InvoiceLine, Money, Side, Transaction, TxnKind, lines_total
from bridge.store.repo import lines_of, record_transaction
from bridge.store.tables import InvoiceLineRow, TransactionRow

LOCAL = "local-"


def local_id(claim: str) -> str:
    return f"{LOCAL}{claim}"


def is_local(books_id: str) -> bool:
    return books_id.startswith(LOCAL)


def claim_of(invoice_id: str) -> str:
    """The claim (and Books reference_number) a local invoice was made under."""
    return invoice_id[len(LOCAL):] if is_local(invoice_id) else invoice_id


def save_invoice(
    s: Session, connection_id: int, inv: Invoice, *, projects_id: str | None, now: dt.datetime,
    total: Decimal | None = None,
) -> None:
    """Record an invoice; `total` is the service's when it differs from the lines' (taxes)."""
    txn = Transaction(
        kind=TxnKind.INVOICE, transaction_id=inv.invoice_id, project_id=inv.project_id,
        customer_id=inv.customer_id,
        total=Money(total, inv.currency) if total is not None else inv.total,
        status=inv.status, origin=inv.origin, number=inv.number,
    )
    record_transaction(s, connection_id, txn, inv.lines, projects_id=projects_id, now=now)


def forget(s: Session, connection_id: int, kind: str, books_id: str) -> None:
    s.execute(delete(TransactionRow).where(
        TransactionRow.connection_id == connection_id, TransactionRow.kind == kind,
        TransactionRow.books_id == books_id,
    ))
    s.execute(delete(InvoiceLineRow).where(
        InvoiceLineRow.connection_id == connection_id, InvoiceLineRow.invoice_id == books_id,
    ))


def load_invoice(s: Session, connection_id: int, books_id: str) -> tuple[Invoice, TransactionRow] | None:
    row = s.get(TransactionRow, (connection_id, TxnKind.INVOICE.value, books_id))
    if row is None:
        return None
    inv = Invoice(
        invoice_id=row.books_id, project_id=row.project_id, customer_id=row.customer_id,
        currency=row.currency, status=row.status, origin=Side(row.origin),
        lines=tuple(lines_of(s, connection_id, row.books_id)), number=row.number,
    )
    return inv, row


def invoiced_expense_ids(s: Session, connection_id: int) -> set[str]:
    """Projects expenses already on one of this connection's invoices (drafts included)."""
    ids = s.execute(select(InvoiceLineRow.expense_id).where(
        InvoiceLineRow.connection_id == connection_id, InvoiceLineRow.expense_id.is_not(None),
    )).scalars()
    return {i for i in ids if i}


def rows_of(s: Session, connection_id: int, kind: TxnKind, origin: Side | None = None) -> Sequence[TransactionRow]:
    q = select(TransactionRow).where(
        TransactionRow.connection_id == connection_id, TransactionRow.kind == kind.value,
    )
    if origin is not None:
        q = q.where(TransactionRow.origin == origin.value)
    return s.execute(q.order_by(TransactionRow.books_id)).scalars().all()


def project_rows(s: Session, connection_id: int, project_id: str, origin: Side) -> Sequence[TransactionRow]:
    return s.execute(select(TransactionRow).where(
        TransactionRow.connection_id == connection_id, TransactionRow.project_id == project_id,
        TransactionRow.origin == origin.value,
    ).order_by(TransactionRow.kind, TransactionRow.books_id)).scalars().all()


def as_money(lines: Sequence[InvoiceLine], currency: str) -> Money:
    return lines_total(lines, currency)
