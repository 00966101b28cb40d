"""What an invoice for a project carries, and the billed-once guarantee (L5, L8, E9).

Shared by both modes. The guarantee lives in the database: `claim_tasks` inserts one
`billed_tasks` row per task in one transaction and commits it *before* the remote invoice is
created; the primary key (connection_id, task_id) makes a second claim fail, whichever
process or side it comes from. The same transaction reads `billing_gate` after its rows
are written, so a migration or rollback under way and a claim cannot pass each other. A
claim whose remote write failed is released; a confirmed claim carries the invoice id.

Which work may be billed is the rule in `bridge.billing.eligibility` (docs/BILLING.md); here it is
turned into lines (`task_work`, `expense_work`) with what each invoice leaves off.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Self

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridge.billing.eligibility import TimeRule, log_left_off, minutes_of, work_left_off
from bridge.domain import ConnectionState, InvoiceLine, LeftOff, Side
from bridge.errors import AlreadyInvoiced, InputError, NotConnected
from bridge.store import Store
from bridge.store.tables import BilledTask, ConnectionRow, MigrationRun

HOURS = Decimal(60)

def _dec(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


@dataclass
class Selection:
    """The lines an invoice may carry, and what it leaves off with the reason."""

    lines: list[InvoiceLine] = field(default_factory=list)
    left_off: list[LeftOff] = field(default_factory=list)

    def __iadd__(self, other: Selection) -> Self:
        self.lines += other.lines
        self.left_off += other.left_off
        return self


def _task_of(log: Mapping[str, Any]) -> str:
    task = log.get("task") or {}
    return str(task.get("id", "")) if isinstance(task, Mapping) else ""


def task_work(
    tasks: Iterable[Mapping[str, Any]], logs: Iterable[Mapping[str, Any]], project_rate: Decimal | None,
    billed: set[str], rule: TimeRule, *, in_books: set[str] | None = None,
) -> Selection:
    """One line per completed, billable, not yet billed task with time the rule allows.

    Quantity is the task's allowed hours; the rate is the task's, else the project's.
    `in_books`: the logs that may be billed at all (enhanced: those synced to Books as
    unbilled time entries); None for all. Logs of a task that is not billable now are not
    listed one by one: the task's own entry says why.
    """
    tasks = sorted(tasks, key=lambda t: str(t["id"]))
    open_tasks = {str(t["id"]) for t in tasks
                  if t.get("completed") and _truthy(t.get("billable", True)) and str(t["id"]) not in billed}
    minutes: dict[str, int] = defaultdict(int)
    logged: set[str] = set()
    out = Selection()
    for log in logs:
        tid = _task_of(log)
        if not tid:
            continue
        logged.add(tid)
        if tid not in open_tasks:
            continue
        refused = rule.refusal(log)
        if refused is not None:
            out.left_off.append(log_left_off(log, *refused))
        elif in_books is not None and str(log.get("id")) not in in_books:
            out.left_off.append(log_left_off(log, "timesheet_not_in_books"))
        else:
            minutes[tid] += minutes_of(log)
    for t in tasks:
        tid, name = str(t["id"]), str(t.get("name", t["id"]))
        code = ("task_not_completed" if not t.get("completed") else
                "task_not_billable" if not _truthy(t.get("billable", True)) else
                "task_already_invoiced" if tid in billed else
                "task_no_billable_time" if minutes[tid] <= 0 else None)
        if code is not None:
            if tid in logged or code == "task_already_invoiced":
                out.left_off.append(work_left_off("task", tid, name, code))
            continue
        rate = _dec(t.get("rate")) or project_rate
        if rate is None or rate <= 0:  # never a line at 0 because no rate was found
            out.left_off.append(work_left_off("task", tid, name, "task_rate_unknown"))
            continue
        qty = (Decimal(minutes[tid]) / HOURS).quantize(Decimal("0.0001"))
        out.lines.append(InvoiceLine(description=name, quantity=qty, rate=rate, task_id=tid))
    return out


def refuse_if_all_billed(
    tasks: Iterable[Mapping[str, Any]], logs: Iterable[Mapping[str, Any]],
    project_rate: Decimal | None, billed: set[str], rule: TimeRule,
) -> None:
    """L8/E9: when the work an invoice would carry is all billed already, the answer is
    AlreadyInvoiced naming the tasks, not "nothing to invoice"."""
    would = [line.task_id for line in task_work(tasks, logs, project_rate, set(), rule).lines if line.task_id]
    taken = sorted(t for t in would if t in billed)
    if taken:
        raise AlreadyInvoiced(
            f"already invoiced: task {', task '.join(taken)}; a task invoiced on one side "
            "can never be invoiced again on either side"
        )


def require_lines(selection: Selection, project_id: str) -> None:
    """An invoice with no line is refused before anything is written, saying what was left off."""
    if not selection.lines:
        why = "; ".join(f"{x.kind} {x.record_id}: {x.code}" for x in selection.left_off[:10])
        more = f" (+{len(selection.left_off) - 10} more)" if len(selection.left_off) > 10 else ""
        raise InputError(
            f"nothing to invoice for project {project_id}: no completed, billable, not yet "
            "invoiced task with billable time, and no billable expense of that customer"
            + (f"; left off: {why}{more}" if why else ""),
        )


def expense_work(
    expenses: Iterable[Mapping[str, Any]], client_id: str | None, currency: str, exclude: set[str],
) -> Selection:
    """Billable expenses of the project for that client and currency only (L5); none without
    a client. An expense in another currency waits for an invoice in its own."""
    out = Selection()
    for e in sorted(expenses, key=lambda e: str(e["id"])):
        eid = str(e["id"])
        desc = str(e.get("description") or f"Expense {eid}")
        code = ("expense_already_invoiced" if eid in exclude or e.get("invoice_id") else
                "expense_not_billable" if not _truthy(e.get("billable", True)) else
                "expense_no_customer" if client_id is None else
                "expense_other_customer" if str(e.get("client_id") or "") != client_id else
                "expense_other_currency" if str(e.get("currency_code") or currency) != currency else None)
        if code is not None:
            if code != "expense_other_customer":  # another customer's expense is not this invoice's news
                out.left_off.append(work_left_off("expense", eid, desc, code))
            continue
        amount = Decimal(str(e["amount"]))
        out.lines.append(InvoiceLine(description=desc, quantity=Decimal(1), rate=amount, expense_id=eid))
    return out


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
    if any is taken, NotConnected if the connection may not bill now (`billing_gate`)."""
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
            s.flush()  # the rows first: the write lock is held before the gate is read
            refusal = billing_gate(s, connection_id)
            if refusal is not None:
                raise NotConnected(refusal)
    except IntegrityError:
        with store.session() as s:
            taken = s.execute(select(BilledTask).where(
                BilledTask.connection_id == connection_id, BilledTask.task_id.in_(list(task_ids))
            )).scalars().all()
        detail = ", ".join(f"{_named(b.task_id)} (invoiced from {b.side})" for b in taken) or ", ".join(task_ids)
        raise AlreadyInvoiced(
            f"already invoiced: {detail}; what is invoiced on one side can never be invoiced again",
        ) from None


def billing_gate(s: Session, connection_id: int) -> str | None:
    """Why this connection may not bill now, or None. Read in the claim's own transaction, so
    a migration or rollback that starts (it locks the same connection row) is either seen
    here or sees the claim: a legacy connection under migration and an enhanced one being
    rolled back bill nothing, whatever the order of the calls."""
    state = s.execute(select(ConnectionRow.state).where(ConnectionRow.id == connection_id)
                      .with_for_update(read=True)).scalar_one_or_none()
    if state != ConnectionState.CONNECTED:
        return f"the integration is {state or 'gone'}; it cannot invoice"
    run = s.execute(select(MigrationRun.id, MigrationRun.state).where(or_(
        and_(MigrationRun.source_connection_id == connection_id, MigrationRun.state != "rolled_back"),
        and_(MigrationRun.target_connection_id == connection_id, MigrationRun.state == "rolling_back"),
    )).limit(1)).first()
    if run is not None:
        return (f"migration {run.id} is {run.state}: the connection it "
                f"{'moves from' if run.state != 'rolling_back' else 'rolls back'} cannot invoice")
    return None


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
