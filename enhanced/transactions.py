"""E9: invoices and expenses for synced projects, on either side, visible on both at once.

An invoice bills the project's completed, billable, not yet billed tasks with the time
synced to Books as unbilled time entries (bridge.billing.lines computes the lines; each line
carries the entries' `time_entry_ids` so Books marks them invoiced), plus the project's
billable Projects expenses for that customer not yet invoiced. Tasks are claimed in the
store before any remote write (bridge.billing.claims), so a task is billed once across sides.

The Books record is always made first, with the claim as its reference number (a lost
answer is looked up, never made twice); then the Projects side: a Books-side invoice is
linked into the project's Finance tab, a Projects-side one is created there carrying
`books_invoice_id`. Both sides see it at once, and the store keeps the pair.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bridge.billing import lines as billing
from bridge.billing.claims import claimed, compensate, new_claim_id, settle_stale, withdraw_invoice
from bridge.billing.eligibility import time_rule
from bridge.billing.lines import confirm_claims
from bridge.clients import projects_v3 as v3
from bridge.context import Context
from bridge.domain import (
    Expense,
    Invoice,
    InvoiceLine,
    Money,
    Side,
    Transaction,
    TxnKind,
    lines_total,
)
from bridge.errors import InputError
from bridge.store import repo
from bridge.store.tables import ConnectionRow, InvoiceLineRow, TransactionRow
from enhanced.setup import connection_row
from enhanced.sync import maps


def enabled_connection(ctx: Context) -> ConnectionRow:
    row = connection_row(ctx)
    repo.require_enabled(row)
    return row


def books_project(ctx: Context, row: ConnectionRow, project_id: str) -> str:
    with ctx.store.session() as s:
        books_pid = repo.books_id_for(s, row.id, "project", project_id)
    if books_pid is None:
        raise InputError(
            f"project {project_id} is not synced to Books",
            hint="run `bpbridge enhanced sync`; `bpbridge enhanced errors --details` says why a project is missing",
        )
    return books_pid


def project_customer(ctx: Context, books_pid: str, customer_id: str | None) -> tuple[str, str]:
    """(Books contact id, its currency): the one given, else the project's customer."""
    customer = customer_id or str(ctx.books.get_project(books_pid).get("customer_id") or "")
    if not customer:
        raise InputError("the project has no customer in Books; pass --customer")
    contact = ctx.books.get_contact(customer)
    return customer, str(contact.get("currency_code") or "")


def _client_of(ctx: Context, row: ConnectionRow, customer: str) -> str | None:
    with ctx.store.session() as s:
        return repo.projects_id_for(s, row.id, "customer", customer)


def _books_expenses(ctx: Context, books_pid: str, customer: str) -> list[dict[str, Any]]:
    """The project's unbilled billable Books expenses, in the shape `billing.expense_lines` reads."""
    return [{"id": str(e["expense_id"]), "client_id": str(e.get("customer_id") or ""),
             "amount": e.get("total", e.get("amount")), "description": e.get("description", ""),
             "billable": e.get("is_billable", True), "invoice_id": e.get("invoice_id")}
            for e in ctx.books.list_expenses(project_id=books_pid) if e.get("status") == "unbilled"]


def invoice_lines(ctx: Context, row: ConnectionRow, project_id: str, books_pid: str,
                  customer: str, currency: str) -> billing.Selection:
    projects = ctx.projects_of(row)
    unbilled = {str(e["time_entry_id"]) for e in
                ctx.books.list_time_entries(project_id=books_pid, filter_by="Status.Unbilled")}
    entry_of = {lid: m.books_id for lid, m in maps.load(ctx.store, row.id, "time_entry").items()
                if m.books_id in unbilled}
    all_logs = list(projects.list_timelogs(project_id, types=v3.TASK_LOGS))  # invoices bill tasks
    entries_by_task: dict[str, list[str]] = defaultdict(list)
    for log in all_logs:
        task = log.get("task")
        if str(log["id"]) in entry_of and isinstance(task, dict) and task.get("id"):
            entries_by_task[str(task["id"])].append(entry_of[str(log["id"])])
    with ctx.store.session() as s:
        billed = repo.billed_task_ids(s, row.id)
        invoiced_expenses = set(s.execute(select(InvoiceLineRow.expense_id).where(
            InvoiceLineRow.connection_id == row.id, InvoiceLineRow.expense_id.is_not(None))).scalars())
        used = {e for e in invoiced_expenses if e} | repo.billed_expense_ids(s, row.id)
    tasks, project_rate = books_rates(ctx, row, books_pid, list(projects.list_tasks(project_id)))
    # a task a Projects-side invoice holds (made before this connection, or by legacy) is billed
    billed |= {str(t["id"]) for t in tasks if t.get("invoiced")}
    # the same rule as legacy (bridge.billing.eligibility), and only time Books holds as unbilled
    rule = time_rule(projects, row.portal_id, ctx.clock.now().date())
    work = billing.task_work(tasks, all_logs, project_rate, billed, rule, in_books=set(entry_of))
    work.lines = [InvoiceLine(ln.description, ln.quantity, ln.rate, ln.task_id, None,
                              tuple(sorted(entries_by_task.get(ln.task_id or "", ())))) for ln in work.lines]
    # Expenses recorded in Projects, for that customer only (L5's rule, kept so that moving to
    # enhanced changes no invoice): those only in Projects, and the Books copies of those this
    # integration recorded, billed by their Books expense_id so Books marks them invoiced (E9).
    # An expense recorded natively in Books is left for the user to add in Books.
    # live, the public API has no Projects-side expenses (bridge.capabilities: live_without)
    in_projects = list(projects.list_expenses(project_id)) if ctx.offers("projects.list_expenses") else []
    twins = {str(e["books_expense_id"]) for e in in_projects if e.get("books_expense_id")}
    work += billing.expense_work([e for e in in_projects if not e.get("books_expense_id")],
                                 _client_of(ctx, row, customer), currency, used)
    work += billing.expense_work([e for e in _books_expenses(ctx, books_pid, customer) if e["id"] in twins],
                                 customer, currency, used)
    if not work.lines:  # all billed already: say so, naming the tasks
        billing.refuse_if_all_billed(tasks, all_logs, project_rate, billed, rule)
    return work


