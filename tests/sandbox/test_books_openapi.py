"""The Books half answers what the vendor's OpenAPI documents draw (status and body schema).

The documents are read from ../shared/reference/books-openapi/, never copied; where that
folder is absent (a fresh clone) the test skips, saying why. Loading them, correcting their
known quirks and checking an answer live in one place, `tests/contract/spec.py`; the full
contract suite (every operation the client uses, requests too, and a fuzz run) is
`tests/contract/`.
"""

from __future__ import annotations

from sandbox import SANDBOX_EXPENSE_ACCOUNT_ID, SANDBOX_PAID_THROUGH_ACCOUNT_ID

from ..contract.spec import check, requires_documents
from .conftest import Books
from .scenario import ADA_BOOKS, GLOBEX, ORG

pytestmark = requires_documents


def test_answers_match_the_vendor_documents(books: Books) -> None:
    check("organizations.yml", "GET", "/organizations", books("GET", "/organizations"))
    check("organizations.yml", "GET", "/organizations/{organization_id}",
          books("GET", f"/organizations/{ORG}"))
    check("currency.yml", "GET", "/settings/currencies", books("GET", "/settings/currencies"))
    check("users.yml", "GET", "/users", books("GET", "/users"))
    check("users.yml", "GET", "/users/me", books("GET", "/users/me"))
    check("contacts.yml", "GET", "/contacts", books("GET", "/contacts"))
    contact = books("POST", "/contacts", {"contact_name": "Doc Co", "currency_code": "EUR"})
    check("contacts.yml", "POST", "/contacts", contact)
    check("contacts.yml", "GET", "/contacts/{contact_id}",
          books("GET", f"/contacts/{contact.json()['contact']['contact_id']}"))

    project = books("POST", "/projects", {
        "project_name": "Docs", "customer_id": GLOBEX, "billing_type": "based_on_task_hours",
        "user_id": ADA_BOOKS})
    check("projects.yml", "POST", "/projects", project)
    project_id = project.json()["project"]["project_id"]
    check("projects.yml", "GET", "/projects", books("GET", "/projects"))
    check("projects.yml", "GET", "/projects/{project_id}", books("GET", f"/projects/{project_id}"))
    check("projects.yml", "GET", "/projects/{project_id}/users",
          books("GET", f"/projects/{project_id}/users"))
    task = books("POST", f"/projects/{project_id}/tasks", {"task_name": "Write"})
    check("tasks.yml", "POST", "/projects/{project_id}/tasks", task)
    task_id = task.json()["task"]["task_id"]
    check("tasks.yml", "GET", "/projects/{project_id}/tasks",
          books("GET", f"/projects/{project_id}/tasks"))
    entry = books("POST", "/projects/timeentries", {
        "project_id": project_id, "task_id": task_id, "user_id": ADA_BOOKS,
        "log_date": "2026-01-02", "log_time": "02:00"})
    check("time-entries.yml", "POST", "/projects/timeentries", entry)
    check("time-entries.yml", "GET", "/projects/timeentries",
          books("GET", "/projects/timeentries"))

    invoice = books("POST", "/invoices", {"customer_id": GLOBEX, "line_items": [{
        "name": "Write", "rate": 50, "quantity": 2, "project_id": project_id,
        "time_entry_ids": [entry.json()["time_entry"]["time_entry_id"]]}]})
    check("invoices.yml", "POST", "/invoices", invoice)
    invoice_id = invoice.json()["invoice"]["invoice_id"]
    check("invoices.yml", "GET", "/invoices", books("GET", "/invoices"))
    check("invoices.yml", "GET", "/invoices/{invoice_id}", books("GET", f"/invoices/{invoice_id}"))
    check("invoices.yml", "POST", "/invoices/{invoice_id}/status/sent",
          books("POST", f"/invoices/{invoice_id}/status/sent"))
    check("projects.yml", "GET", "/projects/{project_id}/invoices",
          books("GET", f"/projects/{project_id}/invoices"))

    expense = books("POST", "/expenses", {"date": "2026-01-02", "amount": 9.99,
                                          "account_id": SANDBOX_EXPENSE_ACCOUNT_ID,
                                          "paid_through_account_id": SANDBOX_PAID_THROUGH_ACCOUNT_ID})
    check("expenses.yml", "POST", "/expenses", expense)
    check("expenses.yml", "GET", "/expenses", books("GET", "/expenses"))
    estimate = books("POST", "/estimates", {"customer_id": GLOBEX, "line_items": [{"rate": 1}]})
    check("estimates.yml", "POST", "/estimates", estimate)
    check("estimates.yml", "GET", "/estimates", books("GET", "/estimates"))
