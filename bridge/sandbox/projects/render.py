"""Stored Projects records -> the REST API's JSON (MM-DD-YYYY dates, "HH:MM", *_long times).

Ids are answered as strings in `id` and `id_string` alike [guess: the real service answers
`id` as a JSON number; strings keep 18-digit ids exact for every client].
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from bridge.sandbox.db import Body
from bridge.sandbox.formats import day_ms, hhmm, money_str, to_mdy

Lookup = Callable[[str, str | None], Body | None]


def portal(p: Body, role: str, default: bool) -> Body:
    return {"id": p["id"], "id_string": p["id"], "name": p["name"], "default": default,
            "role": role, "owner_id": p["owner_id"],
            "timesheet_approval": bool(p.get("timesheet_approval", True))}


def user(u: Body, portal_id: str) -> Body:
    out: Body = {"id": u["id"], "id_string": u["id"], "name": u["name"], "email": u["email"],
                 "active": bool(u.get("active", True)),
                 "role": (u.get("roles") or {}).get(portal_id, "")}
    if u.get("rate") is not None:
        out["rate"] = money_str(Decimal(str(u["rate"])))
    return out


def client(c: Body, is_primary: bool | None = None) -> Body:
    out: Body = {"id": c["id"], "id_string": c["id"], "name": c["name"],
                 "currency_code": c["currency_code"]}
    if c.get("books_contact_id"):
        out["books_contact_id"] = c["books_contact_id"]
    if is_primary is not None:
        out["is_primary"] = is_primary
    return out


def project(p: Body, lookup: Lookup) -> Body:
    owner = lookup("users", p.get("owner_id"))
    out: Body = {
        "id": p["id"], "id_string": p["id"], "name": p["name"],
        "status": p.get("status", "active"), "owner_id": p.get("owner_id", ""),
        "owner_name": owner["name"] if owner else "",
        "created_date_long": p.get("created_time_long", 0),
        "created_time_long": p.get("created_time_long", 0),
        "last_modified_time_long": p.get("last_modified_time_long", 0),
    }
    if p.get("rate") is not None:
        out["rate"] = money_str(Decimal(str(p["rate"])))
    return out


def task(t: Body, lookup: Lookup, mark: Body | None) -> Body:
    done = bool(t.get("completed", False))
    owners = [lookup("users", uid) for uid in t.get("owner_ids") or []]
    out: Body = {
        "id": t["id"], "id_string": t["id"], "name": t["name"], "completed": done,
        "status": {"name": "Closed" if done else "Open", "type": "closed" if done else "open"},
        "percent_complete": "100" if done else "0", "priority": "None",
        "billable": bool(t.get("billable", True)),
        "details": {"owners": [{"id": o["id"], "name": o["name"]} for o in owners if o]},
        "invoiced": mark is not None, "invoice_id": mark["invoice_id"] if mark else "",
        "created_time_long": t.get("created_time_long", 0),
        "last_modified_time_long": t.get("last_modified_time_long", 0),
    }
    if t.get("rate") is not None:
        out["rate"] = money_str(Decimal(str(t["rate"])))
    return out


def bug(b: Body) -> Body:
    return {
        "id": b["id"], "id_string": b["id"], "key": f"BUG-{b['id'][-4:]}", "title": b["title"],
        "status": {"type": b.get("status", "Open")},
        "severity": {"type": b.get("severity", "Minor")}, "closed": bool(b.get("closed", False)),
        "assignee_name": "", "created_time_long": b.get("created_time_long", 0),
        "last_modified_time_long": b.get("last_modified_time_long", 0),
    }


def timelog(log: Body, lookup: Lookup) -> Body:
    total = int(log["minutes"])
    hours = int(total / 60)  # toward zero, so -90 is -1 h -30 min
    owner = lookup("users", log.get("user_id"))
    out: Body = {
        "id": log["id"], "id_string": log["id"], "owner_id": log["user_id"],
        "owner_name": owner["name"] if owner else "",
        "hours": hours, "minutes": total - hours * 60, "total_minutes": total,
        "hours_display": hhmm(total),
        "bill_status": "Billable" if log.get("billable", True) else "Non Billable",
        "log_date_long": day_ms(log["date"]), "log_date": to_mdy(log["date"]),
        "notes": log.get("notes", ""),
        "approval_status": log.get("approval_status", "Approved"),
        "invoice_id": log.get("invoice_id", ""),
        "project": {"id": log["project_id"]},
        "created_time_long": log.get("created_time_long", 0),
        "last_modified_time_long": log.get("last_modified_time_long", 0),
    }
    if log.get("task_id"):
        found = lookup("tasks", log["task_id"])
        out["task"] = {"id": log["task_id"], "name": found["name"] if found else ""}
    elif log.get("bug_id"):
        found = lookup("bugs", log["bug_id"])
        out["bug"] = {"id": log["bug_id"], "title": found["title"] if found else ""}
    return out


def component(log: Body) -> str:
    return "task" if log.get("task_id") else "bug" if log.get("bug_id") else "general"


def by_date(logs: list[Body], lookup: Lookup) -> Body:
    """Logs grouped by date, as the REST API answers them."""
    days: dict[str, Body] = {}
    grand = 0
    for log in logs:
        group = days.setdefault(log["date"], {
            "date_long": day_ms(log["date"]), "display_format": to_mdy(log["date"]),
            "total_hours": 0, "tasklogs": [], "buglogs": [], "generallogs": []})
        group[f"{component(log)}logs"].append(timelog(log, lookup))
        group["total_hours"] += int(log["minutes"])
        grand += int(log["minutes"])
    for group in days.values():
        group["total_hours"] = hhmm(group["total_hours"])
    return {"timelogs": {"date": list(days.values()), "grandtotal": hhmm(grand)}}


def expense(e: Body, lookup: Lookup) -> Body:
    found = lookup("clients", e.get("client_id"))
    return {
        "id": e["id"], "id_string": e["id"], "project_id": e["project_id"],
        "client_id": e.get("client_id", ""), "client_name": found["name"] if found else "",
        "amount": money_str(Decimal(str(e["amount"]))), "currency_code": e["currency_code"],
        "date": to_mdy(e["date"]), "date_long": day_ms(e["date"]),
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
        "id": i["id"], "id_string": i["id"], "project_id": i["project_id"],
        "number": i["number"], "client_id": i.get("client_id", ""),
        "client_name": found["name"] if found else "", "currency_code": i["currency_code"],
        "date": to_mdy(i["date"]), "due_date": to_mdy(i.get("due_date") or i["date"]),
        "notes": i.get("notes", ""), "reference_number": i.get("reference_number", ""),
        "status": i["status"],
        "line_items": i["line_items"], "total": i["total"],
        "books_invoice_id": i.get("books_invoice_id", ""),
        "created_time_long": i.get("created_time_long", 0),
        "last_modified_time_long": i.get("last_modified_time_long", 0),
    }
