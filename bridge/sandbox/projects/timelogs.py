"""Projects time logs (no HTTP): list a project's logs grouped by date, add task/general logs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bridge.sandbox.db import Body
from bridge.sandbox.formats import parse_hhmm, parse_mdy
from bridge.sandbox.projects import render
from bridge.sandbox.projects.common import (
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
COMPONENTS = {
    "task": "json_extract(d.body, '$.task_id') IS NOT NULL",
    "bug": "json_extract(d.body, '$.bug_id') IS NOT NULL",
    "general": ("json_extract(d.body, '$.task_id') IS NULL AND "
                "json_extract(d.body, '$.bug_id') IS NULL"),
}


class TimelogState(ProjectsBase):
    def logs(self, portal_id: str, project_id: str, index: int, range_: int,
             q: dict[str, str], task_id: str | None = None) -> Body | None:
        """One page of a project's logs grouped by date; None when the page is empty."""
        project = self.project_in(portal_id, project_id)
        where: list[str] = []
        params: list[Any] = []
        if task_id is not None:
            self.child_of("tasks", project, task_id)
            where.append("json_extract(d.body, '$.task_id') = ?")
            params.append(task_id)
        bill = q.get("bill_status", "All") or "All"
        if bill != "All":
            if bill not in BILL_STATUS:
                raise bad("bill_status", "All, Billable or Non Billable")
            where.append("coalesce(json_extract(d.body, '$.billable'), 1) = ?")
            params.append(1 if BILL_STATUS[bill] else 0)
        if q.get("component_type"):
            if q["component_type"] not in COMPONENTS:
                raise bad("component_type", "task, bug or general")
            where.append(COMPONENTS[q["component_type"]])
        users = q.get("users_list", "all") or "all"
        if users != "all":
            ids = [u.strip() for u in users.split(",") if u.strip()]
            where.append(f"json_extract(d.body, '$.user_id') IN ({','.join('?' for _ in ids)})")
            params += ids
        span = _span(q)
        if span is not None:
            where.append("json_extract(d.body, '$.date') BETWEEN ? AND ?")
            params += list(span)
        if q.get("last_modified_time"):
            try:
                since = int(q["last_modified_time"])
            except ValueError as exc:
                raise bad("last_modified_time", "epoch milliseconds") from exc
            where.append("json_extract(d.body, '$.last_modified_time_long') >= ?")
            params.append(since)
        rows = self.page("timelogs", index, range_, parent=project_id, where=where,
                         params=params, order="json_extract(d.body, '$.date'), d.rid")
        return render.by_date(rows, self.lookup) if rows else None

    def add_log(self, portal_id: str, project_id: str, form: dict[str, str],
                task_id: str | None = None) -> Body:
        project = self.project_in(portal_id, project_id)
        if task_id is not None:
            self.child_of("tasks", project, task_id)
        role = self.role(portal_id)
        owner_id = form_text(form, "owner") or self.caller["id"]
        if owner_id != self.caller["id"] and role not in MANAGES:
            raise forbidden("Only managers may log time for other users")
        owner = self.lookup("users", owner_id)
        if owner is None or not (owner.get("roles") or {}).get(portal_id):
            raise bad("owner", "not a user of this portal")
        hours = form_text(form, "hours", required=True)
        minutes = parse_hhmm(hours)
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
        if task_id is not None:
            log["task_id"] = task_id
        self.tx.insert(SERVICE, "timelogs", log["id"], self.stamp_new(log), parent=project_id)
        key = "tasklogs" if task_id is not None else "generallogs"
        return {"timelogs": {key: [render.timelog(log, self.lookup)]}}


def _span(q: dict[str, str]) -> tuple[str, str] | None:
    """The dates a view covers: day, week (Sunday to Saturday), month, or custom_date."""
    view = q.get("view_type", "")
    if not view:
        return None
    if view == "custom_date":
        raw: Any = q.get("custom_date") or {}
        try:
            custom = json.loads(raw) if isinstance(raw, str) and raw else {}
        except ValueError as exc:
            raise bad("custom_date", "a JSON object with start_date and end_date") from exc
        start = parse_mdy(custom.get("start_date") or q.get("start_date", ""))
        end = parse_mdy(custom.get("end_date") or q.get("end_date", ""))
        if start is None or end is None:
            raise missing("custom_date")
        return start, end
    if view not in ("day", "week", "month"):
        raise bad("view_type", "day, week, month or custom_date")
    day = dt.date.fromisoformat(form_date(q, "date"))
    if view == "day":
        return day.isoformat(), day.isoformat()
    if view == "week":
        first = day - dt.timedelta(days=(day.weekday() + 1) % 7)
        return first.isoformat(), (first + dt.timedelta(days=6)).isoformat()
    first = day.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return first.isoformat(), last.isoformat()
