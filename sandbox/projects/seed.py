"""The Projects part of a scenario as rows to bulk-load (a 200,000-log portal seeds in seconds).

Records keep the scenario's shape with its defaults filled in, plus `created_time_long` and
`last_modified_time_long` from the sandbox clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sandbox.db import Body, Row
from sandbox.formats import epoch_ms

SERVICE = "projects"

DEFAULTS: dict[str, dict[str, Any]] = {
    "portals": {"timesheet_approval": True},
    "users": {"active": True, "roles": {}},
    "clients": {},
    "projects": {"status": "active", "client_ids": [], "user_ids": []},
    "tasks": {"completed": False, "billable": True, "owner_ids": []},
    "bugs": {"status": "Open", "severity": "Minor", "closed": False},
    "timelogs": {"billable": True, "approval_status": "Approved", "notes": "", "invoice_id": ""},
    "expenses": {"billable": True, "description": "", "client_id": "", "books_expense_id": "",
                 "invoice_id": ""},
}
# where each kind hangs: listed by this field of the record
PARENT = {"clients": "portal_id", "projects": "portal_id", "tasks": "project_id",
          "bugs": "project_id", "timelogs": "project_id", "expenses": "project_id"}


def projects_rows(now: dt.datetime, scenario: dict[str, Any]) -> Iterator[Row]:
    """The scenario's Projects records, generated lazily (a seed may hold 200,000 logs)."""
    data: dict[str, Any] = scenario.get("projects", {})
    ms = epoch_ms(now)
    for kind, defaults in DEFAULTS.items():
        for record in data.get(kind, []):
            body: Body = {**defaults, **record}
            if kind not in ("portals", "users", "clients"):
                body["created_time_long"] = ms
                body["last_modified_time_long"] = ms
            if kind == "expenses":
                body["amount"] = str(body["amount"])
            parent = str(body.get(PARENT[kind], "")) if kind in PARENT else ""
            yield SERVICE, kind, str(body["id"]), parent, _ref(kind, body), body


def _ref(kind: str, body: Body) -> str:
    if kind == "users":
        return str(body.get("zsc_key") or "")
    if kind == "expenses" and body.get("books_expense_id"):
        return f"expense:{body['books_expense_id']}"
    return ""
