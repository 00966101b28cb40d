"""Stored Projects records -> API v3's JSON (PROJECTS-V3.md §4): ids as strings, dates
yyyy-mm-dd, times ISO 8601, users as `{zpuid, name}`, statuses as objects, issues for bugs,
time logs grouped as `time_logs[].log_details[]` with `module: {id, type, name}`.

Where §4 has no shape (the log list's answer [gap], a portal's `role`, issue fields), the
shape is ours and `bridge.clients.projects_shapes` reads it; fields the public API lacks
(task `billable`/`rate`/`invoiced`, project and user `rate`, a log's `invoice_id`) are
rendered as the product holds them and are sandbox-only (`SANDBOX_ONLY_FIELDS`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal

from sandbox.db import Body
from sandbox.formats import hhmm, money_str

Lookup = Callable[[str, str | None], Body | None]


@functools.lru_cache(maxsize=4096)  # a page of records shares a few instants
@functools.lru_cache(maxsize=4096)  # a page of records shares a few instants
def iso_time(ms: int) -> str:
    """Epoch milliseconds as v3's ISO 8601 time, to the millisecond."""
    ms = int(ms or 0)
    when = dt.datetime.fromtimestamp(ms // 1000, dt.UTC)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def page_info(page_first: int, per_page: int, has_next: bool) -> Body:
    return {"page": (page_first - 1) // per_page + 1, "per_page": per_page,
            "has_next_page": has_next}


def portal(p: Body, role: str, default: bool) -> Body:
    return {"id": p["id"], "name": p["name"], "is_default": default,
            "role": role, "owner_id": p["owner_id"],
            "timesheet_approval": bool(p.get("timesheet_approval", True))}


def user(u: Body, portal_id: str) -> Body:
    out: Body = {"id": u["id"], "zpuid": u["id"], "name": u["name"], "email": u["email"],
                 "is_active": bool(u.get("active", True)),
                 "role": {"name": (u.get("roles") or {}).get(portal_id, "")}}
    if u.get("rate") is not None:  # sandbox-only
        out["rate"] = money_str(Decimal(str(u["rate"])))
    return out


def client(c: Body, is_primary: bool | None = None) -> Body:
    out: Body = {"id": c["id"], "name": c["name"], "currency_code": c["currency_code"]}
    if c.get("books_contact_id"):
        out["books_contact_id"] = c["books_contact_id"]
    if is_primary is not None:
        out["is_primary"] = is_primary
    return out


def project(p: Body, lookup: Lookup) -> Body:
    owner = lookup("users", p.get("owner_id"))
    out: Body = {
        "id": p["id"], "name": p["name"], "project_type": p.get("status", "active"),
        "owner": {"zpuid": p.get("owner_id", ""), "name": owner["name"] if owner else ""},
        "created_time": iso_time(p.get("created_time_long", 0)),
        "modified_time": iso_time(p.get("last_modified_time_long", 0)),
    }
    if p.get("rate") is not None:  # sandbox-only
        out["rate"] = money_str(Decimal(str(p["rate"])))
    return out


CLOSED = {"id": "closed", "name": "Closed", "is_closed_type": True}
OPEN = {"id": "open", "name": "Open", "is_closed_type": False}


def task(t: Body, lookup: Lookup, mark: Body | None) -> Body:
    done = bool(t.get("completed", False))
    owners = [lookup("users", uid) for uid in t.get("owner_ids") or []]
    out: Body = {
        "id": t["id"], "name": t["name"], "is_completed": done,
        "status": dict(CLOSED if done else OPEN),
        "completion_percentage": 100 if done else 0, "priority": "none",
        "owners_and_work": {"owners": [{"zpuid": o["id"], "name": o["name"]}
                                       for o in owners if o]},
        "created_time": iso_time(t.get("created_time_long", 0)),
        "modified_time": iso_time(t.get("last_modified_time_long", 0)),
        # sandbox-only: the public API has no billable flag, rate or invoice mark
        "billable": bool(t.get("billable", True)),
        "invoiced": mark is not None, "invoice_id": mark["invoice_id"] if mark else "",
    }
    if t.get("rate") is not None:
        out["rate"] = money_str(Decimal(str(t["rate"])))
    return out


def issue(b: Body) -> Body:
    return {
        "id": b["id"], "key": f"BUG-{b['id'][-4:]}", "name": b["title"],
        "status": {"name": b.get("status", "Open"),
                   "is_closed_type": bool(b.get("closed", False))},
        "severity": {"name": b.get("severity", "Minor")},
        "is_closed": bool(b.get("closed", False)),
        "created_time": iso_time(b.get("created_time_long", 0)),
        "modified_time": iso_time(b.get("last_modified_time_long", 0)),
    }


def component(log: Body) -> str:
    """A stored log's v3 module type."""
    return "task" if log.get("task_id") else "issue" if log.get("bug_id") else "general"


def timelog(log: Body, lookup: Lookup) -> Body:
    owner = lookup("users", log.get("user_id"))
    kind = component(log)
    module: Body = {"type": kind}
    if kind == "task":
        found = lookup("tasks", log["task_id"])
        module.update(id=log["task_id"], name=found["name"] if found else "")
    elif kind == "issue":
        found = lookup("bugs", log["bug_id"])
        module.update(id=log["bug_id"], name=found["title"] if found else "")
    return {
        "id": log["id"], "module": module, "date": log["date"],
        "owner": {"zpuid": log["user_id"], "name": owner["name"] if owner else ""},
        "hours": hhmm(int(log["minutes"])),
        "bill_status": "Billable" if log.get("billable", True) else "Non Billable",
        "notes": log.get("notes", ""),
        "approval_status": log.get("approval_status", "Approved"),
        "project": {"id": log["project_id"]},
        "invoice_id": log.get("invoice_id", ""),  # sandbox-only
        "created_time": iso_time(log.get("created_time_long", 0)),
        "modified_time": iso_time(log.get("last_modified_time_long", 0)),
    }


def by_date(logs: list[Body], lookup: Lookup) -> list[Body]:
    """Logs grouped by date: `[{"date", "total_hours", "log_details": [...]}]`."""
    days: dict[str, Body] = {}
    for log in logs:
        group = days.setdefault(log["date"], {"date": log["date"], "minutes": 0,
                                              "log_details": []})
        group["log_details"].append(timelog(log, lookup))
        group["minutes"] += int(log["minutes"])
    for group in days.values():
        group["total_hours"] = hhmm(group.pop("minutes"))
    return list(days.values())


# -- sandbox-only records: Projects-side invoices and expenses ---------------------------------
def expense(e: Body, lookup: Lookup) -> Body:
    found = lookup("clients", e.get("client_id"))
    return {
        "id": e["id"], "project_id": e["project_id"],
        "client_id": e.get("client_id", ""), "client_name": found["name"] if found else "",
        "amount": money_str(Decimal(str(e["amount"]))), "currency_code": e["currency_code"],
        "date": e["date"],
        "description": e.get("description", ""), "billable": bool(e.get("billable", True)),
        "status": expense_status(e), "invoice_id": e.get("invoice_id", ""),
        "books_expense_id": e.get("books_expense_id", ""),
        "created_time_long": e.get("created_time_long", 0),
        "last_modified_time_long": e.get("last_modified_time_long", 0),
    }


def expense_status(e: Body) -> str:
    if e.get("invoice_id"):
        return "invoiced"
    return "unbilled" if e.get("billable", True) else "nonbillable"


def invoice(i: Body, lookup: Lookup) -> Body:
    found = lookup("clients", i.get("client_id"))
    return {
        "id": i["id"], "project_id": i["project_id"],
        "number": i["number"], "client_id": i.get("client_id", ""),
        "client_name": found["name"] if found else "", "currency_code": i["currency_code"],
        "date": i["date"], "due_date": i.get("due_date") or i["date"],
        "notes": i.get("notes", ""), "reference_number": i.get("reference_number", ""),
        "status": i["status"],
        "line_items": i["line_items"], "total": i["total"],
        "books_invoice_id": i.get("books_invoice_id", ""),
        "created_time_long": i.get("created_time_long", 0),
        "last_modified_time_long": i.get("last_modified_time_long", 0),
    }
