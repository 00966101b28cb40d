"""Books projects, their users and tasks, and time entries (no HTTP)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.books.common import (
    SERVICE,
    BooksBase,
    choice,
    day,
    flag,
    id_list,
    invalid,
    json_eq,
    missing,
    money,
    not_found,
    refused,
    text,
)
from sandbox.books.hours import Hours, hours_of
from sandbox.db import Body
from sandbox.formats import hhmm, money_num, parse_hhmm

BILLING_TYPES = ("fixed_cost_for_project", "based_on_project_hours",
                 "based_on_staff_hours", "based_on_task_hours")
LINES_HAVE = ("EXISTS (SELECT 1 FROM json_each(d.body, '$.line_items') li "
              "WHERE json_extract(li.value, '$.project_id') = ?)")
ENTRY_FILTERS = ("Status.All", "Status.Unbilled", "Status.Invoiced", "Status.Billable",
                 "Status.NonBillable")


class WorkState(BooksBase):
    # -- projects --------------------------------------------------------------------------
    def project(self, project_id: str, *, with_tasks: bool = True) -> Body:
        project = self.need("projects", project_id, "Project")
        if with_tasks:
            hours = hours_of(self.tx, [project_id])[project_id]
            project = {**project, **hours.all.project_fields()}
            project["tasks"] = [{**t, **hours.tasks[t["task_id"]].project_fields()}
                                for t in self.tx.select(SERVICE, "tasks", parent=project_id)]
            project["users"] = [{**m, **hours.users[m["user_id"]].user_fields()}
                                for m in self._render_members(project.get("users", []))]
        return project

    def projects(self, page: int, per_page: int, filters: dict[str, str]) -> tuple[list[Body], bool]:
        where, params = [], []
        for field in ("customer_id", "status"):
            if filters.get(field):
                where.append(json_eq(field))
                params.append(filters[field])
        rows, more = self.page("projects", page, per_page, where=where, params=params)
        hours = hours_of(self.tx, [p["project_id"] for p in rows])
        return [{**{k: v for k, v in p.items() if k != "users"},
                 **hours[p["project_id"]].all.project_fields()} for p in rows], more

    def create_project(self, data: dict[str, Any]) -> Body:
        name = text(data, "project_name", required=True, max_len=100)
        customer = self.ref_of("contacts", text(data, "customer_id", required=True), "customer_id")
        billing = choice(data, "billing_type", BILLING_TYPES, required=True)
        owner = self.ref_of("users", text(data, "user_id", required=True), "user_id")
        project_id = self.tx.next_id()
        project: Body = {
            "project_id": project_id, "project_name": name,
            "customer_id": customer["contact_id"], "customer_name": customer["contact_name"],
            "currency_id": customer["currency_id"], "currency_code": customer["currency_code"],
            "description": text(data, "description"), "status": "active",
            "billing_type": billing, "rate": _rate(data),
            "budget_type": text(data, "budget_type"), "budget_hours": text(data, "budget_hours"),
            "created_time": self.stamp, "last_modified_time": self.stamp,
            "users": [_member(owner["user_id"], Decimal(0), Decimal(0))],
        }
        self.tx.insert(SERVICE, "projects", project_id, project)
        for task in data.get("tasks") or []:
            if isinstance(task, dict):
                self.create_task(project_id, task)
        if isinstance(data.get("users"), list):
            self.add_project_users(project_id, {"users": data["users"]})
        return self.project(project_id)

    def update_project(self, project_id: str, data: dict[str, Any]) -> Body:
        project = self.need("projects", project_id, "Project")
        if "project_name" in data:
            project["project_name"] = text(data, "project_name", required=True, max_len=100)
        if "customer_id" in data:
            customer = self.ref_of("contacts", text(data, "customer_id", required=True),
                                   "customer_id")
            project.update(customer_id=customer["contact_id"],
                           customer_name=customer["contact_name"])
        if "billing_type" in data:
            project["billing_type"] = choice(data, "billing_type", BILLING_TYPES, required=True)
        if "rate" in data:
            project["rate"] = _rate(data)
        for field in ("description", "budget_type", "budget_hours"):
            if field in data:
                project[field] = text(data, field)
        project["last_modified_time"] = self.stamp
        self.tx.put(SERVICE, "projects", project_id, project)
        return self.project(project_id)

    def delete_project(self, project_id: str) -> None:
        self.need("projects", project_id, "Project")
        invoiced = self.tx.count(SERVICE, "time_entries", parent=project_id,
                                 where=[json_eq("billed_status")], params=["invoiced"])
        if invoiced or self._invoice_lines_of(project_id):
            raise refused("The project cannot be deleted as it has transactions.")
        for kind in ("tasks", "time_entries"):
            for row in self.tx.select(SERVICE, kind, parent=project_id):
                self.tx.delete(SERVICE, kind, row["task_id" if kind == "tasks" else "time_entry_id"])
        self.tx.delete(SERVICE, "projects", project_id)

    def _invoice_lines_of(self, project_id: str) -> int:
        return self.tx.count(SERVICE, "invoices", where=[LINES_HAVE], params=[project_id])

    def project_users(self, project_id: str) -> list[Body]:
        project = self.need("projects", project_id, "Project")
        return self._render_members(project.get("users", []))

    def add_project_users(self, project_id: str, data: dict[str, Any]) -> list[Body]:
        project = self.need("projects", project_id, "Project")
        wanted = data.get("users")
        if wanted is None and data.get("user_id"):
            wanted = [{"user_id": data["user_id"]}]
        if not isinstance(wanted, list) or not wanted:
            raise missing("users")
        default_cost = money(data, "cost_rate", default=Decimal(0)) or Decimal(0)
        members = {m["user_id"]: m for m in project.get("users", [])}
        added = []
        for item in wanted:
            if not isinstance(item, dict):
                raise invalid("users")
            user = self.ref_of("users", item.get("user_id"), "user_id")
            member = _member(user["user_id"], money(item, "rate", default=Decimal(0)) or Decimal(0),
                             money(item, "cost_rate", default=default_cost) or Decimal(0))
            members[user["user_id"]] = member
            added.append(member)
        project["users"] = list(members.values())
        project["last_modified_time"] = self.stamp
        self.tx.put(SERVICE, "projects", project_id, project)
        return self._render_members(added)

    def _render_members(self, members: list[Body]) -> list[Body]:
        out = []
        for member in members:
            user = self.get("users", member["user_id"]) or {}
            out.append({"user_id": member["user_id"],
                        "is_current_user": member["user_id"] == self.user_id,
                        "user_name": user.get("name", ""), "email": user.get("email", ""),
                        "user_role": user.get("user_role", ""), "status": user.get("status", ""),
                        "rate": member.get("rate", 0.0), "budget_hours": "0",
                        "cost_rate": member.get("cost_rate", 0.0)})
        return out

    # -- tasks -----------------------------------------------------------------------------
    def task(self, project_id: str, task_id: str) -> Body:
        self.need("projects", project_id, "Project")
        task = self.get("tasks", task_id)
        if task is None or task["project_id"] != project_id:
            raise not_found("Task")
        return task

    def task_view(self, project_id: str, task_id: str) -> Body:
        """The task as Books answers it: with its hours (never stored)."""
        return self._with_hours(project_id, [self.task(project_id, task_id)])[0]

    def tasks(self, project_id: str, page: int, per_page: int) -> tuple[list[Body], bool]:
        self.need("projects", project_id, "Project")
        rows, more = self.page("tasks", page, per_page, parent=project_id)
        return self._with_hours(project_id, rows), more

    def _with_hours(self, project_id: str, tasks: list[Body]) -> list[Body]:
        hours = hours_of(self.tx, [project_id])[project_id].tasks
        return [{**t, **hours.get(t["task_id"], Hours()).task_fields()} for t in tasks]

    def create_task(self, project_id: str, data: dict[str, Any]) -> Body:
        project = self.need("projects", project_id, "Project")
        task_id = self.tx.next_id()
        task: Body = {
            "project_id": project_id, "project_name": project["project_name"],
            "task_id": task_id, "task_name": text(data, "task_name", required=True, max_len=100),
            "description": text(data, "description"), "rate": _rate(data),
            "budget_hours": text(data, "budget_hours"), "status": "active",
            "is_billable": flag(data, "is_billable", True),
            "customer_id": project["customer_id"], "customer_name": project["customer_name"],
            "currency_id": project.get("currency_id", ""),
            "created_time": self.stamp, "last_modified_time": self.stamp,
        }
        self.tx.insert(SERVICE, "tasks", task_id, task, parent=project_id)
        return {**task, **Hours().task_fields()}  # a new task has no time yet

    def update_task(self, project_id: str, task_id: str, data: dict[str, Any]) -> Body:
        task = self.task(project_id, task_id)
        if "task_name" in data:
            task["task_name"] = text(data, "task_name", required=True, max_len=100)
        if "rate" in data:
            task["rate"] = _rate(data)
        if "is_billable" in data:
            task["is_billable"] = flag(data, "is_billable", True)
        for field in ("description", "budget_hours"):
            if field in data:
                task[field] = text(data, field)
        task["last_modified_time"] = self.stamp
        self.tx.put(SERVICE, "tasks", task_id, task)
        return self._with_hours(project_id, [task])[0]

    def delete_task(self, project_id: str, task_id: str) -> None:
        self.task(project_id, task_id)
        if self.tx.count(SERVICE, "time_entries", parent=project_id,
                         where=[json_eq("task_id")], params=[task_id]):
            raise refused("The task cannot be deleted as time has been logged against it.")
        self.tx.delete(SERVICE, "tasks", task_id)

    # -- time entries ----------------------------------------------------------------------
    def entry(self, entry_id: str) -> Body:
        return self._render_entry(self.need("time_entries", entry_id, "Time entry"))

    def entries(self, page: int, per_page: int, f: dict[str, str]) -> tuple[list[Body], bool]:
        where, params = [], []
        if f.get("user_id"):
            where.append(json_eq("user_id"))
            params.append(f["user_id"])
        status = f.get("filter_by") or "Status.All"
        if status.startswith("Status.") and status not in ENTRY_FILTERS:
            raise invalid("filter_by")
        status_where = {
            "Status.Unbilled": ("json_extract(d.body, '$.billed_status') = 'unbilled' AND "
                                "json_extract(d.body, '$.is_billable') = 1"),
            "Status.Invoiced": "json_extract(d.body, '$.billed_status') = 'invoiced'",
            "Status.Billable": "json_extract(d.body, '$.is_billable') = 1",
            "Status.NonBillable": "json_extract(d.body, '$.is_billable') = 0",
        }
        if status in status_where:
            where.append(status_where[status])
        for field, op in (("from_date", ">="), ("to_date", "<=")):
            if f.get(field):
                where.append(f"json_extract(d.body, '$.log_date') {op} ?")
                params.append(day(f, field))
        rows, more = self.page("time_entries", page, per_page,
                               parent=f.get("project_id") or None, where=where, params=params)
        return [self._render_entry(e) for e in rows], more

    def _render_entry(self, entry: Body) -> Body:
        return {**entry, "is_current_user": entry["user_id"] == self.user_id}

    def create_entry(self, data: dict[str, Any]) -> Body:
        project = self.ref_of("projects", text(data, "project_id", required=True), "project_id")
        task = self.ref_of("tasks", text(data, "task_id", required=True), "task_id")
        if task["project_id"] != project["project_id"]:
            raise invalid("task_id", "the task is not in this project")
        user = self.ref_of("users", text(data, "user_id", required=True), "user_id")
        entry_id = self.tx.next_id()
        entry: Body = {
            "time_entry_id": entry_id,
            "project_id": project["project_id"], "project_name": project["project_name"],
            "customer_id": project["customer_id"], "customer_name": project["customer_name"],
            "task_id": task["task_id"], "task_name": task["task_name"],
            "user_id": user["user_id"], "user_name": user["name"],
            "log_date": day(data, "log_date", required=True),
            **_duration(data),
            "is_billable": flag(data, "is_billable", bool(task.get("is_billable", True))),
            "billed_status": "unbilled", "invoice_id": "", "invoice_number": "",
            "notes": text(data, "notes"), "cost_rate": float(money(data, "cost_rate",
                                                                   default=Decimal(0)) or 0),
            "created_time": self.stamp, "last_modified_time": self.stamp,
        }
        self.tx.insert(SERVICE, "time_entries", entry_id, entry, parent=project["project_id"])
        return self._render_entry(entry)

    def update_entry(self, entry_id: str, data: dict[str, Any]) -> Body:
        entry = self.need("time_entries", entry_id, "Time entry")
        if entry["billed_status"] == "invoiced":
            raise refused("An invoiced time entry cannot be edited.")
        merged = {**entry, **{k: v for k, v in data.items() if v is not None}}
        project = self.ref_of("projects", text(merged, "project_id", required=True), "project_id")
        task = self.ref_of("tasks", text(merged, "task_id", required=True), "task_id")
        if task["project_id"] != project["project_id"]:
            raise invalid("task_id", "the task is not in this project")
        user = self.ref_of("users", text(merged, "user_id", required=True), "user_id")
        timing = _duration(data) if ("log_time" in data or "begin_time" in data) else {}
        entry.update(
            project_id=project["project_id"], project_name=project["project_name"],
            customer_id=project["customer_id"], customer_name=project["customer_name"],
            task_id=task["task_id"], task_name=task["task_name"],
            user_id=user["user_id"], user_name=user["name"],
            log_date=day(merged, "log_date", required=True),
            is_billable=flag(merged, "is_billable", True), notes=text(merged, "notes"),
            last_modified_time=self.stamp, **timing)
        self.tx.put(SERVICE, "time_entries", entry_id, entry, parent=project["project_id"])
        return self._render_entry(entry)

    def delete_entry(self, entry_id: str) -> None:
        entry = self.need("time_entries", entry_id, "Time entry")
        if entry["billed_status"] == "invoiced":
            raise refused("An invoiced time entry cannot be deleted.")
        self.tx.delete(SERVICE, "time_entries", entry_id)

    def delete_entries(self, ids: object) -> None:
        entry_ids = id_list(ids, "time_entry_ids")
        if not entry_ids:
            raise missing("time_entry_ids")
        for entry_id in entry_ids:
            self.delete_entry(entry_id)


def _rate(data: dict[str, Any]) -> float:
    amount = money(data, "rate", default=Decimal(0))
    return money_num(amount or Decimal(0))


def _member(user_id: str, rate: Decimal, cost_rate: Decimal) -> Body:
    return {"user_id": user_id, "rate": money_num(rate), "cost_rate": money_num(cost_rate)}


def _duration(data: dict[str, Any]) -> dict[str, str]:
    """log_time "HH:MM", or begin_time and end_time; stored and returned as given."""
    if data.get("log_time") not in (None, ""):
        minutes = parse_hhmm(data["log_time"])
        if minutes is None or minutes < 0:
            raise invalid("log_time", "use HH:MM")
        return {"log_time": hhmm(minutes), "begin_time": "", "end_time": ""}
    begin, end = parse_hhmm(data.get("begin_time")), parse_hhmm(data.get("end_time"))
    if data.get("begin_time") in (None, "") and data.get("end_time") in (None, ""):
        raise missing("log_time")
    if begin is None or not 0 <= begin < 24 * 60:
        raise invalid("begin_time", "use HH:MM")
    if end is None or not begin <= end <= 24 * 60:
        raise invalid("end_time", "use HH:MM, not before begin_time")
    return {"log_time": hhmm(end - begin), "begin_time": hhmm(begin), "end_time": hhmm(end)}
