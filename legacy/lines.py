"""What goes on a legacy invoice, and the line formats of the two services.

Lines come from Projects (the legacy integration never copies tasks or time into Books):
completed, billable, not yet invoiced tasks with the hours the time rule allows
(`bridge.billing.eligibility`), at the task's rate or else the project's (`bridge.billing.task_work`),
plus the project's billable expenses of the chosen customer only (L5,
`bridge.billing.expense_work`), in the invoice's
currency (an expense in another currency cannot sit on it and waits for an invoice in its
own currency).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bridge.billing.eligibility import time_rule
from bridge.billing.lines import Selection, expense_work, refuse_if_all_billed, task_work
from bridge.clients import projects_v3 as v3
from bridge.domain import InvoiceLine
from bridge.store.repo import billed_expense_ids, billed_task_ids, record_fingerprint
from legacy.ledger import invoiced_expense_ids

if TYPE_CHECKING:
    from bridge.clients.projects import ProjectsClient
    from bridge.context import Context
    from bridge.store.tables import ConnectionRow


def dec(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def _or(value: Decimal | None, default: Decimal) -> Decimal:
    """`value` unless it is absent: a quantity or rate of 0 is a value (`or` would lose it)."""
    return default if value is None else value


def billable_lines(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project: Mapping[str, Any],
    currency: str, client_id: str | None, *, extra_only: bool = False,
) -> Selection:
    """The lines an invoice for this project and client would carry now, and what it leaves off.

    `extra_only`: only the expense lines (a draft given its customer gains that customer's
    expenses; its task lines were fixed when it was made).
    """
    pid = str(project["id"])
    with ctx.store.session() as s:
        billed = billed_task_ids(s, row.id)
        used = invoiced_expense_ids(s, row.id) | billed_expense_ids(s, row.id)
    out = Selection()
    if not extra_only:
        tasks = list(projects.list_tasks(pid, status="all"))
        # A task an upstream invoice holds (made in Projects, not synced yet) is billed too.
        billed |= {str(t["id"]) for t in tasks if t.get("invoiced")}
        logs = list(projects.list_timelogs(pid, types=v3.TASK_LOGS))  # invoices bill tasks
        rate = dec(project.get("rate"))
        rule = time_rule(projects, row.portal_id, ctx.clock.now().date())
        out = task_work(tasks, logs, rate, billed, rule)
    out += expense_work(projects.list_expenses(pid), client_id, currency, used)
    if not out.lines and not extra_only:  # all billed already: say so, naming the tasks
        refuse_if_all_billed(tasks, logs, rate, billed, rule)
    return out


# --- wire formats ------------------------------------------------------------------------

def books_items(
    lines: Iterable[InvoiceLine], project_id: str, expense_mirrors: Mapping[str, str], *, item_id: str,
) -> list[dict[str, Any]]:
    """Books lines name the Projects project and task (legacy invoices do: Books then marks
    the task invoiced for Projects too) and the Books mirror of an expense, when it has one.
    Every line names `item_id` (the profile's time item): invoices.yml requires one."""
    out = []
    for line in lines:
        item: dict[str, Any] = {"item_id": item_id, "name": line.description[:100],
                                "description": line.description,
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
            quantity=_or(dec(i.get("quantity")), Decimal(1)), rate=_or(dec(i.get("rate")), Decimal(0)),
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
            quantity=_or(dec(i.get("quantity")), Decimal(1)), rate=_or(dec(i.get("rate")), Decimal(0)),
            task_id=prev.task_id if prev else None, expense_id=prev.expense_id if prev else None,
        ))
    return out


# --- invoice header: the fields besides lines and customer that both sides carry (L6) ------

#: notes, the user's reference, invoice and due dates (ISO). Not mirrored: the invoice
#: number (each side numbers its own), status and totals (Books' alone: the accounting
#: record), currency (follows the customer), Books' `terms` (Projects has no such field).
HEAD_FIELDS = ("notes", "reference_number", "date", "due_date")
Head = dict[str, str]

# What legacy makes a Books invoice's reference_number under: its billing claim
# (`bridge.billing.claims.new_claim_id`, or PRJ-INV-<id> for one adopted from Projects).
_CLAIM_REFERENCE = re.compile(r"(BR-[0-9a-f]{20}|PRJ-INV-\d+)")


def is_claim_reference(reference: str) -> bool:
    return _CLAIM_REFERENCE.fullmatch(reference) is not None


def head_from_books(invoice: Mapping[str, Any]) -> Head:
    """The header as Books holds it. A reference that is still legacy's claim key is the
    toolkit's bookkeeping, not the user's reference: it reads as none (so it is never
    copied to Projects, and a Projects-side reference may replace it)."""
    head = {f: str(invoice.get(f) or "").strip() for f in HEAD_FIELDS}
    if is_claim_reference(head["reference_number"]):
        head["reference_number"] = ""
    for f in ("date", "due_date"):
        head[f] = head[f][:10]
    return head


def head_from_projects(invoice: Mapping[str, Any]) -> Head:
    head = {f: str(invoice.get(f) or "").strip() for f in HEAD_FIELDS}
    for f in ("date", "due_date"):
        head[f] = _iso(head[f])
    return head


def _iso(value: str) -> str:
    """Projects' MM-DD-YYYY (or an ISO date) as ISO; "" stays ""."""
    if len(value) == 10 and value[2] == "-" and value[5] == "-":
        return f"{value[6:]}-{value[:2]}-{value[3:5]}"
    return value[:10]


def head_changes(head: Head, other: Head) -> Head:
    """The fields of `head` to write to the side that holds `other`: those that differ,
    except an empty date (a side that did not answer one keeps its own)."""
    return {f: head.get(f, "") for f in HEAD_FIELDS
            if head.get(f, "") != other.get(f, "") and (head.get(f) or f not in ("date", "due_date"))}


def projects_head(changes: Head) -> dict[str, Any]:
    """Header changes as Projects takes them: as they are (v3 dates are ISO, as Books')."""
    return dict(changes)


def content(
    lines: Iterable[InvoiceLine], customer_id: str | None, head: Mapping[str, str] | None = None,
) -> str:
    """A hash of what a user edits on an invoice (lines, customer and header), comparable
    across the two services: the basis of the edit reconciliation in `legacy.mirror`.

    An empty header hashes as before the header took part, so fingerprints recorded without
    one (by `legacy.invoicing.publish` of an older toolkit) still compare."""
    record: dict[str, Any] = {
        "customer": customer_id or "",
        "lines": [[line.description, str(line.quantity.normalize()), str(line.rate.normalize())]
                  for line in lines],
    }
    set_fields = {f: v for f, v in (head or {}).items() if v}
    if set_fields:
        record["head"] = set_fields
    return record_fingerprint(record)
