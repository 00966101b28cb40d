"""L7: expenses. Recorded in Projects, they are mirrored into Books; recorded in Books, they
are shown in the project's Finance view.

Mirroring is idempotent: the Books expense carries reference_number `PRJ-EXP-<projects id>`,
the Projects expense gets `books_expense_id`, and the id map (kind "expense") holds the pair
with a hash of the mirrored fields. Mirroring again creates nothing; an expense edited in
Projects updates its Books mirror (Projects is the source of a Projects expense).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bridge.billing.claims import compensate, new_claim_id
from bridge.domain import Expense, InvoiceLine, Money, Side, Transaction, TxnKind, round_money
from bridge.store.repo import mappings, put_mappings, record_fingerprint, record_transaction
from bridge.store.tables import IdMap
from legacy import customers, finance
from legacy.state import enabled

if TYPE_CHECKING:
    from bridge.clients.projects import ProjectsClient
    from bridge.context import Context
    from bridge.store.tables import ConnectionRow

KIND = "expense"


def reference(projects_expense_id: str) -> str:
    return f"PRJ-EXP-{projects_expense_id}"


def parse_date(value: Any) -> dt.date:
    """ISO (yyyy-mm-dd) or Projects' MM-DD-YYYY."""
    text = str(value)
    if len(text) == 10 and text[2] == "-" and text[5] == "-":
        return dt.datetime.strptime(text, "%m-%d-%Y").date()
    return dt.date.fromisoformat(text[:10])


def record_expense(
    ctx: Context, project_id: str, amount: Decimal, date: dt.date, customer_id: str | None,
    description: str, side: Side,
) -> Expense:
    """The returned expense_id is the Books id: the id `transactions()` lists it under."""
    row = enabled(ctx)
    ctx.expense_account_fields()  # Books would refuse the mirror: refuse before either side is written
    projects = ctx.projects_of(row)
    currency = customers.currency_of(ctx, customer_id)
    amount = round_money(Decimal(amount))
    if side is Side.PROJECTS:
        made = projects.create_expense(project_id, {
            "client_id": customers.client_of(ctx, row, customer_id), "amount": amount,
            "currency_code": currency, "date": date, "description": description, "billable": True,
        })
        made = {**made, "project_id": project_id}
        books_id, _ = mirror(ctx, row, projects, project_id, made)
    else:
        books_id = _record_in_books(ctx, row, projects, project_id, amount, currency, date,
                                    customer_id, description)
    return Expense(books_id, project_id, customer_id, Money(amount, currency), date,
                   description, True, side)


def _books_payload(ctx: Context, project_id: str, amount: Decimal, currency: str, date: dt.date,
                   customer_id: str | None, description: str, ref: str) -> dict[str, Any]:
    """A Books expense for a Projects project (Books accepts the Projects project id on a
    legacy record), in the expense's own currency."""
    payload: dict[str, Any] = {
        "date": date, "amount": amount, "description": description[:100],
        "is_billable": customer_id is not None, "reference_number": ref, "project_id": project_id,
        **ctx.expense_account_fields(),
    }
    currency_id = _currency_id(ctx, currency)
    if currency_id:
        payload["currency_id"] = currency_id
    if customer_id:
        payload["customer_id"] = customer_id
    return payload


def _currency_id(ctx: Context, code: str) -> str | None:
    for c in ctx.books.list_currencies():
        if str(c.get("currency_code")) == code:
            return str(c["currency_id"])
    return None


def _record_in_books(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project_id: str,
    amount: Decimal, currency: str, date: dt.date, customer_id: str | None, description: str,
) -> str:
    made = ctx.books.create_expense(_books_payload(ctx, project_id, amount, currency, date,
                                                   customer_id, description, new_claim_id("BR-EXP")))
    books_id = str(made["expense_id"])
    txn = Transaction(TxnKind.EXPENSE, books_id, project_id, customer_id, Money(amount, currency),
                      str(made.get("status") or "recorded"), Side.BOOKS)
    with compensate(lambda: ctx.books.delete_expense(books_id)), ctx.store.session() as s:
        record_transaction(s, row.id, txn, now=ctx.clock.now())
    # a failed link is not the expense's failure: sync links it. Live, the Finance tab is not in
    # the public API (bridge.capabilities: live_without), so there is nothing to link.
    if ctx.offers("projects.link_transaction"):
        finance.link(projects, txn)
    return books_id


