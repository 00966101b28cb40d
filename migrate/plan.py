"""M2: a dry run. Reads the legacy state and the services, writes nothing, and says record by
record what would be carried over, what left out and why, what changes, and the API calls.

One pass over the legacy scope in key order: each row is converted as a run would, hashed
into the plan's checksum (migrate.checksum) and handed to the plan's sections. A plan keeps
at most `limit` rows of each section in memory; a sink (migrate.plan_file) gets them all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, select

from bridge.call_budget import CallBudget, pages
from bridge.context import Context
from bridge.store.keyset import key_batches, raw_table
from bridge.store.tables import TransactionRow
from migrate.checksum import Checksum, PartDigest, run_inputs, side_parts
from migrate.convert import Converter, LeftOut
from migrate.kinds import KINDS, Kind
from migrate.run import find_migration
from migrate.upstream import PROJECT_STATUSES as PROJECT_PLAN_STATUSES

#: the plan's record lists, in the order they are shown and saved
SECTIONS = ("invoices", "expenses", "other_transactions", "billed_tasks", "left_out")
DEFAULT_LIMIT = 50
CENT = Decimal("0.01")


class Sink(Protocol):
    def add(self, section: str, record: dict[str, Any]) -> None: ...


@dataclass
class Section:
    count: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Plan:
    portal_id: str
    state: str  # what a run would do: migrate | resume | nothing (already done)
    limit: int | None = DEFAULT_LIMIT  # rows kept per section; None keeps all
    create: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, dict[str, int]] = field(default_factory=dict)
    change: list[str] = field(default_factory=list)
    calls: dict[str, Any] = field(default_factory=dict)
    checksum: Checksum | None = None
    sections: dict[str, Section] = field(default_factory=lambda: {name: Section() for name in SECTIONS})

    @property
    def examples(self) -> list[dict[str, Any]]:
        return self.sections["left_out"].rows

    def wants(self, section: str) -> bool:
        """Whether the next record of `section` is kept (so only those are built)."""
        return self.limit is None or len(self.sections[section].rows) < self.limit

    def header(self) -> dict[str, Any]:
        """Everything but the record lists: counts, changes, calls, checksum."""
        assert self.checksum is not None
        return {"portal_id": self.portal_id, "state": self.state, "checksum": self.checksum.to_json(),
                "create": self.create, "left_out": self.left_out, "change": self.change, "calls": self.calls}

    def to_json(self) -> dict[str, Any]:
        return {**self.header(), "limit": self.limit,
                "records": {name: {"count": s.count, "rows": s.rows} for name, s in self.sections.items()}}


def money(amount: Any, currency: str) -> dict[str, str]:
    # the driver's value: a canonical string on SQLite, a Decimal on PostgreSQL
    return {"amount": str(Decimal(str(amount)).quantize(CENT)), "currency": currency}


def _section(kind: Kind, row: Any) -> str | None:
    """The list a carried row is shown in (id maps and invoice lines are only counted)."""
    if kind.name == "transactions":
        return {"invoice": "invoices", "expense": "expenses"}.get(row.kind, "other_transactions")
    return "billed_tasks" if kind.name == "billed_tasks" else None


def _record(section: str, row: Any) -> dict[str, Any]:
    if section == "billed_tasks":
        return {"task_id": row.task_id, "invoice_id": row.invoice_id, "side": row.side, "state": row.state}
    total = money(row.total, row.currency)
    if section == "invoices":
        return {"invoice_id": row.books_id, "number": row.number, "customer_id": row.customer_id,
                "project_id": row.project_id, "status": row.status, "origin": row.origin, "total": total}
    if section == "expenses":
        return {"expense_id": row.books_id, "project_id": row.project_id, "customer_id": row.customer_id,
                "status": row.status, "total": total}
    return {"kind": row.kind, "transaction_id": row.books_id, "number": row.number, "customer_id": row.customer_id,
            "project_id": row.project_id, "status": row.status, "total": total}


def plan_migration(
    ctx: Context, *, batch: int = 5000, plan: str = "premium", services: bool = True,
    limit: int | None = DEFAULT_LIMIT, sink: Sink | None = None,
) -> Plan:
    ctx.require("migrate: plan")  # refused live before any call if it needs the sandbox
    legacy, run = find_migration(ctx)
    state = {"done": "nothing", "running": "resume"}.get(run.state if run else "", "migrate")
    result = Plan(portal_id=legacy.portal_id, state=state, limit=limit)
    # what a run would convert with: a resumed run keeps the projects it recorded
    projects, source_state = run_inputs(ctx, legacy, run)
    converter = Converter(0, "plan", frozenset(projects), set())

    def counted(section: str) -> bool:
        """Count a record of `section`; whether to build it (kept, or saved by the sink)."""
        result.sections[section].count += 1
        return sink is not None or result.wants(section)

    def put(section: str, record: dict[str, Any]) -> None:
        if result.wants(section):
            result.sections[section].rows.append(record)
        if sink is not None:
            sink.add(section, record)

    parts: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        raw = raw_table(kind.table)
        created, left, digest = 0, Counter[str](), PartDigest.for_table(raw)
        # raw rows: what the run copies and what `run --plan` hashes, value for value
        for rows in key_batches(ctx.store, raw, kind.key, {"connection_id": legacy.id}, batch):
            for row in rows:
                digest.add(row)
                verdict = converter.convert(kind, row)
                if isinstance(verdict, LeftOut):
                    left[verdict.reason_code] += 1
                    if kind.name == "transactions" and row.kind == "invoice":
                        converter.left_out_invoices.add(row.books_id)
                    if counted("left_out"):
                        put("left_out", {"kind": kind.name, "key": kind.key_text(kind.key_of(row)),
                                         "reason_code": verdict.reason_code, "reason": verdict.reason})
                    continue
                created += 1
                section = _section(kind, row)
                if section is not None and counted(section):
                    put(section, _record(section, row))
        parts[kind.name] = digest.to_json()
        result.create[kind.name] = created
        if left:
            result.left_out[kind.name] = dict(left)
    result.checksum = Checksum({**parts, **side_parts(legacy, projects, source_state)})
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
        budget.add("projects", "list projects", pages(len(projects)))
    if not services:
        return budget
    t = TransactionRow.__table__.c
    with ctx.store.connect() as c:
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
