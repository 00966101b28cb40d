"""Books handlers (HTTP only): read the request, call the state, answer in the Books envelope.

Messages and status codes are the vendor's OpenAPI documents': creates answer 201, except
expenses and users, which the documents draw as 200.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sandbox.books.common import PER_PAGE_MAX, invalid
from sandbox.books.state import BooksState
from sandbox.db import Body
from sandbox.http import BadBody, Request, Response

P = dict[str, str]


@dataclass
class BooksCall:
    request: Request
    state: BooksState

    @property
    def query(self) -> dict[str, str]:
        return self.request.query

    def payload(self) -> dict[str, Any]:
        """The JSON body, or the legacy form field JSONString holding it."""
        try:
            if self.request.content_type == "application/json":
                data = self.request.json()
            else:
                raw = self.request.form().get("JSONString", "")
                data = json.loads(raw) if raw.strip() else {}
        except (BadBody, ValueError) as exc:
            raise invalid("JSONString", "the body is not a JSON object") from exc
        if not isinstance(data, dict):
            raise invalid("JSONString", "the body must be a JSON object")
        return data

    def paging(self) -> tuple[int, int]:
        page = _positive(self.query.get("page", "1"), "page")
        per_page = min(_positive(self.query.get("per_page", str(PER_PAGE_MAX)), "per_page"),
                       PER_PAGE_MAX)
        return page, per_page


def _positive(value: str, field: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise invalid(field) from exc
    if number < 1:
        raise invalid(field)
    return number


def ok(message: str, status: int = 200, **payload: Any) -> Response:
    return Response(status, {"code": 0, "message": message, **payload})


def listing(call: BooksCall, key: str, rows: list[Body], more: bool, report: str) -> Response:
    page, per_page = call.paging()
    return Response(200, {"code": 0, "message": "success", key: rows, "page_context": {
        "page": page, "per_page": per_page, "has_more_page": more, "report_name": report,
        "applied_filter": call.query.get("filter_by", "Status.All"),
        "sort_column": "created_time", "sort_order": "A"}})


# -- organizations, currencies, users ---------------------------------------------------------
def list_organizations(call: BooksCall, p: P) -> Response:
    return ok("success", organizations=call.state.organizations())


def get_organization(call: BooksCall, p: P) -> Response:
    return ok("success", organization=call.state.organization(p["organization_id"]))


def list_currencies(call: BooksCall, p: P) -> Response:
    return ok("success", currencies=call.state.currencies())


def list_users(call: BooksCall, p: P) -> Response:
    rows, more = call.state.users(*call.paging())
    return listing(call, "users", rows, more, "Users")


def get_me(call: BooksCall, p: P) -> Response:
    return ok("success", user=call.state.me())


def get_user(call: BooksCall, p: P) -> Response:
    return ok("success", user=call.state.user(p["user_id"]))


def create_user(call: BooksCall, p: P) -> Response:
    return ok("Your invitation has been sent.", user=call.state.create_user(call.payload()))


def update_user(call: BooksCall, p: P) -> Response:
    user = call.state.update_user(p["user_id"], call.payload())
    return ok("The user information has been updated.", user=user)


def user_inactive(call: BooksCall, p: P) -> Response:
    call.state.set_user_status(p["user_id"], "inactive")
    return ok("The user has been marked as inactive.")


def user_active(call: BooksCall, p: P) -> Response:
    call.state.set_user_status(p["user_id"], "active")
    return ok("The user has been marked as active.")


# -- contacts ---------------------------------------------------------------------------------
def list_contacts(call: BooksCall, p: P) -> Response:
    rows, more = call.state.contacts(*call.paging(), call.query)
    return listing(call, "contacts", rows, more, "Contacts")


def get_contact(call: BooksCall, p: P) -> Response:
    return ok("success", contact=call.state.contact(p["contact_id"]))


def create_contact(call: BooksCall, p: P) -> Response:
    contact = call.state.create_contact(call.payload())
    return ok("The contact has been created", 201, contact=contact)


def update_contact(call: BooksCall, p: P) -> Response:
    contact = call.state.update_contact(p["contact_id"], call.payload())
    return ok("Contact has been updated successfully", contact=contact)


# -- projects, project users, tasks -----------------------------------------------------------
def list_projects(call: BooksCall, p: P) -> Response:
    rows, more = call.state.projects(*call.paging(), call.query)
    return listing(call, "projects", rows, more, "Projects")


def get_project(call: BooksCall, p: P) -> Response:
    return ok("success", project=call.state.project(p["project_id"]))


def create_project(call: BooksCall, p: P) -> Response:
    project = call.state.create_project(call.payload())
    return ok("The project has been created.", 201, project=project)


def update_project(call: BooksCall, p: P) -> Response:
    project = call.state.update_project(p["project_id"], call.payload())
    return ok("The project information has been updated.", project=project)


def delete_project(call: BooksCall, p: P) -> Response:
    call.state.delete_project(p["project_id"])
    return ok("The project has been deleted.")


def list_project_users(call: BooksCall, p: P) -> Response:
    return ok("success", users=call.state.project_users(p["project_id"]))


def add_project_users(call: BooksCall, p: P) -> Response:
    users = call.state.add_project_users(p["project_id"], call.payload())
    return ok("Users added", 201, users=users)


def list_project_invoices(call: BooksCall, p: P) -> Response:
    rows, more = call.state.project_invoices(p["project_id"], *call.paging())
    return listing(call, "invoices", rows, more, "Invoices")


def list_tasks(call: BooksCall, p: P) -> Response:
    rows, more = call.state.tasks(p["project_id"], *call.paging())
    return listing(call, "tasks", rows, more, "Tasks")


def get_task(call: BooksCall, p: P) -> Response:
    return ok("success", task=call.state.task_view(p["project_id"], p["task_id"]))


def create_task(call: BooksCall, p: P) -> Response:
    task = call.state.create_task(p["project_id"], call.payload())
    return ok("The task has been added.", 201, task=task)


def update_task(call: BooksCall, p: P) -> Response:
    task = call.state.update_task(p["project_id"], p["task_id"], call.payload())
    return ok("The task information has been updated.", task=task)


def delete_task(call: BooksCall, p: P) -> Response:
    call.state.delete_task(p["project_id"], p["task_id"])
    return ok("The task has been deleted successfully.")


# -- time entries -----------------------------------------------------------------------------
def list_entries(call: BooksCall, p: P) -> Response:
    rows, more = call.state.entries(*call.paging(), call.query)
    return listing(call, "time_entries", rows, more, "Timesheet")


def get_entry(call: BooksCall, p: P) -> Response:
    return ok("success", time_entry=call.state.entry(p["time_entry_id"]))


def create_entry(call: BooksCall, p: P) -> Response:
    entry = call.state.create_entry(call.payload())
    return ok("Your timesheet entry has been added.", 201, time_entry=entry)


def update_entry(call: BooksCall, p: P) -> Response:
    entry = call.state.update_entry(p["time_entry_id"], call.payload())
    return ok("The timesheet's information has been updated.", time_entry=entry)


def delete_entry(call: BooksCall, p: P) -> Response:
    call.state.delete_entry(p["time_entry_id"])
    return ok("The time entry has been deleted.")


def delete_entries(call: BooksCall, p: P) -> Response:
    call.state.delete_entries(call.query.get("time_entry_ids"))
    return ok("The selected timesheet entries have been deleted")


# -- invoices ---------------------------------------------------------------------------------
def list_invoices(call: BooksCall, p: P) -> Response:
    rows, more = call.state.invoices(*call.paging(), call.query)
    return listing(call, "invoices", rows, more, "Invoices")


def get_invoice(call: BooksCall, p: P) -> Response:
    return ok("success", invoice=call.state.invoice(p["invoice_id"]))


def create_invoice(call: BooksCall, p: P) -> Response:
    invoice = call.state.create_invoice(call.payload())
    return ok("The invoice has been created.", 201, invoice=invoice)


def update_invoice(call: BooksCall, p: P) -> Response:
    invoice = call.state.update_invoice(p["invoice_id"], call.payload())
    return ok("Invoice information has been updated.", invoice=invoice)


def delete_invoice(call: BooksCall, p: P) -> Response:
    call.state.delete_invoice(p["invoice_id"])
    return ok("The invoice has been deleted.")


def invoice_sent(call: BooksCall, p: P) -> Response:
    call.state.mark_invoice(p["invoice_id"], "sent")
    return ok("Invoice status has been changed to Sent.")


def invoice_void(call: BooksCall, p: P) -> Response:
    call.state.mark_invoice(p["invoice_id"], "void")
    return ok("Invoice status has been changed to Void.")


def invoice_draft(call: BooksCall, p: P) -> Response:
    call.state.mark_invoice(p["invoice_id"], "draft")
    return ok("Status of invoice changed from void to draft")


# -- expenses, estimates, bills ---------------------------------------------------------------
def list_expenses(call: BooksCall, p: P) -> Response:
    rows, more = call.state.expenses(*call.paging(), call.query)
    return listing(call, "expenses", rows, more, "Expenses")


def get_expense(call: BooksCall, p: P) -> Response:
    return ok("success", expense=call.state.expense(p["expense_id"]))


def create_expense(call: BooksCall, p: P) -> Response:
    return ok("The expense has been recorded.", expense=call.state.create_expense(call.payload()))


def update_expense(call: BooksCall, p: P) -> Response:
    expense = call.state.update_expense(p["expense_id"], call.payload())
    return ok("Expense information has been updated.", expense=expense)


def delete_expense(call: BooksCall, p: P) -> Response:
    call.state.delete_expense(p["expense_id"])
    return ok("The expense has been deleted.")


def list_estimates(call: BooksCall, p: P) -> Response:
    rows, more = call.state.estimates(*call.paging(), call.query)
    return listing(call, "estimates", rows, more, "Estimates")


def get_estimate(call: BooksCall, p: P) -> Response:
    return ok("success", estimate=call.state.estimate(p["estimate_id"]))


def create_estimate(call: BooksCall, p: P) -> Response:
    estimate = call.state.create_estimate(call.payload())
    return ok("The estimate has been created", 201, estimate=estimate)


def delete_estimate(call: BooksCall, p: P) -> Response:
    call.state.delete_estimate(p["estimate_id"])
    return ok("The estimate has been deleted.")


def list_bills(call: BooksCall, p: P) -> Response:
    rows, more = call.state.bills(*call.paging(), call.query)
    return listing(call, "bills", rows, more, "Bills")


def get_bill(call: BooksCall, p: P) -> Response:
    return ok("success", bill=call.state.bill(p["bill_id"]))


def create_bill(call: BooksCall, p: P) -> Response:
    return ok("The bill has been created.", 201, bill=call.state.create_bill(call.payload()))


def delete_bill(call: BooksCall, p: P) -> Response:
    call.state.delete_bill(p["bill_id"])
    return ok("The bill has been deleted.")
