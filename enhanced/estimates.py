"""E9 estimates: a quote of what an invoice would bill now, made in Books and shown at once
in the project's Finance tab (origin: the side it was asked from).

An estimate bills nothing: it carries no time entry, expense or task link and claims no
task, so the quoted work stays invoiceable. Its reference number is a fresh claim id, so an
answer lost on the way back is looked up instead of making a second estimate.
"""

from __future__ import annotations

from typing import Any

from bridge.billing import lines as billing
from bridge.billing.claims import compensate, new_claim_id
from bridge.context import Context
from bridge.domain import InvoiceLine, Side, Transaction, TxnKind, lines_total
from bridge.store import repo
from enhanced.transactions import (
    books_project,
    enabled_connection,
    invoice_lines,
    link_in_finance,
    project_customer,
)


def create_estimate(ctx: Context, project_id: str, customer_id: str | None, side: Side) -> Transaction:
    row = enabled_connection(ctx)
    books_pid = books_project(ctx, row, project_id)
    customer, currency = project_customer(ctx, books_pid, customer_id)
    work = invoice_lines(ctx, row, project_id, books_pid, customer, currency)
    billing.require_lines(work, project_id)
    quoted = [InvoiceLine(ln.description, ln.quantity, ln.rate) for ln in work.lines]
    now = ctx.clock.now()
    made = ctx.books.create_estimate({
        "customer_id": customer, "project_id": books_pid, "reference_number": new_claim_id("ES"),
        "date": now.date().isoformat(), "line_items": [_books_line(ln) for ln in quoted],
    })
    books_id, number = str(made["estimate_id"]), str(made.get("estimate_number") or "")
    total = lines_total(quoted, currency)
    status = str(made.get("status") or "draft")
    txn = Transaction(TxnKind.ESTIMATE, books_id, project_id, customer, total, status, side, number)
    with compensate(lambda: ctx.books.delete_estimate(books_id)):  # on both sides or on neither
        link_in_finance(ctx, row, project_id, "estimate", books_id, number, total, status, side, None)
        with ctx.store.session() as s:
            repo.record_transaction(s, row.id, txn, now=now)
    return txn


def _books_line(line: InvoiceLine) -> dict[str, Any]:
    return {"name": line.description[:100], "description": line.description,
            "quantity": line.quantity, "rate": line.rate}