def books_rates(ctx: Context, row: ConnectionRow, books_pid: str,
                tasks: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Decimal | None]:
    """The rates an enhanced invoice bills at come from Books (docs/BILLING.md): the Books
    task's rate, else the Books project's. The sync brings them from Projects where the sandbox
    has them; the public Projects API has none, so live they are what is set in Books."""
    books_task = {m.books_id: pid for pid, m in maps.load(ctx.store, row.id, "task").items()}
    rates = {books_task[str(t["task_id"])]: t.get("rate") for t in ctx.books.list_tasks(books_pid)
             if str(t["task_id"]) in books_task}
    project_rate = ctx.books.get_project(books_pid).get("rate")
    out = [{**t, "rate": rates.get(str(t["id"])) or None} for t in tasks]
    return out, _positive(project_rate)


def _positive(value: Any) -> Decimal | None:
    amount = Decimal(str(value)) if value not in (None, "") else None
    return amount if amount is not None and amount > 0 else None


def _books_line(line: InvoiceLine, books_pid: str, books_expenses: set[str], item_id: str) -> dict[str, Any]:
    # every line names the profile's time item: invoices.yml requires item_id
    out: dict[str, Any] = {"item_id": item_id, "name": line.description[:100], "description": line.description,
                           "quantity": line.quantity, "rate": line.rate, "project_id": books_pid}
    if line.time_entry_ids:
        out["time_entry_ids"] = list(line.time_entry_ids)
    if line.expense_id in books_expenses:
        out["expense_id"] = line.expense_id
    return out


def _projects_line(line: InvoiceLine, projects_expense: dict[str, str]) -> dict[str, Any]:
    """A line as the Projects side holds it: an expense by its Projects id, when it has one."""
    out: dict[str, Any] = {"description": line.description, "quantity": str(line.quantity), "rate": str(line.rate)}
    if line.task_id:
        out["task_id"] = line.task_id
    if line.expense_id:
        # a Books expense by its Projects twin, when it has one; a Projects expense as it is
        twin = projects_expense.get(line.expense_id, line.expense_id)
        if twin:
            out["expense_id"] = twin
    return out


def _projects_expense_ids(ctx: Context, row: ConnectionRow) -> dict[str, str]:
    with ctx.store.session() as s:
        return {t.books_id: t.projects_id or "" for t in s.execute(select(TransactionRow).where(
            TransactionRow.connection_id == row.id, TransactionRow.kind == TxnKind.EXPENSE.value)).scalars()}


