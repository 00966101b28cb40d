"""Projects time logs (no HTTP): list one module type of a project's logs over a date view,
and add a log (`POST .../log`, one JSON body for task, issue and general logs).

The list's mandatory parameters [2nd G1]: `view_type` (day, week, month, customdate),
`start_date` (and `end_date` for customdate) as yyyy-mm-dd, and `module` as JSON
`{"type": "task"|"issue"|"general"[, "id"]}`. A list without them is refused (400), as
the old REST API documents them mandatory too.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sandbox.db import Body
from sandbox.formats import parse_hhmm, parse_iso
from sandbox.projects import render
from sandbox.projects.common import (
    MANAGES,
    SERVICE,
    ProjectsBase,
    bad,
    forbidden,
    form_date,
    form_text,
    missing,
)

BILL_STATUS = {"Billable": True, "Non Billable": False}
MODULES = {
    "task": "json_extract(d.body, '$.task_id') IS NOT NULL",
    "issue": "json_extract(d.body, '$.bug_id') IS NOT NULL",
    "general": ("json_extract(d.body, '$.task_id') IS NULL AND "
                "json_extract(d.body, '$.bug_id') IS NULL"),
}
MODULE_FIELD = {"task": "task_id", "issue": "bug_id"}
VIEWS = ("day", "week", "month", "customdate")


def module_of(raw: str, field: str = "module") -> dict[str, str]:
    try:
        module = json.loads(raw) if raw else None
    except ValueError as exc:
        raise bad(field, 'a JSON object such as {"type": "task"}') from exc
    if not isinstance(module, dict):
        raise missing(field)
    kind = str(module.get("type") or "")
    if kind not in MODULES:
        raise bad(f"{field}.type", "task, issue or general")
    return {"type": kind, "id": str(module.get("id") or "")}


class TimelogState(ProjectsBase):
    def logs(self, portal_id: str, project_id: str, index: int, range_: int,
             q: dict[str, str]) -> list[Body]:
        """One page of a project's logs of one module type, oldest first (raw records)."""
        project = self.project_in(portal_id, project_id)
        module = module_of(q.get("module", ""))
        where: list[str] = [MODULES[module["type"]]]
        params: list[Any] = []
        if module["id"]:
            field = MODULE_FIELD.get(module["type"])
            if field is None:
                raise bad("module.id", "a general log has no module id")
            self.child_of("tasks" if field == "task_id" else "bugs", project, module["id"])
            where.append(f"json_extract(d.body, '$.{field}') = ?")
            params.append(module["id"])
        start, end = _span(q)
        where.append("json_extract(d.body, '$.date') BETWEEN ? AND ?")
        params += [start, end]
        return self.page("timelogs", index, range_, parent=project_id, where=where,
                         params=params, order="json_extract(d.body, '$.date'), d.rid")

    def add_log(self, portal_id: str, project_id: str, form: dict[str, str]) -> Body:
        project = self.project_in(portal_id, project_id)
        module = module_of(form.get("module", ""))
        field = MODULE_FIELD.get(module["type"])
        if field is not None:
            if not module["id"]:
                raise missing("module.id")
            self.child_of("tasks" if field == "task_id" else "bugs", project, module["id"])
        role = self.role(portal_id)
        owner_id = form_text(form, "owner_zpuid") or self.caller["id"]
        if owner_id != self.caller["id"] and role not in MANAGES:
            raise forbidden("Only managers may log time for other users")
        owner = self.lookup("users", owner_id)
        if owner is None or not (owner.get("roles") or {}).get(portal_id):
            raise bad("owner_zpuid", "not a user of this portal")
        minutes = parse_hhmm(form_text(form, "hours", required=True))
        if minutes is None:
            raise bad("hours", "use HH:MM")
        bill = form_text(form, "bill_status") or "Billable"
        if bill not in BILL_STATUS:
            raise bad("bill_status", "Billable or Non Billable")
        portal = self.lookup("portals", portal_id) or {}
        approved = not portal.get("timesheet_approval", True) or role in ("owner", "admin")
        log: Body = {
            "id": self.tx.next_id(), "project_id": project_id, "user_id": owner_id,
            "date": form_date(form, "date"), "minutes": minutes,
            "billable": BILL_STATUS[bill],
            "approval_status": "Approved" if approved else "Pending",
            "notes": form_text(form, "notes"), "invoice_id": "",
        }
        if field is not None:
            log[field] = module["id"]
        self.tx.insert(SERVICE, "timelogs", log["id"], self.stamp_new(log), parent=project_id)
        return {"time_logs": render.by_date([log], self.lookup)}


def _span(q: dict[str, str]) -> tuple[str, str]:
    """The dates a view covers: day, week (Sunday to Saturday), month, or customdate."""
    view = q.get("view_type", "")
    if not view:
        raise missing("view_type")
    if view not in VIEWS:
        raise bad("view_type", ", ".join(VIEWS))
    start = _date(q, "start_date")
    if view == "customdate":
        end = _date(q, "end_date")
        if end < start:
            raise bad("end_date", "before start_date")
        return start, end
    day = dt.date.fromisoformat(start)
    if view == "day":
        return start, start
    if view == "week":
        first = day - dt.timedelta(days=(day.weekday() + 1) % 7)
        return first.isoformat(), (first + dt.timedelta(days=6)).isoformat()
    first = day.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first.isoformat(), last.isoformat()


def _date(q: dict[str, str], field: str) -> str:
    raw = q.get(field, "")
    if not raw:
        raise missing(field)
    iso = parse_iso(raw)
    if iso is None:
        raise bad(field, "use yyyy-mm-dd")
    return iso
