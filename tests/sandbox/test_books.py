"""The Books half: envelope, paging, refusals and the rules it enforces."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox import SANDBOX_EXPENSE_ACCOUNT_ID, SANDBOX_PAID_THROUGH_ACCOUNT_ID, Sandbox

from .conftest import Books
from .scenario import ADA_BOOKS, GLOBEX, INITECH, ORG

ACCOUNTS = {"account_id": SANDBOX_EXPENSE_ACCOUNT_ID, "paid_through_account_id": SANDBOX_PAID_THROUGH_ACCOUNT_ID}


def make_project(books: Books, name: str = "Website") -> dict[str, Any]:
    answer = books("POST", "/projects", {
        "project_name": name, "customer_id": GLOBEX, "billing_type": "based_on_task_hours",
        "user_id": ADA_BOOKS, "tasks": [{"task_name": "Design", "rate": 120}]})
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["project"])


def log_time(books: Books, project: dict[str, Any], log_time: str = "01:30") -> dict[str, Any]:
    answer = books("POST", "/projects/timeentries", {
        "project_id": project["project_id"], "task_id": project["tasks"][0]["task_id"],
        "user_id": ADA_BOOKS, "log_date": "2026-01-02", "log_time": log_time})
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["time_entry"])


def test_envelope_and_current_user(books: Books) -> None:
    me = books("GET", "/users/me").json()
    assert me["code"] == 0 and me["message"] == "success"
    assert me["user"]["user_id"] == ADA_BOOKS and me["user"]["is_current_user"] is True
    org = books("GET", f"/organizations/{ORG}").json()["organization"]
    assert org["currency_code"] == "USD" and org["plan_name"] == "PREMIUM"
    currencies = books("GET", "/settings/currencies").json()["currencies"]
    assert currencies[0]["currency_code"] == "USD" and currencies[0]["is_base_currency"]


def test_paging_through_more_than_one_page(books: Books) -> None:
    for i in range(3):
        assert books("POST", "/contacts", {"contact_name": f"Customer {i}"}).status_code == 201
    seen: list[str] = []
    page = 1
    while True:
        body = books("GET", "/contacts", page=page, per_page=2).json()
        seen += [c["contact_id"] for c in body["contacts"]]
        assert body["page_context"]["page"] == page and body["page_context"]["per_page"] == 2
        if not body["page_context"]["has_more_page"]:
            break
        page += 1
    assert page == 3 and len(seen) == len(set(seen)) == 5
    capped = books("GET", "/contacts", per_page=500).json()["page_context"]
    assert capped["per_page"] == 200 and capped["has_more_page"] is False


def test_unknown_ids_answer_404_with_the_envelope(books: Books) -> None:
    for path, thing in [("/contacts/1", "Contact"), ("/invoices/1", "Invoice"),
                        ("/projects/1", "Project"), ("/projects/timeentries/1", "Time entry"),
                        ("/users/1", "User")]:
        answer = books("GET", path)
        assert answer.status_code == 404
        assert answer.json() == {"code": 1002, "message": f"{thing} does not exist."}


def test_unknown_paths_and_methods_keep_the_envelope(books: Books) -> None:
    assert books("GET", "/nothing/here").json()["code"] == 5
    wrong_method = books("PATCH", "/contacts")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == 37


def test_json_string_form_bodies_are_accepted(books: Books) -> None:
    answer = books.http.post(
        "/books/v3/contacts", data={"JSONString": '{"contact_name": "Form Co"}'},
        params={"organization_id": books.org},
        headers={"Authorization": f"Zoho-oauthtoken {books.token}"})
    assert answer.status_code == 201 and answer.json()["contact"]["contact_name"] == "Form Co"


def test_invalid_payloads_name_the_field(books: Books) -> None:
    answer = books("POST", "/contacts", {"company_name": "No name"})
    assert answer.status_code == 400 and answer.json()["code"] == 15
    assert "contact_name" in answer.json()["message"]
    answer = books("POST", "/projects", {"project_name": "P", "customer_id": GLOBEX,
                                         "billing_type": "by_the_hour", "user_id": ADA_BOOKS})
    assert answer.status_code == 400 and "billing_type" in answer.json()["message"]
    answer = books("POST", "/invoices", {"line_items": [{"rate": 1}]})
    assert answer.status_code == 400 and "customer_id" in answer.json()["message"]
    answer = books("POST", "/invoices", {"customer_id": GLOBEX})
    assert answer.status_code == 400 and "line_items" in answer.json()["message"]


def test_contact_names_are_unique(books: Books) -> None:
    answer = books("POST", "/contacts", {"contact_name": "GLOBEX"})
    assert answer.status_code == 400 and answer.json()["code"] == 3062
    renamed = books("PUT", f"/contacts/{INITECH}", {"contact_name": "Globex"})
    assert renamed.json()["code"] == 3062
    assert books("GET", "/contacts", contact_name="initech").json()["contacts"][0][
        "contact_id"] == INITECH


def test_organization_id_is_required_and_must_exist(books: Books) -> None:
    answer = books.http.get("/books/v3/contacts",
                            headers={"Authorization": f"Zoho-oauthtoken {books.token}"})
    assert answer.status_code == 400 and "organization_id" in answer.json()["message"]
    other = Books(books.http, books.token, org="999")
    assert other("GET", "/contacts").json() == {"code": 1002,
                                                "message": "Organization does not exist."}


def test_time_entries_keep_hh_mm_and_invoices_bill_them_once(books: Books) -> None:
    project = make_project(books)
    entry = log_time(books, project, "1:30")
    assert entry["log_time"] == "01:30" and entry["billed_status"] == "unbilled"
    unbilled = books("GET", "/projects/timeentries", project_id=project["project_id"],
                     filter_by="Status.Unbilled").json()["time_entries"]
    assert [e["time_entry_id"] for e in unbilled] == [entry["time_entry_id"]]
    line = {"name": "Design", "rate": 120, "quantity": 1.5,
            "project_id": project["project_id"], "time_entry_ids": [entry["time_entry_id"]]}
    created = books("POST", "/invoices", {"customer_id": GLOBEX, "reference_number": "R-1",
                                          "line_items": [line]})
    assert created.status_code == 201
    invoice = created.json()["invoice"]
    assert created.json()["message"] == "The invoice has been created."
    assert invoice["total"] == 180.0 and invoice["line_items"][0]["item_total"] == 180.0
    billed = books("GET", f"/projects/timeentries/{entry['time_entry_id']}").json()["time_entry"]
    assert billed["billed_status"] == "invoiced" and billed["invoice_id"] == invoice["invoice_id"]
    again = books("POST", "/invoices", {"customer_id": GLOBEX, "line_items": [line]})
    assert again.status_code == 400 and "time_entry_ids" in again.json()["message"]
    assert books("GET", "/invoices", reference_number="R-1").json()["invoices"][0][
        "invoice_id"] == invoice["invoice_id"]
    listed = books("GET", f"/projects/{project['project_id']}/invoices").json()["invoices"]
    assert [i["invoice_id"] for i in listed] == [invoice["invoice_id"]]
    assert listed[0]["total"] == "180.00"  # projects.yml draws this list's money as strings
    # deleting the invoice gives the entry back
    assert books("DELETE", f"/invoices/{invoice['invoice_id']}").json()["code"] == 0
    freed = books("GET", f"/projects/timeentries/{entry['time_entry_id']}").json()["time_entry"]
    assert freed["billed_status"] == "unbilled" and freed["invoice_id"] == ""


def test_entries_of_another_project_are_refused(books: Books) -> None:
    first, second = make_project(books, "First"), make_project(books, "Second")
    entry = log_time(books, first)
    answer = books("POST", "/invoices", {"customer_id": GLOBEX, "line_items": [{
        "rate": 1, "project_id": second["project_id"],
        "time_entry_ids": [entry["time_entry_id"]]}]})
    assert answer.status_code == 400 and "time_entry_ids" in answer.json()["message"]


def test_invoice_status_endpoints(books: Books) -> None:
    created = books("POST", "/invoices", {"customer_id": GLOBEX,
                                          "line_items": [{"name": "Fee", "rate": "10.005"}]})
    invoice_id = created.json()["invoice"]["invoice_id"]
    assert created.json()["invoice"]["total"] == 10.01
    assert books("POST", f"/invoices/{invoice_id}/status/sent").json()["code"] == 0
    assert books("GET", f"/invoices/{invoice_id}").json()["invoice"]["status"] == "sent"
    assert books("POST", f"/invoices/{invoice_id}/status/void").json()["code"] == 0
    refused = books("POST", f"/invoices/{invoice_id}/status/sent")
    assert refused.status_code == 400
    assert books("POST", f"/invoices/{invoice_id}/status/draft").json()["code"] == 0
    assert books("GET", "/invoices", status="draft").json()["invoices"][0][
        "invoice_id"] == invoice_id


def test_creates_answer_the_documented_status(books: Books) -> None:
    project = make_project(books)
    expense = books("POST", "/expenses", {"date": "2026-01-03", "amount": 12.5, **ACCOUNTS,
                                          "project_id": project["project_id"],
                                          "reference_number": "EXP-1", "is_billable": True})
    assert expense.status_code == 200 and expense.json()["message"] == "The expense has been recorded."
    assert expense.json()["expense"]["status"] == "unbilled"
    listed = books("GET", "/expenses", project_id=project["project_id"]).json()["expenses"]
    assert [e["reference_number"] for e in listed] == ["EXP-1"]
    estimate = books("POST", "/estimates", {"customer_id": INITECH,
                                            "line_items": [{"rate": 5, "quantity": 2}]})
    assert estimate.status_code == 201 and estimate.json()["estimate"]["currency_code"] == "EUR"
    vendor = books("POST", "/contacts", {"contact_name": "Supplies Co", "contact_type": "vendor"})
    bill = books("POST", "/bills", {"vendor_id": vendor.json()["contact"]["contact_id"],
                                    "bill_number": "B-1", "line_items": [{"rate": 3}]})
    assert bill.status_code == 201 and bill.json()["bill"]["total"] == 3.0
    user = books("POST", "/users", {"name": "Tim", "email": "tim@acme.test",
                                    "user_role": "timesheetstaff"})
    assert user.status_code == 200
    user_id = user.json()["user"]["user_id"]
    assert books("POST", f"/users/{user_id}/inactive").json()["code"] == 0
    assert books("GET", f"/users/{user_id}").json()["user"]["status"] == "inactive"


@pytest.mark.parametrize("payload", [
    {"contact_name": "Globex"},                           # duplicate name
    {"contact_name": "New Co", "currency_code": "XXX"},  # unknown currency
])
def test_a_refused_request_changes_nothing(sandbox: Sandbox, books: Books,
                                           payload: dict[str, Any]) -> None:
    before = sandbox.state()
    answer = books("POST", "/contacts", payload)
    assert answer.status_code == 400
    assert sandbox.state() == before


def test_a_refused_invoice_leaves_entries_unbilled(sandbox: Sandbox, books: Books) -> None:
    project = make_project(books)
    entry = log_time(books, project)
    before = sandbox.state()
    answer = books("POST", "/invoices", {"customer_id": GLOBEX, "line_items": [
        {"rate": 1, "time_entry_ids": [entry["time_entry_id"]]},
        {"rate": 1, "time_entry_ids": ["404"]}]})
    assert answer.status_code == 400
    assert sandbox.state() == before


@pytest.mark.parametrize("fields, refusal", [
    ({"paid_through_account_id": SANDBOX_PAID_THROUGH_ACCOUNT_ID}, "account_id is required."),
    ({"account_id": SANDBOX_EXPENSE_ACCOUNT_ID}, "paid_through_account_id is required."),
    ({**ACCOUNTS, "account_id": "999"}, "Invalid value passed for account_id: no such account"),
    ({"account_id": SANDBOX_PAID_THROUGH_ACCOUNT_ID, "paid_through_account_id": SANDBOX_EXPENSE_ACCOUNT_ID},
     "Invalid value passed for account_id: a cash account cannot be used here"),
])
def test_an_expense_needs_an_expense_account_and_a_paying_one(
        books: Books, fields: dict[str, str], refusal: str) -> None:
    answer = books("POST", "/expenses", {"date": "2026-01-03", "amount": 5, **fields})
    assert answer.status_code == 400 and answer.json()["message"] == refusal
    assert books("GET", "/expenses").json()["expenses"] == []


def test_an_expense_deletes_until_it_is_invoiced(books: Books) -> None:
    project = make_project(books)
    made = books("POST", "/expenses", {"date": "2026-01-03", "amount": 12.5, **ACCOUNTS, "customer_id": INITECH,
                                       "project_id": project["project_id"], "is_billable": True}).json()["expense"]
    spare = books("POST", "/expenses", {"date": "2026-01-03", "amount": 2, **ACCOUNTS}).json()["expense"]
    assert books("DELETE", f"/expenses/{spare['expense_id']}").json()["message"] == "The expense has been deleted."
    assert books("GET", f"/expenses/{spare['expense_id']}").status_code == 404
    books("POST", "/invoices", {"customer_id": INITECH, "line_items": [
        {"expense_id": made["expense_id"], "rate": 12.5, "quantity": 1}]})
    refused = books("DELETE", f"/expenses/{made['expense_id']}")
    assert refused.status_code == 400 and refused.json()["message"] == "An invoiced expense cannot be deleted."


def test_estimates_and_bills_delete(books: Books) -> None:
    estimate = books("POST", "/estimates", {"customer_id": INITECH, "line_items": [{"rate": 5}]}).json()["estimate"]
    vendor = books("POST", "/contacts", {"contact_name": "Paper Co", "contact_type": "vendor"}).json()["contact"]
    bill = books("POST", "/bills", {"vendor_id": vendor["contact_id"], "bill_number": "P-1"}).json()["bill"]
    assert (books("DELETE", f"/estimates/{estimate['estimate_id']}").json()["message"]
            == "The estimate has been deleted.")
    assert books("DELETE", f"/bills/{bill['bill_id']}").json()["message"] == "The bill has been deleted."
    assert books("GET", f"/estimates/{estimate['estimate_id']}").status_code == 404
    assert books("DELETE", f"/bills/{bill['bill_id']}").status_code == 404