def create_invoice(ctx: Context, project_id: str, customer_id: str | None, side: Side) -> Invoice:
    row = enabled_connection(ctx)
    item_id = ctx.invoice_item_id()  # refused here, before either side is written
    settle_stale(ctx, row.id)  # tasks a killed run claimed, but never invoiced, are free again
    books_pid = books_project(ctx, row, project_id)
    customer, currency = project_customer(ctx, books_pid, customer_id)
    work = invoice_lines(ctx, row, project_id, books_pid, customer, currency)
    billing.require_lines(work, project_id)
    lines = work.lines
    books_expenses = {str(e["id"]) for e in _books_expenses(ctx, books_pid, customer)}
    now = ctx.clock.now()
    projects = ctx.projects_of(row)
    with claimed(ctx.store, row.id, billing.claim_keys(lines), side, now, new_claim_id("EN")) as claim:
        made = ctx.books.create_invoice({
            "customer_id": customer, "reference_number": claim, "date": now.date().isoformat(),
            "line_items": [_books_line(ln, books_pid, books_expenses, item_id) for ln in lines],
        })
        books_id, number = str(made["invoice_id"]), str(made.get("invoice_number") or "")
        total = lines_total(lines, currency)
        status = str(made.get("status") or "draft")
        projects_id = None
        # on both sides or on neither: if the Projects side or our record fails, the Books
        # invoice is withdrawn (its time entries and expenses come back) and the claims go
        with compensate(lambda: withdraw_invoice(ctx.books, books_id)):
            if side is Side.PROJECTS:
                expense_ids = _projects_expense_ids(ctx, row)
                pinv = projects.create_invoice(project_id, {
                    "client_id": _client_of(ctx, row, customer) or "", "currency_code": currency,
                    "books_invoice_id": books_id, "line_items": [_projects_line(ln, expense_ids) for ln in lines],
                })
                projects_id = str(pinv.get("id") or "")
            else:
                link_in_finance(ctx, row, project_id, "invoice", books_id, number, total, status, side, None)
            txn = Transaction(TxnKind.INVOICE, books_id, project_id, customer, total, status, side, number)
            with ctx.store.session() as s:
                repo.record_transaction(s, row.id, txn, lines, projects_id=projects_id, now=now)
        confirm_claims(ctx.store, row.id, claim, books_id)
    return Invoice(books_id, project_id, customer, currency, status, side, tuple(lines), number,
                   left_off=tuple(work.left_off))


def link_in_finance(ctx: Context, row: ConnectionRow, project_id: str, kind: str, books_id: str,
                    number: str, total: Money, status: str, side: Side, projects_id: str | None) -> None:
    """Show a Books transaction in the project's Finance tab (idempotent on kind + Books id).
    Live, the Finance tab is not in the public API (bridge.capabilities: live_without): the
    vendor's own integration shows Books transactions of synced projects there."""
    if not ctx.offers("projects.link_transaction"):
        return
    ctx.projects_of(row).link_transaction(project_id, {
        "kind": kind, "books_id": books_id, "projects_id": projects_id or "", "number": number,
        "total": str(total.amount), "currency_code": total.currency, "status": status, "origin": side.value,
    })


def record_expense(ctx: Context, project_id: str, amount: Decimal, date: dt.date, customer_id: str | None,
                   description: str, side: Side) -> Expense:
    row = enabled_connection(ctx)
    books_pid = books_project(ctx, row, project_id)
    customer, currency = project_customer(ctx, books_pid, customer_id)
    money = Money.of(amount, currency)
    now = ctx.clock.now()
    made = ctx.books.create_expense({
        "date": date.isoformat(), "amount": money.amount, "project_id": books_pid,
        "customer_id": customer, "currency_code": currency, "is_billable": True,
        "description": description, "reference_number": new_claim_id("EX"),
        **ctx.expense_account_fields(),
    })
    books_id = str(made["expense_id"])
    status = str(made.get("status") or "unbilled")  # Books' own word for it, as both sides show it
    projects_id: str | None = None
    # visible on both sides or on neither: if the Projects side or our record fails, the
    # Books expense goes again (a rerun would otherwise make a second one)
    with compensate(lambda: ctx.books.delete_expense(books_id)):
        if side is Side.PROJECTS:
            pexp = ctx.projects_of(row).create_expense(project_id, {
                "client_id": _client_of(ctx, row, customer) or "", "amount": str(money.amount),
                "currency_code": currency, "date": date, "description": description, "billable": True,
                "books_expense_id": books_id,
            })
            projects_id = str(pexp.get("id") or "")
        else:
            link_in_finance(ctx, row, project_id, "expense", books_id, "", money, status, side, None)
        txn = Transaction(TxnKind.EXPENSE, books_id, project_id, customer, money, status, side)
        with ctx.store.session() as s:
            repo.record_transaction(s, row.id, txn, projects_id=projects_id, now=now)
    return Expense(projects_id or books_id, project_id, customer, money, date, description, True, side)


def finalize_invoice(ctx: Context, invoice_id: str, customer_id: str) -> Invoice:
    """Give an invoice (its Books id) the customer; enhanced invoices already have one, so
    this only changes it when another is asked for."""
    row = enabled_connection(ctx)
    with ctx.store.session() as s:
        txn = s.get(TransactionRow, (row.id, TxnKind.INVOICE.value, invoice_id))
        if txn is None:
            raise InputError(f"invoice {invoice_id} was not made by this integration")
        if txn.customer_id != customer_id:
            ctx.books.update_invoice(invoice_id, {"customer_id": customer_id})
            txn.customer_id = customer_id
        lines = repo.lines_of(s, row.id, invoice_id)
        return Invoice(invoice_id, txn.project_id, customer_id, txn.currency, txn.status,
                       Side(txn.origin), tuple(lines), txn.number)


def transactions(ctx: Context, project_id: str) -> list[Transaction]:
    row = connection_row(ctx)
    with ctx.store.session() as s:
        return repo.project_transactions(s, row.id, project_id)
