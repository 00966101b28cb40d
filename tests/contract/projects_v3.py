"""Projects API v3 as ../shared/reference/PROJECTS-V3.md documents it: the operations the
client sends, each with its tag and source, and the traffic to check them against.

`capture()` records every Projects request the toolkit sends (both modes replaying a shipped
scenario; then every ProjectsClient method driven directly, on a project with enough tasks,
issues and logs to need several pages) and the sandbox's answer to each.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.clients import ProjectsClient
from bridge.clients.projects_v3 import PER_PAGE, ROOT
from bridge.modes import MODES, open_integration
from bridge.scenarios.fixtures import load_scenario
from bridge.scenarios.replay import acting_user, replay

from .traffic import Exchange, Recorder, recorded_world

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
SCENARIO = "small-agency"
#: records added to one project so its lists take several pages
BIG = PER_PAGE * 2 + 50
WRONG_ON_PURPOSE = "client:wrong-on-purpose"
P = r"/portal/[0-9]+"
PR = P + r"/projects/[0-9]+"


@dataclass(frozen=True)
class Operation:
    """One v3 operation: the client method that sends it, method and path (a regex below
    /api/v3), its tag in PROJECTS-V3.md and source keys, what it must carry."""

    client: str
    method: str
    path: str
    tag: str  # doc | 2nd | gap | sandbox-only
    source: str
    body: tuple[str, ...] = ()  # keys a JSON body must carry
    query: tuple[str, ...] = ()  # query parameters it must carry (besides paging)
    paged: bool = False

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path, path) is not None


OPERATIONS: tuple[Operation, ...] = (
    Operation("list_portals", "GET", r"/portals", "doc", "P1", paged=True),
    Operation("list_users", "GET", P + r"/users", "2nd", "G1", paged=True),
    Operation("list_clients", "GET", P + r"/clients", "doc", "P2", paged=True),
    Operation("list_projects", "GET", P + r"/projects", "2nd", "G1 G2 G3", paged=True),
    Operation("get_project", "GET", PR, "2nd", "G1 G3"),
    Operation("delete_project", "POST", PR + r"/trash", "2nd", "G1 G2"),
    Operation("project_clients", "GET", PR + r"/clients", "gap", "-", paged=True),
    Operation("project_users", "GET", PR + r"/users", "2nd", "G1", paged=True),
    Operation("list_tasks", "GET", PR + r"/tasks", "2nd", "G1 G3", paged=True),
    Operation("get_task", "GET", PR + r"/tasks/[0-9]+", "2nd", "G1 G3"),
    Operation("complete_task", "PATCH", PR + r"/tasks/[0-9]+", "2nd", "G1 G2", body=("status",)),
    Operation("list_bugs", "GET", PR + r"/issues", "2nd", "G1 G4", paged=True),
    Operation("list_timelogs", "GET", PR + r"/timelogs", "2nd", "G1",
              query=("view_type", "start_date", "end_date", "module"), paged=True),
    Operation("add_timelog", "POST", PR + r"/log", "doc", "P4",
              body=("module", "date", "hours", "bill_status", "owner_zpuid")),
    Operation("verify_zsc_key", "POST", r"/sandbox/zsckey", "sandbox-only", "-",
              body=("zsc_key_sha256",)),
    Operation("list_invoices", "GET", PR + r"/invoices", "sandbox-only", "-", paged=True),
    Operation("get_invoice", "GET", PR + r"/invoices/[0-9]+", "sandbox-only", "-"),
    Operation("create_invoice", "POST", PR + r"/invoices", "sandbox-only", "-",
              body=("line_items",)),
    Operation("update_invoice", "PATCH", PR + r"/invoices/[0-9]+", "sandbox-only", "-"),
    Operation("list_expenses", "GET", PR + r"/expenses", "sandbox-only", "-", paged=True),
    Operation("create_expense", "POST", PR + r"/expenses", "sandbox-only", "-", body=("amount",)),
    Operation("update_expense", "PATCH", PR + r"/expenses/[0-9]+", "sandbox-only", "-"),
    Operation("finance", "GET", PR + r"/finance", "sandbox-only", "-", paged=True),
    Operation("link_transaction", "POST", PR + r"/finance", "sandbox-only", "-",
              body=("kind", "books_id")),
)


def operation_of(method: str, path: str) -> Operation | None:
    return next((op for op in OPERATIONS if op.matches(method, path)), None)


@dataclass
class Traffic:
    exchanges: list[Exchange]
    #: the direct drive's client, for tests that call more
    errors: dict[str, Exception]

    def of(self, op: Operation) -> list[Exchange]:
        return [x for x in self.exchanges if op.matches(x.request.method, x.path)]

    @property
    def unknown(self) -> list[Exchange]:
        return [x for x in self.exchanges if x.source != WRONG_ON_PURPOSE
                and operation_of(x.request.method, x.path) is None]


def big_scenario() -> dict[str, Any]:
    """small-agency with one project holding BIG tasks, issues and task logs."""
    scenario = load_scenario(SCENARIOS / f"{SCENARIO}.json")
    data = scenario["projects"]
    project = data["projects"][0]
    owner = project["owner_id"]
    tasks = [{"id": str(1790000000000 + i), "project_id": project["id"], "name": f"Bulk {i}",
              "owner_ids": [owner]} for i in range(BIG)]
    data["tasks"] = data["tasks"] + tasks
    data["bugs"] = data["bugs"] + [{"id": str(1890000000000 + i), "project_id": project["id"],
                                    "title": f"Bulk bug {i}"} for i in range(BIG)]
    data["timelogs"] = data["timelogs"] + [
        {"id": str(1990000000000 + i), "project_id": project["id"], "task_id": t["id"],
         "user_id": owner, "date": "2025-12-01", "minutes": 30} for i, t in enumerate(tasks)]
    return scenario


def capture(folder: Path) -> Traffic:
    recorded: list[Exchange] = []
    scenario = load_scenario(SCENARIOS / f"{SCENARIO}.json")
    for mode in MODES:
        with recorded_world(folder / mode, scenario, ROOT) as (_, recorder, ctx):
            recorder.source = f"{mode}:{SCENARIO}"
            replay(scenario, open_integration(mode, ctx), ctx)
            recorded.extend(recorder.exchanges)
    big = big_scenario()
    with recorded_world(folder / "client", big, ROOT) as (_, recorder, ctx):
        recorder.source = "client"
        credentials, portal = acting_user(big)
        errors = drive_client(ctx.projects_for(credentials, portal), big, recorder)
        recorded.extend(recorder.exchanges)
    return Traffic(recorded, errors)


def drive_client(projects: ProjectsClient, scenario: dict[str, Any],
                 recorder: Recorder) -> dict[str, Exception]:
    """Call every ProjectsClient method; errors answered on purpose are kept by name."""
    data = scenario["projects"]
    project = data["projects"][0]
    pid = str(project["id"])
    owner = str(project["owner_id"])
    open_task = next(t for t in data["tasks"] if t["project_id"] == pid and not t.get("completed"))
    client_id = str(project["client_ids"][0])
    user = next(u for u in data["users"] if u["id"] == owner)

    list(projects.list_portals())
    list(projects.list_users())
    list(projects.list_clients())
    list(projects.list_projects())
    projects.get_project(pid)
    projects.project_clients(pid)
    projects.project_users(pid)
    list(projects.list_tasks(pid))
    projects.get_task(pid, str(open_task["id"]))
    projects.complete_task(pid, str(open_task["id"]))
    list(projects.list_bugs(pid))
    list(projects.list_timelogs(pid))
    today = dt.date.fromisoformat(scenario["today"])
    projects.add_timelog(pid, task_id=str(open_task["id"]), date=today, minutes=90,
                         billable=True, user_id=owner, notes="contract task log")
    projects.add_timelog(pid, date=today, minutes=30, billable=False, user_id=owner,
                         notes="contract general log")
    projects.verify_zsc_key(str(user["zsc_key"]))
    invoice = projects.create_invoice(pid, {
        "client_id": client_id, "date": today, "books_invoice_id": "CT-1",
        "line_items": [{"description": "Contract check", "quantity": 1, "rate": 10}]})
    list(projects.list_invoices(pid))
    projects.get_invoice(pid, str(invoice["id"]))
    projects.update_invoice(pid, str(invoice["id"]), {"notes": "checked", "due_date": today})
    expense = projects.create_expense(pid, {"client_id": client_id, "amount": 12.5,
                                            "date": today, "description": "stamps"})
    list(projects.list_expenses(pid))
    projects.update_expense(pid, str(expense["id"]), {"description": "stamps, checked"})
    projects.link_transaction(pid, {"kind": "invoice", "books_id": "B-CT-1", "total": 10,
                                    "currency_code": "USD", "status": "sent"})
    projects.finance(pid)
    errors: dict[str, Exception] = {}
    try:
        projects.get_project("1")
    except Exception as exc:  # noqa: BLE001 - kept for the test to look at
        errors["unknown project"] = exc
    recorder.source = WRONG_ON_PURPOSE  # the REST path v3 does not have
    try:
        projects.http.request("GET", f"/portal/{projects.portal_id}/projects/{pid}/bugs")
    except Exception as exc:  # noqa: BLE001
        errors["unknown path"] = exc
    recorder.source = "client"
    doomed = str(next(p["id"] for p in reversed(data["projects"])
                      if p["portal_id"] == projects.portal_id and p["id"] != pid))
    projects.delete_project(doomed)
    return errors
