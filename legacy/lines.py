"""What goes on a legacy invoice, and the line formats of the two services.

Lines come from Projects (the legacy integration never copies tasks or time into Books):
completed, billable, not yet invoiced tasks with their logged billable hours, at the task's
rate or else the project's (`bridge.billing.task_lines`), plus the project's billable
expenses of the chosen customer only (L5, `bridge.billing.expense_lines`), in the invoice's
currency (an expense in another currency cannot sit on it and waits for an invoice in its
own currency).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bridge.billing import expense_lines, refuse_if_all_billed, task_lines
from bridge.domain import InvoiceLine
from bridge.store.repo import billed_task_ids, record_fingerprint
from legacy.ledger import invoiced_expense_ids

if TYPE_CHECKING:
    from bridge.clients.projects import ProjectsClient
    from bridge.context import Context
    from bridge.store.tables import ConnectionRow


def dec(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def billable_lines(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project: Mapping[str, Any],
    currency: str, client_id: str | None, *, extra_only: bool = False,
) -> list[InvoiceLine]:
    """The lines an invoice for this project and client would carry now.

    `extra_only`: only the expense lines (a draft given its customer gains that customer's
    expenses; its task lines were fixed when it was made).
    """
    pid = str(project["id"])
    with ctx.store.session() as s:
        billed = billed_task_ids(s, row.id)
        used = invoiced_expense_ids(s, row.id)
    lines: list[InvoiceLine] = []
    if not extra_only:
        tasks = list(projects.list_tasks(pid, status="all"))
        # A task an upstream invoice holds (made in Projects, not synced yet) is billed too.
        billed |= {str(t["id"]) for t in tasks if t.get("invoiced")}
        logs = list(projects.list_timelogs(pid))
        rate = dec(project.get("rate"))
        lines = task_lines(tasks, logs, rate, billed)
        if not lines:
            refuse_if_all_billed(tasks, logs, rate, billed)
    if client_id:
        same_currency = [e for e in projects.list_expenses(pid)
                         if str(e.get("currency_code") or currency) == currency]
        lines += expense_lines(same_currency, client_id, used)
    return lines


# --- wire formats ------------------------------------------------------------------------

def books_items(
    lines: Iterable[InvoiceLine], project_id: str, expense_mirrors: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Books lines name the Projects project and task (legacy invoices do: Books then marks
    the task invoiced for Projects too) and the Books mirror of an expense, when it has one."""
    out = []
    for line in lines:
        item: dict[str, Any] = {"name": line.description[:100], "description": line.description,
                                "quantity": line.quantity, "rate": line.rate,
                                "project_id": project_id}
        if line.task_id:
            item["task_id"] = line.task_id
        if line.expense_id and line.expense_id in expense_mirrors:
            item["expense_id"] = expense_mirrors[line.expense_id]
        out.append(item)
    return out


def projects_items(lines: Iterable[InvoiceLine]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        item: dict[str, Any] = {"description": line.description, "quantity": str(line.quantity),
                                "rate": str(line.rate)}
        if line.task_id:
            item["task_id"] = line.task_id
        if line.expense_id:
            item["expense_id"] = line.expense_id
        out.append(item)
    return out


def _items(raw: Any) -> list[Mapping[str, Any]]:
    if isinstance(raw, str):
        raw = json.loads(raw or "[]")
    return list(raw or [])


def from_projects(invoice: Mapping[str, Any]) -> list[InvoiceLine]:
    return [
        InvoiceLine(
            description=str(i.get("description") or i.get("name") or ""),
            quantity=dec(i.get("quantity")) or Decimal(1), rate=dec(i.get("rate")) or Decimal(0),
            task_id=str(i["task_id"]) if i.get("task_id") else None,
            expense_id=str(i["expense_id"]) if i.get("expense_id") else None,
        )
        for i in _items(invoice.get("line_items"))
    ]


def from_books(invoice: Mapping[str, Any], known: Sequence[InvoiceLine]) -> list[InvoiceLine]:
    """Books lines carry no task or expense ids in legacy: they are kept by position from
    the lines last written (an edited line keeps the task it was for)."""
    out = []
    for n, i in enumerate(_items(invoice.get("line_items"))):
        prev = known[n] if n < len(known) else None
        out.append(InvoiceLine(
            description=str(i.get("description") or i.get("name") or ""),
            quantity=dec(i.get("quantity")) or Decimal(1), rate=dec(i.get("rate")) or Decimal(0),
            task_id=prev.task_id if prev else None, expense_id=prev.expense_id if prev else None,
        ))
    return out


def content(lines: Iterable[InvoiceLine], customer_id: str | None) -> str:
    """A hash of what a user edits on an invoice (lines and customer), comparable across
    the two services: the basis of the edit reconciliation in `legacy.mirror`."""
    return record_fingerprint({
        "customer": customer_id or "",
        "lines": [[line.description, str(line.quantity.normalize()), str(line.rate.normalize())]
                  for line in lines],
    })
