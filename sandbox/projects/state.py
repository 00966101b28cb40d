"""The Projects half's state for one request (no HTTP): portals, users, clients, projects,
tasks and bugs (v3 "issues") here; time logs in `timelogs`; invoices, expenses and the Finance view in
`finance`. Lists answer one page (first row `index`, `range` rows); the handlers add `page_info`.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox import marks
from sandbox.db import Body
from sandbox.projects import render
from sandbox.projects.common import (
    SEES_ALL,
    SERVICE,
    ProjectsBase,
    bad,
    form_bool,
    form_text,
)
from sandbox.projects.finance import FinanceState
from sandbox.projects.timelogs import TimelogState

USER_TYPES = ("active", "inactive", "all")
TASK_STATUS = {"all": None, "completed": 1, "notcompleted": 0}
CHILD_KINDS = ("tasks", "bugs", "timelogs", "expenses", "invoices", "finance_links",
               marks.KIND)


class ProjectsState(TimelogState, FinanceState, ProjectsBase):
    # -- portals and portal users ----------------------------------------------------------
    def portals(self) -> Body:
        roles: dict[str, str] = self.caller.get("roles") or {}
        mine = [p for p in self.tx.select(SERVICE, "portals") if p["id"] in roles]
        return {"login_id": self.caller["id"],
                "portals": [render.portal(p, roles[p["id"]], i == 0) for i, p in enumerate(mine)]}

    def portal_users(self, portal_id: str, index: int, range_: int,
                     user_type: str = "all") -> list[Body]:
        self.role(portal_id)
        where = ["json_extract(d.body, '$.roles.\"' || ? || '\"') IS NOT NULL"]
        params: list[Any] = [portal_id]
        where, params = _user_type(user_type, where, params)
        rows = self.page("users", index, range_, where=where, params=params)
        return [render.user(u, portal_id) for u in rows]

    def clients(self, portal_id: str, index: int, range_: int) -> list[Body]:
        self.role(portal_id)
        return [render.client(c) for c in self.page("clients", index, range_, parent=portal_id)]

    # -- projects --------------------------------------------------------------------------
    def projects(self, portal_id: str, index: int, range_: int, q: dict[str, str]) -> list[Body]:
        role = self.role(portal_id)
        where: list[str] = []
        params: list[Any] = []
        if q.get("status") and q["status"] != "all":
            where.append("coalesce(json_extract(d.body, '$.status'), 'active') = ?")
            params.append(q["status"])
        if q.get("last_modified_time"):
            where.append("json_extract(d.body, '$.last_modified_time_long') >= ?")
            params.append(_int(q["last_modified_time"], "last_modified_time"))
        if role not in SEES_ALL:
            where.append("(json_extract(d.body, '$.owner_id') = ? OR EXISTS (SELECT 1 FROM "
                         "json_each(d.body, '$.user_ids') m WHERE m.value = ?))")
            params += [self.caller["id"], self.caller["id"]]
        rows = self.page("projects", index, range_, parent=portal_id, where=where, params=params)
        return [render.project(p, self.lookup) for p in rows]

    def project(self, portal_id: str, project_id: str) -> Body:
        return render.project(self.project_in(portal_id, project_id), self.lookup)

    def delete_project(self, portal_id: str, project_id: str) -> None:
        self.require_manager(portal_id)
        self.project_in(portal_id, project_id)
        for kind in CHILD_KINDS:
            for child in self.tx.select(SERVICE, kind, parent=project_id):
                self.tx.delete(SERVICE, kind, child.get("id") or child["task_id"])
        self.tx.delete(SERVICE, "projects", project_id)

    def project_clients(self, portal_id: str, project_id: str, index: int,
                        range_: int) -> list[Body]:
        project = self.project_in(portal_id, project_id)
        ids = list(project.get("client_ids") or [])[index - 1:index - 1 + range_]
        found = [(i, self.lookup("clients", cid)) for i, cid in enumerate(ids, start=index - 1)]
        return [render.client(c, is_primary=i == 0) for i, c in found if c is not None]

    def project_users(self, portal_id: str, project_id: str, index: int, range_: int,
                      user_type: str = "all") -> list[Body]:
        project = self.project_in(portal_id, project_id)
        ids = list(project.get("user_ids") or [])
        if project.get("owner_id") and project["owner_id"] not in ids:
            ids.insert(0, project["owner_id"])
        if user_type not in USER_TYPES:
            raise bad("user_type", "active, inactive or all")
        users = [u for u in (self.lookup("users", uid) for uid in ids) if u is not None]
        if user_type != "all":
            users = [u for u in users if bool(u.get("active", True)) == (user_type == "active")]
        return [render.user(u, portal_id) for u in users[index - 1:index - 1 + range_]]

    # -- tasks and bugs --------------------------------------------------------------------
    def tasks(self, portal_id: str, project_id: str, index: int, range_: int,
              status: str = "all") -> list[Body]:
        self.project_in(portal_id, project_id)
        if status not in TASK_STATUS:
            raise bad("status", "all, completed or notcompleted")
        where, params = [], []
        if TASK_STATUS[status] is not None:
            where.append("coalesce(json_extract(d.body, '$.completed'), 0) = ?")
            params.append(TASK_STATUS[status])
        rows = self.page("tasks", index, range_, parent=project_id, where=where, params=params)
        return [self._task(t) for t in rows]

    def task(self, portal_id: str, project_id: str, task_id: str) -> Body:
        project = self.project_in(portal_id, project_id)
        return self._task(self.child_of("tasks", project, task_id))

    def update_task(self, portal_id: str, project_id: str, task_id: str,
                    form: dict[str, str]) -> Body:
        project = self.project_in(portal_id, project_id)
        task = self.child_of("tasks", project, task_id)
        if "status" in form:
            task["completed"] = _closed(form["status"])
        if "name" in form:
            task["name"] = form_text(form, "name", required=True)
        if "billable" in form:  # sandbox-only field
            task["billable"] = form_bool(form, "billable", True)
        return self._task(self.save("tasks", task))

    def _task(self, task: Body) -> Body:
        return render.task(task, self.lookup, marks.holder(self.tx, task["id"]))

    def bugs(self, portal_id: str, project_id: str, index: int, range_: int) -> list[Body]:
        self.project_in(portal_id, project_id)
        return [render.issue(b) for b in self.page("bugs", index, range_, parent=project_id)]


def _user_type(user_type: str, where: list[str], params: list[Any]) -> tuple[list[str], list[Any]]:
    if user_type not in USER_TYPES:
        raise bad("user_type", "active, inactive or all")
    if user_type != "all":
        where.append("coalesce(json_extract(d.body, '$.active'), 1) = ?")
        params.append(1 if user_type == "active" else 0)
    return where, params


def _closed(raw: str) -> bool:
    """A task status given as `{"id"}` or `{"name"}`: closed or open (the sandbox's two)."""
    try:
        status = json.loads(raw)
    except ValueError as exc:
        raise bad("status", 'a JSON object such as {"name": "Closed"}') from exc
    if not isinstance(status, dict):
        raise bad("status", 'a JSON object such as {"name": "Closed"}')
    named = str(status.get("id") or status.get("name") or "").lower()
    if named not in ("closed", "open"):
        raise bad("status", "closed or open (by id or name)")
    return named == "closed"


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise bad(field, "epoch milliseconds") from exc
