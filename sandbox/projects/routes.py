"""The Projects route table: (method, path under /api/v3, handler). Data, not code.

The public v3 operations first (PROJECTS-V3.md §3), then SANDBOX_ONLY_ROUTES: the product's
internals the public API lacks (Projects-side invoices and expenses, the Finance view, a ZSC
key check), served under the same root so the modes can run on the sandbox, and refused
live by the capability matrix (bridge/clients/projects.py SANDBOX_ONLY).
"""

from __future__ import annotations

from bridge.clients.projects_v3 import PROJECT_CLIENTS, ROOT, TRASH
from sandbox.http import Router
from sandbox.projects import handlers as h
from sandbox.projects.handlers import ProjectsCall

PREFIX = ROOT
PORTAL = "/portal/{portal_id}"
PROJECT = PORTAL + "/projects/{project_id}"

PUBLIC_ROUTES = [
    ("GET", "/portals", h.list_portals),
    ("GET", PORTAL + "/users", h.list_portal_users),
    ("GET", PORTAL + "/clients", h.list_clients),
    ("GET", PORTAL + "/projects", h.list_projects),
    ("GET", PROJECT, h.get_project),
    ("POST", PROJECT + "/" + TRASH, h.trash_project),
    ("GET", PROJECT + "/" + PROJECT_CLIENTS, h.list_project_clients),  # [gap] path
    ("GET", PROJECT + "/users", h.list_project_users),
    ("GET", PROJECT + "/tasks", h.list_tasks),
    ("GET", PROJECT + "/tasks/{task_id}", h.get_task),
    ("PATCH", PROJECT + "/tasks/{task_id}", h.update_task),
    ("GET", PROJECT + "/issues", h.list_issues),
    ("GET", PROJECT + "/timelogs", h.list_logs),
    ("POST", PROJECT + "/log", h.add_log),
]

#: sandbox-only: the public API has none of these
SANDBOX_ONLY_ROUTES = [
    ("POST", "/sandbox/zsckey", h.check_zsc_key),
    ("GET", PROJECT + "/invoices", h.list_invoices),
    ("POST", PROJECT + "/invoices", h.create_invoice),
    ("GET", PROJECT + "/invoices/{invoice_id}", h.get_invoice),
    ("PATCH", PROJECT + "/invoices/{invoice_id}", h.update_invoice),
    ("GET", PROJECT + "/expenses", h.list_expenses),
    ("POST", PROJECT + "/expenses", h.create_expense),
    ("PATCH", PROJECT + "/expenses/{expense_id}", h.update_expense),
    ("GET", PROJECT + "/finance", h.finance),
    ("POST", PROJECT + "/finance", h.link_transaction),
]

ROUTES = PUBLIC_ROUTES + SANDBOX_ONLY_ROUTES


def router() -> Router[ProjectsCall]:
    return Router(PREFIX, ROUTES)
