"""The Projects route table: (method, path under /restapi, handler). Data, not code.

Paths are matched with or without their trailing slash (the REST API writes them with one).
"""

from __future__ import annotations

from bridge.sandbox.http import Router
from bridge.sandbox.projects import handlers as h
from bridge.sandbox.projects.handlers import ProjectsCall

PREFIX = "/restapi"
PORTAL = "/portal/{portal_id}"
PROJECT = PORTAL + "/projects/{project_id}"

ROUTES = [
    ("GET", "/portals/", h.list_portals),
    ("GET", PORTAL + "/users/", h.list_portal_users),
    ("GET", PORTAL + "/clients/", h.list_clients),
    ("GET", PORTAL + "/projects/", h.list_projects),
    ("GET", PROJECT + "/", h.get_project),
    ("DELETE", PROJECT + "/", h.delete_project),
    ("GET", PROJECT + "/clients/", h.list_project_clients),
    ("GET", PROJECT + "/users/", h.list_project_users),
    ("GET", PROJECT + "/tasks/", h.list_tasks),
    ("GET", PROJECT + "/tasks/{task_id}/", h.get_task),
    ("POST", PROJECT + "/tasks/{task_id}/", h.update_task),
    ("GET", PROJECT + "/tasks/{task_id}/logs/", h.list_task_logs),
    ("POST", PROJECT + "/tasks/{task_id}/logs/", h.add_task_log),
    ("GET", PROJECT + "/bugs/", h.list_bugs),
    ("GET", PROJECT + "/logs/", h.list_logs),
    ("POST", PROJECT + "/logs/", h.add_general_log),
    ("GET", PROJECT + "/invoices/", h.list_invoices),
    ("POST", PROJECT + "/invoices/", h.create_invoice),
    ("GET", PROJECT + "/invoices/{invoice_id}/", h.get_invoice),
    ("POST", PROJECT + "/invoices/{invoice_id}/", h.update_invoice),
    ("GET", PROJECT + "/expenses/", h.list_expenses),
    ("POST", PROJECT + "/expenses/", h.create_expense),
    ("POST", PROJECT + "/expenses/{expense_id}/", h.update_expense),
    ("GET", PROJECT + "/finance/", h.finance),
    ("POST", PROJECT + "/finance/", h.link_transaction),
]


def router() -> Router[ProjectsCall]:
    return Router(PREFIX, ROUTES)
