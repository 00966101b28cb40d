"""Generated portal scenarios of a chosen size, for the sync benchmark and the limit tests.

Projects each with one client and three members, tasks (every third completed), bugs, and
billable, approved time logs on tasks spread over the last 200 days, so a first sync makes
a known number of calls. The result is an ordinary scenario: `Sandbox.seed` takes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

TODAY = dt.date(2026, 3, 31)
PORTAL, OWNER = "70000001", "71000000001"
MEMBERS = 3


def owner_key(name: str) -> str:
    """The ZSC key of the generated portal's owner."""
    return f"{name}-key-0123456789abcdef"


def owner_email(name: str) -> str:
    return f"owner@{name}.example"


def portal_scenario(name: str, *, projects: int, tasks: int, bugs: int, logs: int, users: int = 8,
                    clients: int | None = None, plan: str = "premium") -> dict[str, Any]:
    """`clients` defaults to one per two projects."""
    people = [{"id": OWNER, "name": "Owner One", "email": owner_email(name), "roles": {PORTAL: "owner"},
               "zsc_key": owner_key(name), "rate": "100.00"}]
    people += [{"id": str(71000000002 + i), "name": f"Staff {i}", "email": f"staff{i}@{name}.example",
                "roles": {PORTAL: "employee"}, "rate": f"{60 + i}.00"} for i in range(users - 1)]
    ids = [u["id"] for u in people]
    client_list = [{"id": str(72000000001 + i), "portal_id": PORTAL, "name": f"Client {i:03d}",
                    "currency_code": "USD"} for i in range(clients or max(1, projects // 2))]
    plist: list[dict[str, Any]] = [{"id": str(73000000001 + i), "portal_id": PORTAL, "name": f"Project {i:05d}",
              "client_ids": [client_list[i % len(client_list)]["id"]], "rate": "100.00", "owner_id": OWNER,
              "user_ids": [ids[(i + k) % users] for k in range(MEMBERS)]} for i in range(projects)]
    tlist: list[dict[str, Any]] = [{"id": str(74000000001 + i), "project_id": plist[i % projects]["id"],
              "name": f"Task {i:06d}", "completed": i % 3 == 0, "billable": True} for i in range(tasks)]
    blist = [{"id": str(75000000001 + i), "project_id": plist[i % projects]["id"], "title": f"Bug {i:05d}"}
             for i in range(bugs)]
    members: dict[str, list[str]] = {p["id"]: p["user_ids"] for p in plist}
    llist = []
    for i in range(logs):
        task = tlist[i % tasks]
        llist.append({"id": str(76000000001 + i), "project_id": task["project_id"], "task_id": task["id"],
                      "user_id": members[task["project_id"]][i % MEMBERS],
                      "date": (TODAY - dt.timedelta(days=1 + i % 200)).isoformat(),
                      "minutes": 30 + (i % 16) * 30, "billable": True, "approval_status": "Approved"})
    return {
        "name": name, "description": "a generated portal", "today": TODAY.isoformat(),
        "books": {"organization": {"organization_id": "60000000001", "name": f"{name.title()} Org",
                                   "email": f"books@{name}.example", "currency_code": "USD", "plan": plan},
                  "users": [{"user_id": "77000000001", "name": "Owner One", "email": owner_email(name),
                             "user_role": "admin", "is_current_user": True}],
                  "contacts": []},
        "projects": {"portals": [{"id": PORTAL, "name": name, "owner_id": OWNER, "timesheet_approval": True}],
                     "users": people, "clients": client_list, "projects": plist, "tasks": tlist, "bugs": blist,
                     "timelogs": llist, "expenses": []},
        "operations": [],
    }


def legacy_scenario(name: str, *, projects: int, tasks: int, bugs: int = 0, logs: int = 0,
                    invoices: int | None = None, plan: str = "premium") -> dict[str, Any]:
    """A generated portal on the legacy integration: `portal_scenario`'s data, each client
    named as a Books customer, and the operations of a legacy customer's life: the owner
    connects, the first mirror runs, `invoices` projects (default: half of them; at most those
    with logged time, whose first task with time is then completed) are invoiced in turn from
    Books and from Projects, each billing its completed tasks' approved time, and a last
    mirror runs. What a fleet migrates when its manifest gives a size instead of
    a shipped scenario."""
    scenario = portal_scenario(name, projects=projects, tasks=tasks, bugs=bugs, logs=logs, plan=plan)
    clients = scenario["projects"]["clients"]
    contacts = [{"contact_id": str(78000000001 + i), "contact_name": c["name"], "currency_code": "USD",
                 "email": f"ap{i}@{name}.example", "contact_type": "customer"} for i, c in enumerate(clients)]
    for client, contact in zip(clients, contacts, strict=True):
        client["books_contact_id"] = contact["contact_id"]
    scenario["books"]["contacts"] = contacts
    customer_of = {c["id"]: c["books_contact_id"] for c in clients}
    # a project is invoiced for a completed task's logged time: the first task with time of
    # each project to invoice is completed (a project without logged time has nothing)
    logged = {log["task_id"] for log in scenario["projects"]["timelogs"]}
    first_logged: dict[str, dict[str, Any]] = {}
    for task in scenario["projects"]["tasks"]:
        if task["id"] in logged:
            first_logged.setdefault(task["project_id"], task)
    wanted = projects // 2 if invoices is None else invoices
    billed = [p for p in scenario["projects"]["projects"] if p["id"] in first_logged][:wanted]
    for project in billed:
        first_logged[project["id"]]["completed"] = True
    scenario["description"] = "a generated portal on the legacy integration"
    scenario["operations"] = [
        {"op": "connect", "user_id": OWNER, "portal_id": PORTAL},
        {"op": "sync"},
        *({"op": "create_invoice", "side": "books" if i % 2 == 0 else "projects", "project_id": p["id"],
           "customer_id": customer_of[p["client_ids"][0]], "ref": f"invoice-{i}"} for i, p in enumerate(billed)),
        {"op": "sync"},
    ]
    return scenario
