"""Replay a scenario's operations through the shared interface (S1, C1).

The driver holds an `Integration` and a Projects client and never asks which mode it drives.
Upstream changes (`complete_task`, `log_time`, `delete_project`) go straight to Projects, as
a Projects user would make them; every other op goes through the integration. The caller
seeds the services and validates the scenario (`bridge.scenarios.fixtures.load_scenario`) first.

Each op becomes one `Step` with an outcome:
- `ok`: the call returned;
- `refused`: the call raised the `BridgeError` the op's `expect_error` names (matched,
  case-insensitively, against the error's class name, its bases' names and its message);
- `not_applicable`: a `set_preferences` op on an integration that is not `HasPreferences`
  (only the enhanced integration has preferences, E3; bridge/interface.py declares them).
- `error`: anything else, including an expected error that did not happen. The step is
  recorded, then the run stops with `ScenarioFailed` naming the step index and op; or, when
  the op failed with an error that is not a `BridgeError` (an `InvalidOperation` from a
  value the toolkit cannot hold, say), with a `FixtureError` naming the scenario, the op's
  JSON path and what the checker refuses in the data (`bridge.scenarios.fixtures.replay_fault`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from bridge.domain import Connection, Credentials, Invoice, Side
from bridge.errors import BridgeError, InputError
from bridge.interface import HasPreferences, Integration
from bridge.scenarios.fixtures import replay_fault

Op = Mapping[str, Any]
Outcome = tuple[str, dict[str, str], dict[str, Any]]  # detail, ids, data


class ProjectsUpstream(Protocol):
    """The part of `bridge.clients.projects.ProjectsClient` that makes upstream changes."""

    def complete_task(self, project_id: str, task_id: str) -> object: ...

    def add_timelog(
        self, project_id: str, *, task_id: str | None = None, date: dt.date, minutes: int,
        billable: bool, user_id: str, notes: str = "",
    ) -> Mapping[str, Any]: ...

    def delete_project(self, project_id: str) -> object: ...


@dataclass
class Step:
    index: int
    op: str
    outcome: str  # ok | refused | not_applicable | error
    detail: str
    ids: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScenarioResult:
    scenario: str
    steps: list[Step] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)  # create_invoice ref -> invoice id
    timelogs: dict[str, str] = field(default_factory=dict)  # log_time id -> id Projects gave

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def sync_errors(self) -> list[dict[str, str]]:
        """The errors the last successful sync reported (for `expect.errors`)."""
        syncs = [s for s in self.steps if s.op == "sync" and s.outcome == "ok"]
        return list(syncs[-1].data.get("errors", [])) if syncs else []


class ScenarioFailed(BridgeError):
    """A step ended other than the scenario said; carries the steps run so far."""

    def __init__(self, step: Step, result: ScenarioResult) -> None:
        super().__init__(f"{result.scenario}: step {step.index} ({step.op}): {step.detail}")
        self.step, self.result = step, result


def run_scenario(
    scenario: Mapping[str, Any],
    integration: Integration,
    projects: ProjectsUpstream,
    *,
    on_step: Callable[[Step], None] | None = None,
) -> ScenarioResult:
    run = _Run(scenario, integration, projects)
    for index, op in enumerate(scenario["operations"]):
        step, cause = run.step(index, op)
        run.result.steps.append(step)
        if on_step is not None:
            on_step(step)
        if step.outcome == "error":
            if cause is not None and not isinstance(cause, (BridgeError, NotImplementedError)):
                where = f"$.operations[{index}]"
                raise replay_fault(scenario, where, cause, f"operation {index} ({step.op})") from cause
            raise ScenarioFailed(step, run.result) from cause
    return run.result


def error_matches(exc: BaseException, expected: str) -> bool:
    if not isinstance(exc, BridgeError):
        return False
    needle = expected.casefold()
    names = [c.__name__ for c in type(exc).__mro__ if issubclass(c, BridgeError)]
    return any(needle in name.casefold() for name in names) or needle in str(exc).casefold()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _Run:
    def __init__(self, scenario: Mapping[str, Any], integration: Integration,
                 projects: ProjectsUpstream) -> None:
        self.integration, self.projects = integration, projects
        self.result = ScenarioResult(scenario.get("name", "scenario"))
        data = scenario["projects"]
        self.users = {u["id"]: u for u in data["users"]}
        self.task_projects = {t["id"]: t["project_id"] for t in data.get("tasks", [])}
        self.handlers: dict[str, Callable[[Op], Outcome]] = {
            "connect": self.connect, "set_preferences": self.set_preferences,
            "sync": self.sync, "complete_task": self.complete_task, "log_time": self.log_time,
            "record_expense": self.record_expense, "create_invoice": self.create_invoice,
            "finalize_invoice": self.finalize_invoice, "delete_project": self.delete_project,
            "disable": self.disable, "reenable": self.reenable,
        }

    def step(self, index: int, op: Op) -> tuple[Step, BaseException | None]:
        """Run one op; the exception that ended it, if any, rides along for chaining."""
        name, expected = op["op"], op.get("expect_error")
        handler = self.handlers.get(name)
        if handler is None:
            return Step(index, name, "error", f"unknown op {name!r}"), None
        if name == "set_preferences" and expected is None and not isinstance(self.integration, HasPreferences):
            return Step(index, name, "not_applicable",
                        f"the {self.integration.mode} integration has no sync preferences"), None
        try:
            detail, ids, data = handler(op)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded as a step, not lost
            if expected is not None and error_matches(exc, expected):
                return Step(index, name, "refused", _describe(exc)), None
            want = f" (expected an error matching {expected!r})" if expected else ""
            return Step(index, name, "error", _describe(exc) + want), exc
        if expected is not None:
            why = f"expected an error matching {expected!r}, but the op succeeded: {detail}"
            return Step(index, name, "error", why, ids, data), None
        return Step(index, name, "ok", detail, ids, data), None

    # --- through the integration -------------------------------------------------------
    def connect(self, op: Op) -> Outcome:
        user = self.users[op["user_id"]]
        key = op.get("zsc_key", user.get("zsc_key", ""))
        conn = self.integration.connect(Credentials(user["email"], key), op["portal_id"])
        return _connection("connected", conn)

    def set_preferences(self, op: Op) -> Outcome:
        cutoff = op.get("cutoff_date")
        if not isinstance(self.integration, HasPreferences):
            raise InputError(f"the {self.integration.mode} integration has no sync preferences")
        self.integration.set_preferences(
            modules=op.get("modules"), general_timesheets=op.get("general_timesheets"),
            cutoff_date=dt.date.fromisoformat(cutoff) if cutoff else None,
        )
        shown = {k: v for k, v in op.items() if k not in ("op", "expect_error")}
        return f"preferences set: {shown}", {}, {}

    def sync(self, op: Op) -> Outcome:
        report = self.integration.sync()
        data = {"counts": report.counts, "errors": [e.to_json() for e in report.errors]}
        return f"synced with {len(report.errors)} error(s)", {}, data

    def record_expense(self, op: Op) -> Outcome:
        expense = self.integration.record_expense(
            op["project_id"], Decimal(op["amount"]), dt.date.fromisoformat(op["date"]),
            customer_id=op.get("customer_id"), description=op.get("description", ""),
            side=Side(op["side"]),
        )
        detail = f"expense {expense.expense_id} of {expense.amount} on project {expense.project_id}"
        return detail, {"expense_id": expense.expense_id}, {}

    def create_invoice(self, op: Op) -> Outcome:
        invoice = self.integration.create_invoice(
            op["project_id"], customer_id=op.get("customer_id"), side=Side(op["side"])
        )
        if "ref" in op:
            self.result.refs[op["ref"]] = invoice.invoice_id
        return _invoice("created", invoice)

    def finalize_invoice(self, op: Op) -> Outcome:
        invoice_id = self.result.refs.get(op["ref"])
        if invoice_id is None:
            raise LookupError(f"no invoice was created under ref {op['ref']!r}")
        return _invoice("finalized", self.integration.finalize_invoice(invoice_id, op["customer_id"]))

    def disable(self, op: Op) -> Outcome:
        self.integration.disable()
        return "disabled", {}, {}

    def reenable(self, op: Op) -> Outcome:
        return _connection("re-enabled", self.integration.reenable(op["portal_id"]))

    # --- upstream, in Projects ---------------------------------------------------------
    def complete_task(self, op: Op) -> Outcome:
        task_id = op["task_id"]
        project_id = self.task_projects[task_id]
        self.projects.complete_task(project_id, task_id)
        return f"task {task_id} completed in Projects", {"task_id": task_id}, {}

    def log_time(self, op: Op) -> Outcome:
        log = self.projects.add_timelog(
            op["project_id"], task_id=op.get("task_id"), date=dt.date.fromisoformat(op["date"]),
            minutes=op["minutes"], billable=op.get("billable", True), user_id=op["user_id"],
            notes=op.get("notes", ""),
        )
        log_id = str(log["id"])
        if "id" in op:
            self.result.timelogs[op["id"]] = log_id
        return f"{op['minutes']} min logged in Projects as {log_id}", {"timelog_id": log_id}, {}

    def delete_project(self, op: Op) -> Outcome:
        self.projects.delete_project(op["project_id"])
        return f"project {op['project_id']} deleted in Projects", {"project_id": op["project_id"]}, {}


def _connection(verb: str, conn: Connection) -> Outcome:
    return f"{verb}: portal {conn.portal_id} ({conn.state})", {"portal_id": conn.portal_id}, {
        "state": conn.state, "shared": dict(conn.shared)
    }


def _invoice(verb: str, invoice: Invoice) -> Outcome:
    detail = f"invoice {invoice.invoice_id} {verb}: {invoice.status}, {invoice.total}"
    data = {
        "status": invoice.status, "customer_id": invoice.customer_id,
        "total": str(invoice.total.amount), "currency": invoice.currency,
        "lines": len(invoice.lines), "origin": str(invoice.origin),
    }
    return detail, {"invoice_id": invoice.invoice_id}, data
