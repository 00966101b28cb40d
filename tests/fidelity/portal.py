"""A generated portal of a chosen size (the shape of bench/sync.py): projects with clients,
members, tasks, bugs and billable, approved time logs, so a first sync makes a known number
of Books calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

TODAY = dt.date(2026, 3, 31)
PORTAL, OWNER, KEY = "70000001", "71000000001", "fidelity-key-0123456789"
USERS = 8


def portal(projects: int, tasks: int, bugs: int, logs: int, *, plan: str = "premium") -> dict[str, Any]:
    users = [{"id": OWNER, "name": "Owner One", "email": "owner@fid.example", "roles": {PORTAL: "owner"},
              "zsc_key": KEY, "rate": "100.00"}]
    users += [{"id": str(71000000002 + i), "name": f"Staff {i}", "email": f"staff{i}@fid.example",
               "roles": {PORTAL: "employee"}, "rate": f"{60 + i}.00"} for i in range(USERS - 1)]
    ids = [u["id"] for u in users]
    clients = [{"id": str(72000000001 + i), "portal_id": PORTAL, "name": f"Client {i:03d}", "currency_code": "USD"}
               for i in range(max(1, projects // 2))]
    plist = [{"id": str(73000000001 + i), "portal_id": PORTAL, "name": f"Project {i:05d}",
              "client_ids": [clients[i % len(clients)]["id"]], "rate": "100.00", "owner_id": OWNER,
              "user_ids": [ids[(i + k) % USERS] for k in range(3)]} for i in range(projects)]
    tlist = [{"id": str(74000000001 + i), "project_id": plist[i % projects]["id"], "name": f"Task {i:06d}",
              "completed": i % 3 == 0, "billable": True} for i in range(tasks)]
    blist = [{"id": str(75000000001 + i), "project_id": plist[i % projects]["id"], "title": f"Bug {i:05d}"}
             for i in range(bugs)]
    members = {p["id"]: p["user_ids"] for p in plist}
    llist = []
    for i in range(logs):
        task = tlist[i % tasks]
        llist.append({"id": str(76000000001 + i), "project_id": task["project_id"], "task_id": task["id"],
                      "user_id": members[task["project_id"]][i % 3],
                      "date": (TODAY - dt.timedelta(days=1 + i % 200)).isoformat(),
                      "minutes": 30 + (i % 16) * 30, "billable": True, "approval_status": "Approved"})
    return {
        "name": "fidelity", "description": "a generated portal", "today": TODAY.isoformat(),
        "books": {"organization": {"organization_id": "60000000001", "name": "Fidelity Org",
                                   "email": "books@fid.example", "currency_code": "USD", "plan": plan},
                  "users": [{"user_id": "77000000001", "name": "Owner One", "email": "owner@fid.example",
                             "user_role": "admin", "is_current_user": True}],
                  "contacts": []},
        "projects": {"portals": [{"id": PORTAL, "name": "fidelity", "owner_id": OWNER, "timesheet_approval": True}],
                     "users": users, "clients": clients, "projects": plist, "tasks": tlist, "bugs": blist,
                     "timelogs": llist, "expenses": []},
        "operations": [],
    }
