"""The Books route table: (method, path under /books/v3, handler). Data, not code."""

from __future__ import annotations

from sandbox.books import handlers as h
from sandbox.books.handlers import BooksCall
from sandbox.http import Router

PREFIX = "/books/v3"

# calls that need no organization_id (they are how a caller finds one)
ORG_FREE = frozenset({"/organizations", "/organizations/{organization_id}"})

ROUTES = [
    ("GET", "/organizations", h.list_organizations),
    ("GET", "/organizations/{organization_id}", h.get_organization),
    ("GET", "/settings/currencies", h.list_currencies),
    ("GET", "/users", h.list_users),
    ("POST", "/users", h.create_user),
    ("GET", "/users/me", h.get_me),
    ("GET", "/users/{user_id}", h.get_user),
    ("PUT", "/users/{user_id}", h.update_user),
    ("POST", "/users/{user_id}/inactive", h.user_inactive),
    ("POST", "/users/{user_id}/active", h.user_active),
    ("GET", "/contacts", h.list_contacts),
    ("POST", "/contacts", h.create_contact),
    ("GET", "/contacts/{contact_id}", h.get_contact),
    ("PUT", "/contacts/{contact_id}", h.update_contact),
    # time entries before /projects/{project_id}: "timeentries" is not a project id
    ("GET", "/projects/timeentries", h.list_entries),
    ("POST", "/projects/timeentries", h.create_entry),
    ("DELETE", "/projects/timeentries", h.delete_entries),
    ("GET", "/projects/timeentries/{time_entry_id}", h.get_entry),
    ("PUT", "/projects/timeentries/{time_entry_id}", h.update_entry),
    ("DELETE", "/projects/timeentries/{time_entry_id}", h.delete_entry),
    ("GET", "/projects", h.list_projects),
    ("POST", "/projects", h.create_project),
    ("GET", "/projects/{project_id}", h.get_project),
    ("PUT", "/projects/{project_id}", h.update_project),
    ("DELETE", "/projects/{project_id}", h.delete_project),
    ("GET", "/projects/{project_id}/users", h.list_project_users),
    ("POST", "/projects/{project_id}/users", h.add_project_users),
    ("GET", "/projects/{project_id}/invoices", h.list_project_invoices),
    ("GET", "/projects/{project_id}/tasks", h.list_tasks),
    ("POST", "/projects/{project_id}/tasks", h.create_task),
    ("GET", "/projects/{project_id}/tasks/{task_id}", h.get_task),
    ("PUT", "/projects/{project_id}/tasks/{task_id}", h.update_task),
    ("DELETE", "/projects/{project_id}/tasks/{task_id}", h.delete_task),
    ("GET", "/invoices", h.list_invoices),
    ("POST", "/invoices", h.create_invoice),
    ("GET", "/invoices/{invoice_id}", h.get_invoice),
    ("PUT", "/invoices/{invoice_id}", h.update_invoice),
    ("DELETE", "/invoices/{invoice_id}", h.delete_invoice),
    ("POST", "/invoices/{invoice_id}/status/sent", h.invoice_sent),
    ("POST", "/invoices/{invoice_id}/status/void", h.invoice_void),
    ("POST", "/invoices/{invoice_id}/status/draft", h.invoice_draft),
    ("GET", "/expenses", h.list_expenses),
    ("POST", "/expenses", h.create_expense),
    ("GET", "/expenses/{expense_id}", h.get_expense),
    ("PUT", "/expenses/{expense_id}", h.update_expense),
    ("DELETE", "/expenses/{expense_id}", h.delete_expense),
    ("GET", "/estimates", h.list_estimates),
    ("POST", "/estimates", h.create_estimate),
    ("GET", "/estimates/{estimate_id}", h.get_estimate),
    ("DELETE", "/estimates/{estimate_id}", h.delete_estimate),
    ("GET", "/bills", h.list_bills),
    ("POST", "/bills", h.create_bill),
    ("GET", "/bills/{bill_id}", h.get_bill),
    ("DELETE", "/bills/{bill_id}", h.delete_bill),
]


def router() -> Router[BooksCall]:
    return Router(PREFIX, ROUTES)
