"""Projects handlers (HTTP only): read query and JSON body, call the state, answer as v3.

Lists answer `{"<plural>": [...], "page_info": {"page", "per_page", "has_next_page"}}`
(each asks the state for one row more than a page, to know whether another follows); an
empty time-log page answers 204, as v3's time-log list does [2nd G2]. One record answers
as the bare object [inferred]; creates answer 201. Bodies must be JSON objects
(`Content-Type: application/json`): a form-encoded body is refused (400).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.db import Body
from sandbox.errors import Refusal
from sandbox.http import BadBody, Request, Response
from sandbox.projects import render
from sandbox.projects.common import BAD_FIELD, bad, paging
from sandbox.projects.state import ProjectsState

P = dict[str, str]
UNAUTHORIZED = 6401


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
        """The JSON body as flat fields (nested values as JSON text)."""
        if self.request.content_type != "application/json":
            raise Refusal(400, BAD_FIELD, "INVALID_CONTENT_TYPE: API v3 takes JSON bodies "
                          "(Content-Type: application/json)")
        try:
            return self.request.form()
        except BadBody as exc:
            raise bad("body", str(exc)) from exc


def paged(call: ProjectsCall, key: str, rows_of: Callable[[int, int], list[Body]]) -> Response:
    """One page and its `page_info`; `rows_of(first, count)` reads one row more than a page."""
    first, per_page = call.paging()
    rows = rows_of(first, per_page + 1)
    info = render.page_info(first, per_page, len(rows) > per_page)
    return Response(200, {key: rows[:per_page], "page_info": info})


def one(row: Body, status: int = 200) -> Response:
    return Response(status, row)


def list_portals(call: ProjectsCall, p: P) -> Response:
    answer = call.state.portals()
    first, per_page = call.paging()
    portals = answer["portals"]
    answer["portals"] = portals[first - 1:first - 1 + per_page]
    answer["page_info"] = render.page_info(first, per_page, len(portals) >= first + per_page)
    return Response(200, answer)


def list_portal_users(call: ProjectsCall, p: P) -> Response:
    kind = call.query.get("user_type", "all") or "all"
    return paged(call, "users", lambda i, n: call.state.portal_users(p["portal_id"], i, n, kind))


def list_clients(call: ProjectsCall, p: P) -> Response:
    return paged(call, "clients", lambda i, n: call.state.clients(p["portal_id"], i, n))


def list_projects(call: ProjectsCall, p: P) -> Response:
    return paged(call, "projects",
                 lambda i, n: call.state.projects(p["portal_id"], i, n, call.query))


def get_project(call: ProjectsCall, p: P) -> Response:
    return one(call.state.project(p["portal_id"], p["project_id"]))


def trash_project(call: ProjectsCall, p: P) -> Response:
    call.state.delete_project(p["portal_id"], p["project_id"])
    return Response(200, {"message": "Project trashed successfully"})


def list_project_clients(call: ProjectsCall, p: P) -> Response:
    return paged(call, "clients", lambda i, n: call.state.project_clients(
        p["portal_id"], p["project_id"], i, n))


def list_project_users(call: ProjectsCall, p: P) -> Response:
    kind = call.query.get("user_type", "all") or "all"
    return paged(call, "users", lambda i, n: call.state.project_users(
        p["portal_id"], p["project_id"], i, n, kind))


def list_tasks(call: ProjectsCall, p: P) -> Response:
    return paged(call, "tasks", lambda i, n: call.state.tasks(p["portal_id"], p["project_id"], i, n))


def get_task(call: ProjectsCall, p: P) -> Response:
    return one(call.state.task(p["portal_id"], p["project_id"], p["task_id"]))


def update_task(call: ProjectsCall, p: P) -> Response:
    return one(call.state.update_task(p["portal_id"], p["project_id"], p["task_id"],
                                      call.form()))


def list_issues(call: ProjectsCall, p: P) -> Response:
    return paged(call, "issues", lambda i, n: call.state.bugs(p["portal_id"], p["project_id"], i, n))


def list_logs(call: ProjectsCall, p: P) -> Response:
    first, per_page = call.paging()
    rows = call.state.logs(p["portal_id"], p["project_id"], first, per_page + 1, call.query)
    if not rows:
        return Response(204)
    page = rows[:per_page]
    return Response(200, {"time_logs": render.by_date(page, call.state.lookup),
                          "page_info": render.page_info(first, per_page, len(rows) > per_page)})


def add_log(call: ProjectsCall, p: P) -> Response:
    return Response(201, call.state.add_log(p["portal_id"], p["project_id"], call.form()))


# -- sandbox-only: the product's internals the public API lacks ---------------------------------
def check_zsc_key(call: ProjectsCall, p: P) -> Response:
    """Is this the caller's ZSC key? Only its SHA-256 is sent; 401 when it is not."""
    digest = call.form().get("zsc_key_sha256", "")
    key = str(call.state.caller.get("zsc_key") or "")
    if not key or hashlib.sha256(key.encode()).hexdigest() != digest:
        raise Refusal(401, UNAUTHORIZED, "INVALID_ZSC_KEY: the ZSC key is not the key of the "
                      f"user this token belongs to ({call.state.caller.get('email', '')})")
    return Response(200, {"valid": True, "zpuid": call.state.caller["id"]})


def list_invoices(call: ProjectsCall, p: P) -> Response:
    return paged(call, "invoices", lambda i, n: call.state.invoices(
        p["portal_id"], p["project_id"], i, n))


def get_invoice(call: ProjectsCall, p: P) -> Response:
    return one(call.state.invoice(p["portal_id"], p["project_id"], p["invoice_id"]))


def create_invoice(call: ProjectsCall, p: P) -> Response:
    return one(call.state.create_invoice(p["portal_id"], p["project_id"], call.form()), 201)


def update_invoice(call: ProjectsCall, p: P) -> Response:
    return one(call.state.update_invoice(p["portal_id"], p["project_id"], p["invoice_id"],
                                         call.form()))


def list_expenses(call: ProjectsCall, p: P) -> Response:
    return paged(call, "expenses", lambda i, n: call.state.expenses(
        p["portal_id"], p["project_id"], i, n))


def create_expense(call: ProjectsCall, p: P) -> Response:
    return one(call.state.create_expense(p["portal_id"], p["project_id"], call.form()), 201)


def update_expense(call: ProjectsCall, p: P) -> Response:
    return one(call.state.update_expense(p["portal_id"], p["project_id"], p["expense_id"],
                                         call.form()))


def finance(call: ProjectsCall, p: P) -> Response:
    return paged(call, "transactions", lambda i, n: call.state.finance(
        p["portal_id"], p["project_id"], i, n))


def link_transaction(call: ProjectsCall, p: P) -> Response:
    row, created = call.state.link(p["portal_id"], p["project_id"], call.form())
    return Response(201 if created else 200, {"transactions": [row]})
