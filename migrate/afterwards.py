"""What happens after a migration, as a scenario's `after_migration` operations say (M5, L8).

The operations run through the enhanced integration (re-enable, sync, invoice...); a
`rollback` operation rolls the migration back, and the operations after it run through the
legacy integration again. The steps, and every live Books invoice at the end with the work
it bills, and the time Books could still bill, are the outcome the golden files keep: money
billed twice across a rollback shows there as two invoices carrying the same task, or as
time left billable in Books for a task legacy billed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bridge.context import Context
from bridge.domain import round_money
from bridge.modes import open_integration
from bridge.scenarios.driver import ScenarioFailed, Step, run_scenario
from bridge.scenarios.replay import upstream_client
from migrate.rollback import rollback_migration

ROLLBACK = "rollback"


def run_afterwards(scenario: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """Replay `after_migration` on a migrated store; the steps and the Books invoices after."""
    steps: list[dict[str, Any]] = []
    mode = "enhanced"
    segment: list[Mapping[str, Any]] = []
    for op in [*scenario.get("after_migration", ()), None]:
        if op is not None and op["op"] != ROLLBACK:
            segment.append(op)
            continue
        failed = _run_segment(scenario, ctx, mode, segment, steps)
        segment = []
        if failed or op is None:
            break
        out = rollback_migration(ctx)
        steps.append({"op": ROLLBACK, "mode": mode, "outcome": "ok",
                      "carried_back": sorted(c["key"] for c in out["carried_back"])})
        mode = "legacy"
    return {"steps": steps, "books_invoices": books_invoices(ctx),
            "books_billable_time": billable_time(ctx)}


def _run_segment(scenario: Mapping[str, Any], ctx: Context, mode: str,
                 ops: list[Mapping[str, Any]], steps: list[dict[str, Any]]) -> bool:
    """Run ops through one mode; True when one failed unexpectedly (the rest is not run)."""
    if not ops:
        return False
    integration = open_integration(mode, ctx)
    try:
        result = run_scenario({**scenario, "operations": ops}, integration, upstream_client(ctx, scenario))
    except ScenarioFailed as exc:
        steps += [_step(mode, s) for s in exc.result.steps]
        return True
    steps += [_step(mode, s) for s in result.steps]
    return False


def _step(mode: str, step: Step) -> dict[str, Any]:
    data = {k: v for k, v in step.data.items() if k in ("total", "currency", "lines", "status")}
    out: dict[str, Any] = {"op": step.op, "mode": mode, "outcome": step.outcome, **data}
    if step.outcome != "ok":
        out["error"] = step.detail.split(":", 1)[0]
    return out


def billable_time(ctx: Context) -> list[str]:
    """The Books time entries Books could still bill (unbilled and billable), by their notes:
    after a rollback, none of the enhanced sync's may be left for legacy to bill again."""
    return sorted(str(e.get("notes") or e.get("time_entry_id"))
                  for e in ctx.books.list_time_entries(filter_by="Status.Unbilled"))


def books_invoices(ctx: Context) -> list[dict[str, Any]]:
    """Every Books invoice that is not void: total, currency and what each line bills."""
    out = []
    for summary in ctx.books.list_invoices():
        inv = ctx.books.get_invoice(str(summary["invoice_id"]))
        if inv.get("status") == "void":
            continue
        out.append({"total": str(round_money(Decimal(str(inv.get("total") or 0)))),
                    "currency": inv.get("currency_code"),
                    "lines": sorted(str(li.get("name") or li.get("description")) for li in inv.get("line_items", []))})
    return sorted(out, key=lambda i: (i["lines"], i["total"]))
