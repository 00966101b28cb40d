"""The scenario driver (S1, C1): replays ops through the shared interface only.

A fake integration and a fake Projects client record what the driver asks of them; the
driver is never told which mode it drives.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from bridge.domain import (
    Connection,
    Credentials,
    Expense,
    IntegrationStatus,
    Invoice,
    InvoiceLine,
    Money,
    Portal,
    Side,
    SyncFailure,
    SyncReport,
    Transaction,
)
from bridge.errors import AlreadyInvoiced, FixtureError, PortalMismatch
from bridge.interface import Integration
from bridge.scenarios.driver import ScenarioFailed, Step, error_matches, run_scenario

Call = tuple[Any, ...]


class FakeWithoutPreferences:
    """Answers every call of the protocol; `fail` maps a method name to errors to raise, in
    turn (None: answer normally). Like legacy, it has no preferences."""

    mode: ClassVar[str] = "fake"

    def __init__(self, fail: Mapping[str, list[BaseException | None]] | None = None) -> None:
        self.calls: list[Call] = []
        self.fail = {k: list(v) for k, v in (fail or {}).items()}
        self.invoices = 0

    def _call(self, *call: Any) -> None:
        self.calls.append(call)
        pending = self.fail.get(call[0])
        if pending:
            error = pending.pop(0)
            if error is not None:
                raise error

    def _conn(self, portal_id: str, state: str = "connected") -> Connection:
        return Connection("fake", portal_id, "1", "a@b.example", state, {"name": "Org"})

    def portals(self, credentials: Credentials) -> list[Portal]:
        self._call("portals", credentials)
        return []

    def connect(self, credentials: Credentials, portal_id: str) -> Connection:
        self._call("connect", credentials, portal_id)
        return self._conn(portal_id)

    def disconnect(self) -> None:
        self._call("disconnect")

    def status(self) -> IntegrationStatus:
        self._call("status")
        return IntegrationStatus("fake", None)

    def sync(self, progress: Any = None) -> SyncReport:
        self._call("sync")
        return SyncReport({"projects": {"fetched": 2}}, (
            SyncFailure("projects", "7", "project_no_primary_client", "no primary client", "add one", "Site"),))

    def create_invoice(self, project_id: str, customer_id: str | None = None,
                       side: Side = Side.BOOKS) -> Invoice:
        self._call("create_invoice", project_id, customer_id, side)
        self.invoices += 1
        line = InvoiceLine("Design", Decimal(2), Decimal(50), task_id="30")
        return Invoice(f"90{self.invoices}", project_id, customer_id, "USD",
                       "draft" if customer_id is None else "sent", side, (line,))

    def finalize_invoice(self, invoice_id: str, customer_id: str) -> Invoice:
        self._call("finalize_invoice", invoice_id, customer_id)
        return Invoice(invoice_id, "20", customer_id, "USD", "sent", Side.BOOKS)

    def record_expense(self, project_id: str, amount: Decimal, date: dt.date,
                       customer_id: str | None = None, description: str = "",
                       side: Side = Side.PROJECTS) -> Expense:
        self._call("record_expense", project_id, amount, date, customer_id, description, side)
        return Expense("80", project_id, customer_id, Money.of(amount, "USD"), date, description, side=side)

    def transactions(self, project_id: str) -> list[Transaction]:
        self._call("transactions", project_id)
        return []

    def disable(self) -> None:
        self._call("disable")

    def reenable(self, portal_id: str) -> Connection:
        self._call("reenable", portal_id)
        return self._conn(portal_id)



class FakeIntegration(FakeWithoutPreferences):
    """The fake with preferences (`HasPreferences`), as enhanced has them."""

    def preferences(self) -> Any:
        return None

    def set_preferences(self, modules: Any = None, general_timesheets: bool | None = None,
                        cutoff_date: dt.date | None = None, clear_cutoff: bool = False) -> None:
        self._call("set_preferences", modules, general_timesheets, cutoff_date)


class FakeProjects:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    def complete_task(self, project_id: str, task_id: str) -> dict[str, Any]:
        self.calls.append(("complete_task", project_id, task_id))
        return {"id": task_id, "completed": True}

    def add_timelog(self, project_id: str, *, task_id: str | None = None, date: dt.date,
                    minutes: int, billable: bool, user_id: str, notes: str = "") -> dict[str, Any]:
        self.calls.append(("add_timelog", project_id, task_id, date, minutes, billable, user_id, notes))
        return {"id": "555", "total_minutes": minutes}

    def delete_project(self, project_id: str) -> None:
        self.calls.append(("delete_project", project_id))


def scenario(*operations: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "tiny",
        "projects": {
            "users": [{"id": "10", "name": "Ann", "email": "ann@x.example", "roles": {"1": "owner"},
                       "zsc_key": "k-0123456789"}],
            "tasks": [{"id": "30", "project_id": "20", "name": "Design"}],
        },
        "operations": list(operations),
    }


EVERY_OP = scenario(
    {"op": "connect", "user_id": "10", "portal_id": "1"},
    {"op": "set_preferences", "general_timesheets": True, "cutoff_date": "2025-12-01"},
    {"op": "sync"},
    {"op": "complete_task", "task_id": "30"},
    {"op": "log_time", "id": "41", "project_id": "20", "task_id": "30", "user_id": "10",
     "date": "2026-01-02", "minutes": 90},
    {"op": "record_expense", "side": "books", "project_id": "20", "customer_id": "50",
     "amount": "12.50", "date": "2026-01-03", "description": "Taxi"},
    {"op": "create_invoice", "side": "projects", "project_id": "20", "ref": "first"},
    {"op": "finalize_invoice", "ref": "first", "customer_id": "50"},
    {"op": "create_invoice", "side": "books", "project_id": "20", "customer_id": "50",
     "expect_error": "AlreadyInvoiced"},
    {"op": "delete_project", "project_id": "20"},
    {"op": "disable"},
    {"op": "reenable", "portal_id": "2", "expect_error": "portal that was connected"},
)


def test_s1_driver_calls_the_interface_and_upstream_in_order() -> None:
    integration = FakeIntegration(fail={
        "create_invoice": [None, AlreadyInvoiced("task 30 is already invoiced")],
        "reenable": [PortalMismatch("re-enable only with the portal that was connected before (E11)")],
    })
    projects = FakeProjects()
    seen: list[Step] = []
    result = run_scenario(EVERY_OP, integration, projects, on_step=seen.append)

    assert integration.calls == [
        ("connect", Credentials("ann@x.example", "k-0123456789"), "1"),
        ("set_preferences", None, True, dt.date(2025, 12, 1)),
        ("sync",),
        ("record_expense", "20", Decimal("12.50"), dt.date(2026, 1, 3), "50", "Taxi", Side.BOOKS),
        ("create_invoice", "20", None, Side.PROJECTS),
        ("finalize_invoice", "901", "50"),
        ("create_invoice", "20", "50", Side.BOOKS),
        ("disable",),
        ("reenable", "2"),
    ]
    assert projects.calls == [
        ("complete_task", "20", "30"),
        ("add_timelog", "20", "30", dt.date(2026, 1, 2), 90, True, "10", ""),
        ("delete_project", "20"),
    ]
    assert [s.outcome for s in result.steps] == [
        "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "refused", "ok", "ok", "refused"]
    assert seen == result.steps
    assert [s.index for s in result.steps] == list(range(12))


def test_refs_and_ids_are_recorded_and_json_able() -> None:
    integration = FakeIntegration(fail={"create_invoice": [None, AlreadyInvoiced("x")],
                                        "reenable": [PortalMismatch("portal that was connected")]})
    result = run_scenario(EVERY_OP, integration, FakeProjects())
    assert result.refs == {"first": "901"}
    assert result.timelogs == {"41": "555"}
    steps = {s.op: s for s in result.steps}
    assert steps["finalize_invoice"].ids == {"invoice_id": "901"}
    assert steps["log_time"].ids == {"timelog_id": "555"}
    assert steps["record_expense"].ids == {"expense_id": "80"}
    assert steps["connect"].data["shared"] == {"name": "Org"}
    assert result.sync_errors() == [
        {"module": "projects", "record_id": "7", "record_name": "Site", "reason_code": "project_no_primary_client",
         "reason": "no primary client", "fix": "add one"}]
    again = json.loads(json.dumps(result.to_json()))
    assert again["steps"][8]["outcome"] == "refused"
    assert "AlreadyInvoiced" in again["steps"][8]["detail"]


def test_set_preferences_without_preferences_is_not_applicable() -> None:
    integration = FakeWithoutPreferences()
    result = run_scenario(scenario({"op": "set_preferences", "general_timesheets": True}, {"op": "sync"}),
                          integration, FakeProjects())
    assert [s.outcome for s in result.steps] == ["not_applicable", "ok"]
    assert result.steps[0].detail == "the fake integration has no sync preferences"
    assert [c[0] for c in integration.calls] == ["sync"]


def test_expect_error_matches_class_names_bases_and_message() -> None:
    error = AlreadyInvoiced("Task 30 was billed on invoice INV-7")
    assert error_matches(error, "AlreadyInvoiced")
    assert error_matches(error, "integrationerror")  # a base class
    assert error_matches(error, "billed on invoice")
    assert not error_matches(error, "PortalMismatch")
    assert not error_matches(ValueError("AlreadyInvoiced"), "AlreadyInvoiced")  # not a BridgeError


def test_an_unexpected_error_stops_the_run_naming_the_step() -> None:
    integration = FakeIntegration(fail={"sync": [AlreadyInvoiced("boom")]})
    seen: list[Step] = []
    ops = scenario({"op": "connect", "user_id": "10", "portal_id": "1"}, {"op": "sync"}, {"op": "disable"})
    with pytest.raises(ScenarioFailed) as info:
        run_scenario(ops, integration, FakeProjects(), on_step=seen.append)
    assert str(info.value) == "tiny: step 1 (sync): AlreadyInvoiced: boom"
    assert isinstance(info.value.__cause__, AlreadyInvoiced)
    assert [s.outcome for s in info.value.result.steps] == ["ok", "error"]
    assert seen == info.value.result.steps
    assert ("disable",) not in integration.calls


def test_a_different_error_than_expected_stops_the_run() -> None:
    integration = FakeIntegration(fail={"create_invoice": [PortalMismatch("wrong portal")]})
    ops = scenario({"op": "create_invoice", "side": "books", "project_id": "20",
                    "expect_error": "AlreadyInvoiced"})
    with pytest.raises(ScenarioFailed, match=r"step 0 \(create_invoice\): PortalMismatch: wrong portal "
                                             r"\(expected an error matching 'AlreadyInvoiced'\)"):
        run_scenario(ops, integration, FakeProjects())


def test_an_expected_error_that_does_not_happen_stops_the_run() -> None:
    ops = scenario({"op": "sync"}, {"op": "create_invoice", "side": "books", "project_id": "20",
                                    "expect_error": "AlreadyInvoiced"})
    with pytest.raises(ScenarioFailed) as info:
        run_scenario(ops, FakeIntegration(), FakeProjects())
    assert info.value.step.index == 1
    assert "expected an error matching 'AlreadyInvoiced', but the op succeeded" in str(info.value)


def test_finalize_of_a_ref_that_was_refused_stops_the_run() -> None:
    """The checker refuses such a fixture; handed over unchecked, the replay names the op."""
    integration = FakeIntegration(fail={"create_invoice": [AlreadyInvoiced("x")]})
    ops = scenario(
        {"op": "create_invoice", "side": "books", "project_id": "20", "ref": "r", "expect_error": "Already"},
        {"op": "finalize_invoice", "ref": "r", "customer_id": "50"},
    )
    with pytest.raises(FixtureError, match=r"^tiny: \$\.operations\[1\]: operation 1 \(finalize_invoice\) "
                                           r"failed: LookupError: no invoice"):
        run_scenario(ops, integration, FakeProjects())


def test_the_fake_satisfies_the_protocol() -> None:
    assert isinstance(FakeIntegration(), Integration)
