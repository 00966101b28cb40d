"""Projects handlers (HTTP only): read query and form, call the state, answer as the REST API.

Lists answer 204 with no body when the page is empty; one record answers as a one-item list
(`{"projects": [{...}]}`), as the REST API does. Creates answer 201.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.sandbox.db import Body
from bridge.sandbox.http import BadBody, Request, Response
from bridge.sandbox.projects.common import bad, paging
from bridge.sandbox.projects.state import ProjectsState

P = dict[str, str]


@dataclass
class ProjectsCall:
    request: Request
    state: ProjectsState

    @property
    def query(self) -> dict[str, str]:
        return self.request.query

    def paging(self) -> tuple[int, int]:
        return paging(self.query)

    def form(self) -> dict[str, str]:
        try:
            return self.request.form()
        except BadBody as exc:
            raise bad("body", str(exc)) from exc


def listing(key: str, rows: list[Body]) -> Response:
    return Response(200, {key: rows}) if rows else Response(204)


def one(key: str, row: Body, status: int = 200) -> Response:
    return Response(status, {key: [row]})


def list_portals(call: ProjectsCall, p: P) -> Response:
    answer = call.state.portals()
    index, range_ = call.paging()
    answer["portals"] = answer["portals"][index - 1:index - 1 + range_]
    return Response(200, answer) if answer["portals"] else Response(204)


def list_portal_users(call: ProjectsCall, p: P) -> Response:
    return listing("users", call.state.portal_users(
        p["portal_id"], *call.paging(), call.query.get("user_type", "all") or "all"))


def list_clients(call: ProjectsCall, p: P) -> Response:
    return listing("clients", call.state.clients(p["portal_id"], *call.paging()))


def list_projects(call: ProjectsCall, p: P) -> Response:
    return listing("projects", call.state.projects(p["portal_id"], *call.paging(), call.query))


def get_project(call: ProjectsCall, p: P) -> Response:
    return one("projects", call.state.project(p["portal_id"], p["project_id"]))


def delete_project(call: ProjectsCall, p: P) -> Response:
    call.state.delete_project(p["portal_id"], p["project_id"])
    return Response(200, {"response": "Project Trashed successfully"})


def list_project_clients(call: ProjectsCall, p: P) -> Response:
    return listing("clients", call.state.project_clients(
        p["portal_id"], p["project_id"], *call.paging()))


def list_project_users(call: ProjectsCall, p: P) -> Response:
    return listing("users", call.state.project_users(
        p["portal_id"], p["project_id"], *call.paging(),
        call.query.get("user_type", "all") or "all"))


def list_tasks(call: ProjectsCall, p: P) -> Response:
    return listing("tasks", call.state.tasks(p["portal_id"], p["project_id"], *call.paging(),
                                             call.query.get("status", "all") or "all"))


def get_task(call: ProjectsCall, p: P) -> Response:
    return one("tasks", call.state.task(p["portal_id"], p["project_id"], p["task_id"]))


def update_task(call: ProjectsCall, p: P) -> Response:
    return one("tasks", call.state.update_task(p["portal_id"], p["project_id"], p["task_id"],
                                               call.form()))


def list_bugs(call: ProjectsCall, p: P) -> Response:
    return listing("bugs", call.state.bugs(p["portal_id"], p["project_id"], *call.paging()))


def list_logs(call: ProjectsCall, p: P) -> Response:
    answer = call.state.logs(p["portal_id"], p["project_id"], *call.paging(), call.query)
    return Response(200, answer) if answer else Response(204)


def list_task_logs(call: ProjectsCall, p: P) -> Response:
    answer = call.state.logs(p["portal_id"], p["project_id"], *call.paging(), call.query,
                             task_id=p["task_id"])
    return Response(200, answer) if answer else Response(204)


def add_task_log(call: ProjectsCall, p: P) -> Response:
    return Response(201, call.state.add_log(p["portal_id"], p["project_id"], call.form(),
                                            task_id=p["task_id"]))


def add_general_log(call: ProjectsCall, p: P) -> Response:
    return Response(201, call.state.add_log(p["portal_id"], p["project_id"], call.form()))


def list_invoices(call: ProjectsCall, p: P) -> Response:
    return listing("invoices", call.state.invoices(p["portal_id"], p["project_id"],
                                                   *call.paging()))


def get_invoice(call: ProjectsCall, p: P) -> Response:
    return one("invoices", call.state.invoice(p["portal_id"], p["project_id"], p["invoice_id"]))


def create_invoice(call: ProjectsCall, p: P) -> Response:
    return one("invoices", call.state.create_invoice(p["portal_id"], p["project_id"],
                                                     call.form()), 201)


def update_invoice(call: ProjectsCall, p: P) -> Response:
    return one("invoices", call.state.update_invoice(p["portal_id"], p["project_id"],
                                                     p["invoice_id"], call.form()))


def list_expenses(call: ProjectsCall, p: P) -> Response:
    return listing("expenses", call.state.expenses(p["portal_id"], p["project_id"],
                                                   *call.paging()))


def create_expense(call: ProjectsCall, p: P) -> Response:
    return one("expenses", call.state.create_expense(p["portal_id"], p["project_id"],
                                                     call.form()), 201)


def update_expense(call: ProjectsCall, p: P) -> Response:
    return one("expenses", call.state.update_expense(p["portal_id"], p["project_id"],
                                                     p["expense_id"], call.form()))


def finance(call: ProjectsCall, p: P) -> Response:
    return listing("transactions", call.state.finance(p["portal_id"], p["project_id"],
                                                      *call.paging()))


def link_transaction(call: ProjectsCall, p: P) -> Response:
    row, created = call.state.link(p["portal_id"], p["project_id"], call.form())
    return Response(201 if created else 200, {"transactions": [row]})
