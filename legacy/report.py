"""L9: reports per project on invoices and expenses, as Books holds them.

Built from the toolkit's record (which `sync` keeps equal to Books: totals and statuses are
Books'). Totals are per currency, as Decimal strings, so the dict is JSON-able as it is.
Void invoices are listed but not counted; drafts not yet in Books are listed and counted
under `drafts` (they are not in Books' own reports).

Expenses are also split into billable and non-billable (`expense_split`, per project and
overall; each expense row says `billable`). Whether an expense is billable is the expense's
own flag, kept in the record as the Books expense status: `nonbillable` is not billable,
`unbilled` and `invoiced` are (Books' own statuses; the mirror of a Projects expense records
the status Books gives its `billable`). A row whose status says neither (one recorded by an
older toolkit as `recorded`) is asked of Books (`is_billable`); if Books no longer has it,
legacy's own rule for Books expenses decides: billable when it has a customer.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bridge.domain import TxnKind
from bridge.errors import NotFound
from bridge.store.tables import TransactionRow
from legacy.ledger import is_local
from legacy.state import recorded

if TYPE_CHECKING:
    from bridge.context import Context
    from bridge.store.tables import ConnectionRow

NOT_COUNTED = ("void",)
BILLABLE_STATUSES = ("unbilled", "invoiced")
NON_BILLABLE_STATUSES = ("nonbillable", "non-billable")
SPLIT = ("billable", "non_billable")

Totals = dict[str, dict[str, Decimal]]


def report(ctx: Context, project_id: str | None = None) -> dict[str, Any]:
    row = recorded(ctx)
    q = select(TransactionRow).where(TransactionRow.connection_id == row.id)
    if project_id is not None:
        q = q.where(TransactionRow.project_id == project_id)
    with ctx.store.session() as s:
        rows = s.execute(q.order_by(TransactionRow.project_id, TransactionRow.kind,
                                    TransactionRow.created_at, TransactionRow.books_id)).scalars().all()
    names = _project_names(ctx, row) if rows else {}
    projects: dict[str, dict[str, Any]] = {}
    grand: Totals = defaultdict(lambda: defaultdict(Decimal))
    grand_split: Totals = {k: defaultdict(Decimal) for k in SPLIT}
    for t in rows:
        p = projects.setdefault(t.project_id, {
            "project_id": t.project_id, "project_name": names.get(t.project_id, ""),
            "invoices": [], "expenses": [],
            "totals": defaultdict(lambda: defaultdict(Decimal)),
            "expense_split": {k: defaultdict(Decimal) for k in SPLIT}})
        is_invoice = t.kind == TxnKind.INVOICE.value
        entry: dict[str, Any] = {"id": t.books_id, "number": t.number, "customer_id": t.customer_id,
                                 "status": t.status, "origin": t.origin, "currency": t.currency,
                                 "total": str(Decimal(t.total))}
        if not is_invoice:
            entry["billable"] = _billable(ctx, t)
        p["invoices" if is_invoice else "expenses"].append(entry)
        if t.status in NOT_COUNTED:
            continue
        bucket = "drafts" if is_local(t.books_id) else ("invoices" if is_invoice else "expenses")
        p["totals"][bucket][t.currency] += Decimal(t.total)
        grand[bucket][t.currency] += Decimal(t.total)
        if bucket == "expenses":
            side = "billable" if entry["billable"] else "non_billable"
            p["expense_split"][side][t.currency] += Decimal(t.total)
            grand_split[side][t.currency] += Decimal(t.total)
    return {
        "portal_id": row.portal_id,
        "projects": [{**p, "totals": _plain(p["totals"]), "expense_split": _plain(p["expense_split"])}
                     for p in projects.values()],
        "totals": _plain(grand),
        "expense_split": _plain(grand_split),
    }


def _project_names(ctx: Context, row: ConnectionRow) -> dict[str, str]:
    """Project names as the portal has them now (one paged list), so a report reads by name;
    a project the portal no longer lists keeps its id only."""
    return {str(p["id"]): str(p.get("name") or "") for p in ctx.projects_of(row).list_projects()}


def _billable(ctx: Context, t: TransactionRow) -> bool:
    if t.status in BILLABLE_STATUSES:
        return True
    if t.status in NON_BILLABLE_STATUSES:
        return False
    try:
        flag = ctx.books.get_expense(t.books_id).get("is_billable")
    except NotFound:
        flag = None
    if flag is None:
        return t.customer_id is not None
    return str(flag).lower() in ("true", "1")


def _plain(totals: Totals) -> dict[str, dict[str, str]]:
    return {bucket: {cur: str(amount) for cur, amount in sorted(by.items())}
            for bucket, by in sorted(totals.items())}
