"""M2: a dry run. Reads the legacy state and the services, writes nothing, and says per
kind what would be carried over, what left out and why, what changes, and the API calls."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from bridge.budget import CallBudget, pages
from bridge.context import Context
from bridge.store.keyset import key_batches
from bridge.store.tables import TransactionRow
from migrate import upstream
from migrate.convert import Converter, LeftOut
from migrate.kinds import KINDS
from migrate.run import find_migration
from migrate.upstream import PROJECT_STATUSES as PROJECT_PLAN_STATUSES

EXAMPLES = 20


@dataclass
class Plan:
    portal_id: str
    state: str  # what a run would do: migrate | resume | nothing (already done)
    create: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, dict[str, int]] = field(default_factory=dict)
    examples: list[dict[str, str]] = field(default_factory=list)
    change: list[str] = field(default_factory=list)
    calls: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def plan_migration(ctx: Context, *, batch: int = 5000, plan: str = "premium", services: bool = True) -> Plan:
    legacy, run = find_migration(ctx)
    state = {"done": "nothing", "running": "resume"}.get(run.state if run else "", "migrate")
    result = Plan(portal_id=legacy.portal_id, state=state)
    projects = upstream.project_ids(ctx, legacy)
    converter = Converter(0, "plan", frozenset(projects), set())
    for kind in KINDS:
        created, left = 0, Counter[str]()
        for rows in key_batches(ctx.store, kind.table, kind.key, {"connection_id": legacy.id}, batch):
            for row in rows:
                verdict = converter.convert(kind, row)
                if isinstance(verdict, LeftOut):
                    left[verdict.reason_code] += 1
                    key = kind.key_text(kind.key_of(row))
                    if kind.name == "transactions" and row.kind == "invoice":
                        converter.left_out_invoices.add(row.books_id)
                    if len(result.examples) < EXAMPLES:
                        result.examples.append({"kind": kind.name, "key": key, "reason_code": verdict.reason_code,
                                                "reason": verdict.reason})
                else:
                    created += 1
        result.create[kind.name] = created
        if left:
            result.left_out[kind.name] = dict(left)
    result.change = [
        f"legacy connection to portal {legacy.portal_id}: {legacy.state} -> migrated",
        f"enhanced connection to portal {legacy.portal_id}: created disabled; re-enable it with that portal (M6)",
    ]
    result.calls = _budget(ctx, legacy.id, projects, services).describe(plan)
    return result


def _budget(ctx: Context, legacy_id: int, projects: list[str], services: bool) -> CallBudget:
    """The calls a run makes: reads only (the migration writes nothing to the services)."""
    budget = CallBudget()
    # one listing per project status, paged until a short or empty page
    for _ in PROJECT_PLAN_STATUSES:
        budget.add("projects", "list projects", pages(len(projects), empty_page_ends=True))
    if not services:
        return budget
    t = TransactionRow.__table__.c
    with ctx.store.engine.connect() as c:
        per_kind: dict[str, int] = dict(c.execute(select(t.kind, func.count()).where(t.connection_id == legacy_id)
                                  .group_by(t.kind)).all())
        linked = set(c.execute(select(t.project_id).where(t.connection_id == legacy_id).distinct()).scalars())
    linked_projects = len(linked & set(projects))  # deleted projects have no Finance view to read
    # a snapshot before the run, and one more by verify
    for _ in range(2):
        budget.add("books", "list invoices", pages(per_kind.get("invoice", 0)))
        budget.add("books", "list expenses", pages(per_kind.get("expense", 0)))
        budget.add("projects", "finance views", linked_projects)
    return budget
