"""Books traffic to check: every request the toolkit sends and every answer the sandbox gives.

`Recorder` is an httpx transport that forwards to the sandbox app and keeps each Books
exchange. `capture()` runs shipped scenarios through both modes (what legacy/ and enhanced/
really send) and then drives the BooksClient methods the scenarios do not reach, with
payloads shaped like the vendor's documented ones.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from bridge.clients import BooksClient
from bridge.clock import FakeClock
from bridge.modes import MODES, open_integration
from bridge.scenarios.fixtures import load_scenario
from bridge.scenarios.replay import replay
from bridge.store import Store
from bridge.targets import scenario_clock
from sandbox import (
    SANDBOX_EXPENSE_ACCOUNT_ID,
    SANDBOX_PAID_THROUGH_ACCOUNT_ID,
    SANDBOX_TIME_ITEM_ID,
    Sandbox,
)
from sandbox.wiring import sandbox_context

from .spec import PREFIX, Operation, operation_of, request_errors

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
#: the shipped scenario replayed through both modes: it reaches every kind of write the
#: modes make (contacts, users, projects, tasks, time, invoices, expenses)
REPLAYED = ("small-agency",)


@dataclass(frozen=True)
class Exchange:
    source: str  # "legacy:small-agency", "client", ...
    request: httpx.Request
    response: httpx.Response
    prefix: str = PREFIX  # the service's API root (Books by default; Projects v3 passes its own)

    @property
    def path(self) -> str:
        return self.request.url.path.removeprefix(self.prefix)

    @property
    def label(self) -> str:
        return f"{self.source}: {self.request.method} {self.request.url}"

    def body(self) -> Any:
        return json.loads(self.response.content) if self.response.content else None


@dataclass
class Recorder(httpx.BaseTransport):
    """Forwards to `inner` and keeps the exchanges under `prefix` (Books by default: OAuth and
    Projects pass through; the Projects v3 contract records its own root)."""

    inner: httpx.BaseTransport
    source: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    prefix: str = PREFIX

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.startswith(self.prefix + "/"):
            response.read()  # keep the body: the caller may close the stream
            self.exchanges.append(Exchange(self.source, request, response, self.prefix))
        return response


@dataclass
class Traffic:
    exchanges: list[Exchange]
    unknown: list[Exchange]  # Books calls the operation table does not name
    _problems: dict[str, list[tuple[Exchange, list[str]]]] = field(default_factory=dict)

    def of(self, op: Operation) -> list[Exchange]:
        return [x for x in self.exchanges if op.matches(x.request.method, x.path)]

    def request_problems(self, op: Operation) -> list[tuple[Exchange, list[str]]]:
        """Each exchange of `op` with what is wrong with its request (computed once)."""
        if op.id not in self._problems:
            self._problems[op.id] = [(x, request_errors(op, x.request)) for x in self.of(op)]
        return self._problems[op.id]


def capture(folder: Path, scenarios: Iterable[str] = REPLAYED) -> Traffic:
    recorded: list[Exchange] = []
    for name in scenarios:
        scenario = load_scenario(SCENARIOS / f"{name}.json")
        for mode in MODES:
            with recorded_world(folder / f"{mode}-{name}", scenario) as (_, recorder, ctx):
                recorder.source = f"{mode}:{name}"
                replay(scenario, open_integration(mode, ctx), ctx)
                recorded.extend(recorder.exchanges)
    scenario = load_scenario(SCENARIOS / f"{REPLAYED[0]}.json")
    with recorded_world(folder / "enhanced-extras", scenario) as (_, recorder, ctx):
        recorder.source = f"enhanced:{REPLAYED[0]}:estimate+bill"
        drive_enhanced_extras(ctx, scenario)
        recorded.extend(recorder.exchanges)
    with recorded_world(folder / "client", scenario) as (_, recorder, ctx):
        recorder.source = "client"
        drive_client(ctx.books, scenario)
        recorded.extend(recorder.exchanges)
    unknown = [x for x in recorded if operation_of(x.request.method, x.path) is None]
    return Traffic(recorded, unknown)


@contextmanager
def recorded_world(folder: Path, scenario: dict[str, Any],
                   prefix: str = PREFIX) -> Iterator[tuple[Sandbox, Recorder, Any]]:
    """A seeded sandbox and a Context whose traffic under `prefix` is recorded."""
    folder.mkdir(parents=True, exist_ok=True)
    clock = FakeClock(scenario_clock(scenario))
    with ExitStack() as stack:
        sandbox = Sandbox(folder / "sandbox.db", clock=clock)
        stack.callback(sandbox.close)
        sandbox.seed(scenario)
        recorder = Recorder(sandbox.transport(), prefix=prefix)
        store = Store.open(f"sqlite:///{folder / 'state.db'}")
        stack.callback(store.close)
        yield sandbox, recorder, sandbox_context(sandbox, store, clock=clock, transport=recorder)


def drive_enhanced_extras(ctx: Any, scenario: dict[str, Any]) -> None:
    """What enhanced/ sends that no scenario reaches (estimates and bills are enhanced only):
    connect and sync as the scenario does, then one estimate and one bill on a project."""
    integration = open_integration("enhanced", ctx)
    replay({**scenario, "operations": scenario["operations"][:2]}, integration, ctx)  # connect, sync
    done = {t["id"] for t in scenario["projects"]["tasks"] if t.get("completed")}
    project = next(log["project_id"] for log in scenario["projects"]["timelogs"] if log.get("task_id") in done)
    integration.create_estimate(project)
    vendor = next(c for c in scenario["books"]["contacts"] if c.get("contact_type") == "vendor")
    integration.record_bill(project, str(vendor["contact_id"]), Decimal("80.00"),
                            dt.date.fromisoformat(scenario.get("today", "2026-01-05")), "Prints")


def drive_client(books: BooksClient, scenario: dict[str, Any]) -> None:
    """Call every BooksClient method once or more, with payloads like the documented ones."""
    seeded = scenario["books"]
    customer = next(c for c in seeded["contacts"] if c.get("contact_type") != "vendor")
    vendor = next(c for c in seeded["contacts"] if c.get("contact_type") == "vendor")
    currency = seeded["organization"]["currency_code"]

    list(books.list_organizations())
    books.get_organization()
    list(books.list_currencies())
    me = books.current_user()
    list(books.list_users())
    books.get_user(str(me["user_id"]))
    staff = books.create_user({"name": "Casey Contract", "email": "casey@contract.example",
                               "user_role": "timesheetstaff"})
    staff_id = str(staff["user_id"])
    books.update_user(staff_id, {"name": "Casey Contract-Check",
                                 "email": "casey@contract.example"})
    books.mark_user_inactive(staff_id)

    list(books.list_contacts(contact_name=customer["contact_name"]))
    books.get_contact(str(customer["contact_id"]))
    contact = books.create_contact({"contact_name": "Contract Check Ltd",
                                    "contact_type": "customer", "currency_code": currency})
    contact_id = str(contact["contact_id"])
    books.update_contact(contact_id, {"contact_name": "Contract Check Ltd",
                                      "contact_type": "customer", "notes": "checked"})

    project = books.create_project({
        "project_name": "Contract Check", "customer_id": contact_id,
        "billing_type": "based_on_task_hours", "user_id": str(me["user_id"]),
        "description": "the contract tests' project", "budget_type": "total_project_cost",
        "budget_amount": "1000", "cost_budget_amount": 800,  # as typed there: string, number
    })
    project_id = str(project["project_id"])
    list(books.list_projects(customer_id=contact_id))
    books.get_project(project_id)
    books.update_project(project_id, {"project_name": "Contract Check",
                                      "customer_id": contact_id,
                                      "billing_type": "based_on_task_hours",
                                      "user_id": str(me["user_id"]),
                                      "description": "renamed nothing, described again"})
    books.add_project_user(project_id, {"users": [{"user_id": str(me["user_id"]),
                                                  "rate": 80, "budget_hours": "10"}]})
    list(books.list_project_users(project_id))

    task = books.create_task(project_id, {"task_name": "Check the contract",
                                          "description": "drawn from the documents",
                                          "rate": 50, "budget_hours": "4"})
    task_id = str(task["task_id"])
    list(books.list_tasks(project_id))
    books.get_task(project_id, task_id)
    books.update_task(project_id, task_id, {"task_name": "Check the contract",
                                            "description": "and its answers", "rate": 55})

    entry = books.create_time_entry({
        "project_id": project_id, "task_id": task_id, "user_id": str(me["user_id"]),
        "log_date": scenario.get("today", "2026-01-05"), "log_time": "02:30",
        "is_billable": True, "notes": "contract plog:contract-1",
    }, marker="plog:contract-1")
    entry_id = str(entry["time_entry_id"])
    list(books.list_time_entries(project_id=project_id, filter_by="Status.Unbilled"))
    books.get_time_entry(entry_id)
    books.update_time_entry(entry_id, {
        "project_id": project_id, "task_id": task_id, "user_id": str(me["user_id"]),
        "log_date": scenario.get("today", "2026-01-05"), "log_time": "03:00",
        "is_billable": True, "notes": "contract plog:contract-1"})
    spare = books.create_time_entry({
        "project_id": project_id, "task_id": task_id, "user_id": str(me["user_id"]),
        "log_date": scenario.get("today", "2026-01-05"), "begin_time": "10:00",
        "end_time": "11:15", "is_billable": False})
    books.delete_time_entry(str(spare["time_entry_id"]))

    invoice = books.create_invoice({
        "customer_id": contact_id, "reference_number": "CT-INV-1",
        "date": scenario.get("today", "2026-01-05"), "notes": "contract check",
        "line_items": [{"item_id": SANDBOX_TIME_ITEM_ID, "name": "Check the contract", "description": "time",
                        "project_id": project_id, "time_entry_ids": [entry_id],
                        "rate": 55, "quantity": 3}],
    })
    invoice_id = str(invoice["invoice_id"])
    list(books.list_invoices(reference_number="CT-INV-1"))
    list(books.list_project_invoices(project_id))
    books.get_invoice(invoice_id)
    books.update_invoice(invoice_id, {
        "customer_id": contact_id, "reference_number": "CT-INV-1",
        "line_items": [{"item_id": SANDBOX_TIME_ITEM_ID, "name": "Check the contract", "description": "time, again",
                        "project_id": project_id, "time_entry_ids": [entry_id],
                        "rate": 60, "quantity": 3}],
    })
    books.mark_invoice(invoice_id, "sent")
    books.mark_invoice(invoice_id, "void")
    books.mark_invoice(invoice_id, "draft")

    expense = books.create_expense({
        "date": scenario.get("today", "2026-01-05"), "amount": 42.5, "account_id": SANDBOX_EXPENSE_ACCOUNT_ID,
        "paid_through_account_id": SANDBOX_PAID_THROUGH_ACCOUNT_ID, "project_id": project_id, "customer_id": contact_id,
        "is_billable": True, "description": "contract stamps", "reference_number": "CT-EXP-1",
        "currency_code": currency,
    })
    expense_id = str(expense["expense_id"])
    list(books.list_expenses(project_id=project_id))
    books.get_expense(expense_id)
    books.update_expense(expense_id, {"date": scenario.get("today", "2026-01-05"),
                                      "amount": 40, "account_id": SANDBOX_EXPENSE_ACCOUNT_ID,
                                      "paid_through_account_id": SANDBOX_PAID_THROUGH_ACCOUNT_ID,
                                      "description": "contract stamps, fewer"})
    spare_expense = books.create_expense({
        "date": scenario.get("today", "2026-01-05"), "amount": 3, "account_id": SANDBOX_EXPENSE_ACCOUNT_ID,
        "paid_through_account_id": SANDBOX_PAID_THROUGH_ACCOUNT_ID, "description": "made to be deleted"})
    books.delete_expense(str(spare_expense["expense_id"]))

    estimate = books.create_estimate({
        "customer_id": contact_id, "reference_number": "CT-EST-1", "project_id": project_id,
        "line_items": [{"name": "Check the contract", "rate": 55, "quantity": 4}],
    })
    list(books.list_estimates(customer_id=contact_id))
    books.get_estimate(str(estimate["estimate_id"]))

    bill = books.create_bill({
        "vendor_id": str(vendor["contact_id"]), "bill_number": "CT-BILL-1",
        "reference_number": "CT-BILL-1", "date": scenario.get("today", "2026-01-05"),
        "line_items": [{"name": "Paper", "rate": 12, "quantity": 2,
                        "customer_id": contact_id, "project_id": project_id,
                        "is_billable": True}],
    })
    list(books.list_bills(vendor_id=str(vendor["contact_id"])))
    books.get_bill(str(bill["bill_id"]))

    # deletes last: they give back what the records above hold; one invoice stays
    books.delete_estimate(str(estimate["estimate_id"]))
    books.delete_bill(str(bill["bill_id"]))
    books.delete_invoice(invoice_id)
    books.create_invoice({"customer_id": contact_id, "reference_number": "CT-INV-2",
                          "line_items": [{"item_id": SANDBOX_TIME_ITEM_ID, "name": "Review", "rate": 80, "quantity": 1,
                                          "project_id": project_id}]})
    doomed = books.create_task(project_id, {"task_name": "Throwaway"})
    books.delete_task(project_id, str(doomed["task_id"]))
    empty = books.create_project({"project_name": "Contract Throwaway", "customer_id": contact_id,
                                  "billing_type": "fixed_cost_for_project",
                                  "rate": "500", "user_id": str(me["user_id"])})
    books.delete_project(str(empty["project_id"]))


def tempdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="bridge-contract-") as where:
        yield Path(where)