def mirror(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project_id: str,
    expense: Mapping[str, Any],
) -> tuple[str, str]:
    """Mirror one Projects expense into Books: (books id, created|updated|unchanged)."""
    pid = str(expense["id"])
    customer_id = customers.ensure_customer(ctx, row, projects, _opt(expense.get("client_id")))
    amount = round_money(Decimal(str(expense["amount"])))
    currency = str(expense.get("currency_code") or customers.currency_of(ctx, customer_id))
    payload = _books_payload(ctx, project_id, amount, currency, parse_date(expense["date"]),
                             customer_id, str(expense.get("description") or ""), reference(pid))
    payload["is_billable"] = str(expense.get("billable", True)).lower() in ("true", "1")
    fingerprint = record_fingerprint(payload)
    with ctx.store.session() as s:
        known = s.get(IdMap, (row.id, KIND, pid))
        known_books_id, known_fp = (known.books_id, known.fingerprint) if known else (None, None)
    if known_books_id is not None:
        if known_fp == fingerprint:
            return known_books_id, "unchanged"
        ctx.books.update_expense(known_books_id, {k: v for k, v in payload.items() if k != "reference_number"})
        books_id, outcome = known_books_id, "updated"
    else:
        books_id = _existing(ctx, expense) or str(ctx.books.create_expense(payload)["expense_id"])
        outcome = "created"
    if str(expense.get("books_expense_id") or "") != books_id:
        projects.update_expense(project_id, pid, {"books_expense_id": books_id})
    now = ctx.clock.now()
    # the status Books gives such an expense: it keeps whether it is billable (L9's split)
    status = "unbilled" if payload["is_billable"] else "nonbillable"
    txn = Transaction(TxnKind.EXPENSE, books_id, project_id, customer_id, Money(amount, currency),
                      status, Side.PROJECTS)
    with ctx.store.session() as s:
        put_mappings(s, [{"connection_id": row.id, "kind": KIND, "projects_id": pid, "books_id": books_id,
                              "fingerprint": fingerprint, "updated_at": now}])
        record_transaction(s, row.id, txn, projects_id=pid, now=now)
    return books_id, outcome


def _existing(ctx: Context, expense: Mapping[str, Any]) -> str | None:
    """A Books mirror an interrupted earlier run made (or one the Projects record names)."""
    if expense.get("books_expense_id"):
        return str(expense["books_expense_id"])
    ref = reference(str(expense["id"]))
    for found in ctx.books.list_expenses(reference_number=ref):
        if str(found.get("reference_number", ref)) == ref:
            return str(found["expense_id"])
    return None


def mirrors_of(ctx: Context, row: ConnectionRow, lines: Iterable[InvoiceLine]) -> dict[str, str]:
    """Projects expense id -> its Books mirror, for the expense lines already mirrored."""
    wanted = {line.expense_id for line in lines if line.expense_id}
    if not wanted:
        return {}
    with ctx.store.session() as s:
        return {pid: m.books_id for pid, m in mappings(s, row.id, KIND).items() if pid in wanted}


def ensure_mirrored(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project_id: str,
    lines: Iterable[InvoiceLine],
) -> dict[str, str]:
    """Like `mirrors_of`, mirroring into Books first the invoiced expenses not mirrored yet."""
    lines = list(lines)
    found = mirrors_of(ctx, row, lines)
    missing = {line.expense_id for line in lines if line.expense_id} - set(found)
    if missing:
        for e in projects.list_expenses(project_id):
            if str(e["id"]) in missing:
                found[str(e["id"])] = mirror(ctx, row, projects, project_id, e)[0]
    return found


def _opt(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
