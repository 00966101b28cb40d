"""What the services hold that the migration judges by, read once per run (read-only calls)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from bridge.context import Context
from bridge.progress import Progress, no_progress
from bridge.store.tables import ConnectionRow

PROJECT_STATUSES = ("active", "archived")
#: the progress task of reading the services' user-visible data
SNAPSHOT = "services snapshot"


def project_ids(ctx: Context, legacy: ConnectionRow) -> list[str]:
    """Ids of the portal's projects that exist upstream (active or archived)."""
    projects = ctx.projects_of(legacy)
    ids = {str(p["id"]) for status in PROJECT_STATUSES for p in projects.list_projects(status=status)}
    return sorted(ids)


def _summary(records: Iterable[dict[str, Any]], key: str, amount: str) -> dict[str, Any]:
    """Count, totals per currency and a hash of what a user sees of these records."""
    count, totals = 0, defaultdict[str, Decimal](Decimal)
    digest = hashlib.sha256()
    for r in sorted(records, key=lambda r: str(r[key])):
        count += 1
        currency = str(r.get("currency_code", ""))
        totals[currency] += Decimal(str(r.get(amount) or 0))
        digest.update(json.dumps(
            [str(r[key]), str(r.get(amount)), currency, r.get("status"), r.get("customer_id")],
            default=str).encode())
    return {"count": count, "totals": {c: str(t) for c, t in sorted(totals.items())},
            "hash": digest.hexdigest()}


def services_snapshot(ctx: Context, legacy: ConnectionRow, projects: Sequence[str],
                      progress: Progress = no_progress) -> dict[str, Any]:
    """The user-visible data on both sides: Books invoices and expenses, each project's
    Finance view in Projects. Migration must leave all of it as it was (M3). `progress`
    counts the lists read: one per project, then the Books invoices and expenses."""
    client = ctx.projects_of(legacy)
    finance: list[dict[str, Any]] = []
    steps = len(projects) + 2
    progress(SNAPSHOT, 0, steps)
    for n, pid in enumerate(projects, 1):
        for t in client.finance(pid):
            finance.append({**t, "key": f"{pid}/{t.get('kind')}/{t.get('books_id') or t.get('projects_id')}"})
        progress(SNAPSHOT, n, steps)
    invoices = _summary(ctx.books.list_invoices(), "invoice_id", "total")
    progress(SNAPSHOT, steps - 1, steps)
    expenses = _summary(ctx.books.list_expenses(), "expense_id", "total")
    progress(SNAPSHOT, steps, steps)
    return {
        "books_invoices": invoices,
        "books_expenses": expenses,
        "projects_finance": _summary(finance, "key", "total"),
    }
