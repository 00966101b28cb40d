"""L9: reports per project on invoices and expenses, as Books holds them.

Built from the toolkit's record (which `sync` keeps equal to Books: totals and statuses are
Books'). Totals are per currency, as Decimal strings, so the dict is JSON-able as it is.
Void invoices are listed but not counted; drafts not yet in Books are listed and counted
under `drafts` (they are not in Books' own reports).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bridge.domain import TxnKind
from bridge.store.tables import TransactionRow
from legacy.ledger import is_local
from legacy.state import recorded

if TYPE_CHECKING:
    from bridge.context import Context

NOT_COUNTED = ("void",)


def report(ctx: Context, project_id: str | None = None) -> dict[str, Any]:
    row = recorded(ctx)
    q = select(TransactionRow).where(TransactionRow.connection_id == row.id)
    if project_id is not None:
        q = q.where(TransactionRow.project_id == project_id)
    with ctx.store.session() as s:
        rows = s.execute(q.order_by(TransactionRow.project_id, TransactionRow.kind,
                                    TransactionRow.created_at, TransactionRow.books_id)).scalars().all()
    projects: dict[str, dict[str, Any]] = {}
    grand: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for t in rows:
        p = projects.setdefault(t.project_id, {"project_id": t.project_id, "invoices": [],
                                               "expenses": [], "totals": defaultdict(lambda: defaultdict(Decimal))})
        entry = {"id": t.books_id, "number": t.number, "customer_id": t.customer_id,
                 "status": t.status, "origin": t.origin, "currency": t.currency,
                 "total": str(Decimal(t.total))}
        p["invoices" if t.kind == TxnKind.INVOICE.value else "expenses"].append(entry)
        if t.status in NOT_COUNTED:
            continue
        bucket = "drafts" if is_local(t.books_id) else ("invoices" if t.kind == TxnKind.INVOICE.value else "expenses")
        p["totals"][bucket][t.currency] += Decimal(t.total)
        grand[bucket][t.currency] += Decimal(t.total)
    return {
        "portal_id": row.portal_id,
        "projects": [{**p, "totals": _plain(p["totals"])} for p in projects.values()],
        "totals": _plain(grand),
    }


def _plain(totals: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, str]]:
    return {bucket: {cur: str(amount) for cur, amount in sorted(by.items())}
            for bucket, by in sorted(totals.items())}
