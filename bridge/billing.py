"""What an invoice for a project carries, and the billed-once guarantee (L5, L8, E9).

Shared by both modes. The guarantee lives in the database: `claim_tasks` inserts one
`billed_tasks` row per task in one transaction and commits it *before* the remote invoice is
created; the primary key (connection_id, task_id) makes a second claim fail, whichever
process or side it comes from. A claim whose remote write failed is released; a confirmed
claim carries the invoice id.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bridge.domain import InvoiceLine, Side
from bridge.errors import AlreadyInvoiced, InputError
from bridge.store import Store
from bridge.store.tables import BilledTask

HOURS = Decimal(60)


def _dec(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def minutes_of(log: Mapping[str, Any]) -> int:
    """Minutes of a Projects time log (total_minutes, else hours 'HH:MM')."""
    if log.get("total_minutes") not in (None, ""):
        return int(log["total_minutes"])
    hours = str(log.get("hours", "0:00"))
    h, _, m = hours.partition(":")
    sign = -1 if h.strip().startswith("-") else 1
    return sign * (abs(int(h or 0)) * 60 + int(m or 0))


def task_lines(
    tasks: Iterable[Mapping[str, Any]],
    logs: Iterable[Mapping[str, Any]],
    project_rate: Decimal | None,
    exclude: set[str],
) -> list[InvoiceLine]:
    """One line per completed, billable, not yet billed task with logged billable time.

    Quantity is the task's logged billable hours; the rate is the task's, else the
    project's. A task with no logged time is left unbilled (nothing to charge for).
    """
    minutes: dict[str, int] = defaultdict(int)
    for log in logs:
        task = log.get("task") or {}
        task_id = str(task.get("id", "")) if isinstance(task, Mapping) else ""
        if task_id and str(log.get("bill_status", "Billable")) == "Billable":
            minutes[task_id] += minutes_of(log)
    lines = []
    for t in sorted(tasks, key=lambda t: str(t["id"])):
        tid = str(t["id"])
        if not t.get("completed") or not t.get("billable", True) or tid in exclude:
            continue
        if minutes[tid] <= 0:
            continue
        rate = _dec(t.get("rate")) or project_rate or Decimal(0)
        qty = (Decimal(minutes[tid]) / HOURS).quantize(Decimal("0.0001"))
        lines.append(InvoiceLine(description=str(t.get("name", tid)), quantity=qty, rate=rate, task_id=tid))
    return lines


def refuse_if_all_billed(
    tasks: Iterable[Mapping[str, Any]], logs: Iterable[Mapping[str, Any]],
    project_rate: Decimal | None, billed: set[str],
) -> None:
    """L8/E9: when the work an invoice would carry is all billed already, the answer is
    AlreadyInvoiced naming the tasks, not "nothing to invoice"."""
    would = [line.task_id for line in task_lines(tasks, logs, project_rate, set()) if line.task_id]
    taken = sorted(t for t in would if t in billed)
    if taken:
        raise AlreadyInvoiced(
            f"already invoiced: task {', task '.join(taken)}; a task invoiced on one side "
            "can never be invoiced again on either side"
        )


def require_lines(lines: Sequence[InvoiceLine], project_id: str) -> None:
    """An invoice with no line is refused before anything is written."""
    if not lines:
        raise InputError(
            f"nothing to invoice for project {project_id}: no completed, billable, not yet "
            "invoiced task with logged time, and no billable expense of that customer",
        )


def expense_lines(
    expenses: Iterable[Mapping[str, Any]], client_id: str | None, exclude: set[str]
) -> list[InvoiceLine]:
    """Billable expenses of the project for that client only (L5); none without a client."""
    lines = []
    for e in sorted(expenses, key=lambda e: str(e["id"])):
        eid = str(e["id"])
        if eid in exclude or not _truthy(e.get("billable", True)) or e.get("invoice_id"):
            continue
        if client_id is None or str(e.get("client_id") or "") != client_id:
            continue
        amount = Decimal(str(e["amount"]))
        desc = str(e.get("description") or f"Expense {eid}")
        lines.append(InvoiceLine(description=desc, quantity=Decimal(1), rate=amount, expense_id=eid))
    return lines


def _truthy(v: Any) -> bool:
    return v is True or str(v).lower() in ("true", "1", "yes")


#: an expense's claim key in `billed_tasks`: one table and one primary key guard tasks and
#: expenses alike against two racing invoices
EXPENSE_KEY = "expense:"


def claim_keys(lines: Iterable[InvoiceLine]) -> list[str]:
    """What an invoice claims: its tasks, and its expenses as `expense:<id>`."""
    lines = list(lines)
    return ([ln.task_id for ln in lines if ln.task_id]
            + [f"{EXPENSE_KEY}{ln.expense_id}" for ln in lines if ln.expense_id])


def _named(key: str) -> str:
    return f"expense {key.removeprefix(EXPENSE_KEY)}" if key.startswith(EXPENSE_KEY) else f"task {key}"


def claim_tasks(
    store: Store, connection_id: int, task_ids: Sequence[str], side: Side, claim: str, now: dt.datetime
) -> None:
    """Claim tasks (and expenses: `claim_keys`) for an invoice about to be made; AlreadyInvoiced
    if any is taken."""
    if not task_ids:
        return
    holder = f"{socket.gethostname()}:{os.getpid()}"
    try:
        with store.session() as s:
            s.add_all([
                BilledTask(connection_id=connection_id, task_id=t, invoice_id=claim, side=side.value,
                           state="claimed", billed_at=now, holder=holder)
                for t in task_ids
            ])
    except IntegrityError:
        with store.session() as s:
            taken = s.execute(select(BilledTask).where(
                BilledTask.connection_id == connection_id, BilledTask.task_id.in_(list(task_ids))
            )).scalars().all()
        detail = ", ".join(f"{_named(b.task_id)} (invoiced from {b.side})" for b in taken) or ", ".join(task_ids)
        raise AlreadyInvoiced(
            f"already invoiced: {detail}; what is invoiced on one side can never be invoiced again",
        ) from None


def confirm_claims(store: Store, connection_id: int, claim: str, invoice_id: str) -> None:
    with store.session() as s:
        s.execute(update(BilledTask).where(
            BilledTask.connection_id == connection_id, BilledTask.invoice_id == claim
        ).values(invoice_id=invoice_id, state="billed", holder=None))


def release_claims(store: Store, connection_id: int, claim: str) -> None:
    with store.session() as s:
        s.execute(delete(BilledTask).where(
            BilledTask.connection_id == connection_id, BilledTask.invoice_id == claim,
            BilledTask.state == "claimed",
        ))
