"""E9 bills: a vendor's bill for a project's cost, made in Books with the project (and its
customer, when billable) on the line, and shown at once in the project's Finance tab.

The vendor must already be a Books vendor; the bill takes the vendor's currency. The
reference number is a fresh claim id (and the bill number too, unless one is given), so a
lost answer is looked up instead of making a second bill.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bridge.billing.claims import compensate, new_claim_id
from bridge.context import Context
from bridge.domain import Money, Side, Transaction, TxnKind
from bridge.errors import InputError
from bridge.store import repo
from enhanced.transactions import books_project, enabled_connection, link_in_finance


def record_bill(ctx: Context, project_id: str, vendor_id: str, amount: Decimal, date: dt.date,
                description: str, side: Side, *, bill_number: str | None = None,
                billable: bool = True) -> Transaction:
    if amount <= 0:
        raise InputError(f"a bill's amount must be positive (got {amount})")
    row = enabled_connection(ctx)
    books_pid = books_project(ctx, row, project_id)
    vendor = ctx.books.get_contact(vendor_id)
    if vendor.get("contact_type") != "vendor":
        raise InputError(f"contact {vendor_id} ({vendor.get('contact_name', '')}) is not a vendor",
                         hint="pass the Books id of a vendor contact with --vendor")
    customer = str(ctx.books.get_project(books_pid).get("customer_id") or "") or None
    money = Money.of(amount, str(vendor.get("currency_code") or ""))
    reference = new_claim_id("BL")
    line = {"name": (description or "Project cost")[:100], "description": description,
            "rate": money.amount, "quantity": 1, "project_id": books_pid, "is_billable": billable}
    if billable and customer:
        line["customer_id"] = customer
    made = ctx.books.create_bill({
        "vendor_id": vendor_id, "bill_number": bill_number or reference, "reference_number": reference,
        "date": date.isoformat(), "line_items": [line],
    })
    books_id, number = str(made["bill_id"]), str(made.get("bill_number") or "")
    status = str(made.get("status") or "open")
    txn = Transaction(TxnKind.BILL, books_id, project_id, customer, money, status, side, number)
    with compensate(lambda: ctx.books.delete_bill(books_id)):  # on both sides or on neither
        link_in_finance(ctx, row, project_id, "bill", books_id, number, money, status, side, None)
        with ctx.store.session() as s:
            repo.record_transaction(s, row.id, txn, now=ctx.clock.now())
    return txn
