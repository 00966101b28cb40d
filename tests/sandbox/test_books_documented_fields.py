"""Issue 14, the Books half: money as numbers where the vendor's examples use numbers, the
documented project/task hours, and the service item invoice lines name."""

from __future__ import annotations

from sandbox import SANDBOX_TIME_ITEM_ID

from .conftest import Books
from .scenario import ADA_BOOKS, GLOBEX
from .test_books import log_time, make_project


def _invoice(books: Books, line: dict[str, object]) -> dict[str, object]:
    answer = books("POST", "/invoices", {"customer_id": GLOBEX, "line_items": [line]})
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["invoice"])


def test_invoice_money_is_numbers_like_estimates_and_bills(books: Books) -> None:
    invoice = _invoice(books, {"name": "Fee", "rate": "12.345", "quantity": 2})
    for field in ("total", "balance", "sub_total"):
        assert isinstance(invoice[field], float) and invoice[field] == 24.69, field
    again = books("GET", f"/invoices/{invoice['invoice_id']}").json()["invoice"]
    assert again["total"] == 24.69 and again["balance"] == 24.69
    listed = books("GET", "/invoices").json()["invoices"]
    assert all(isinstance(i["total"], float) for i in listed)
    estimate = books("POST", "/estimates", {"customer_id": GLOBEX,
                                            "line_items": [{"name": "Fee", "rate": 3}]})
    assert isinstance(estimate.json()["estimate"]["total"], float)


def test_projects_and_tasks_answer_their_hours_from_time_entries(books: Books) -> None:
    project = make_project(books)
    assert project["total_hours"] == "00:00" and project["tasks"][0]["un_billed_hours"] == "00:00"
    billed = log_time(books, project, "01:30")
    log_time(books, project, "00:45")
    task_id = project["tasks"][0]["task_id"]
    books("POST", "/projects/timeentries", {
        "project_id": project["project_id"], "task_id": task_id, "user_id": ADA_BOOKS,
        "log_date": "2026-01-02", "log_time": "02:00", "is_billable": False})
    _invoice(books, {"name": "Design", "rate": 100, "quantity": 1.5,
                     "project_id": project["project_id"], "time_entry_ids": [billed["time_entry_id"]]})
    got = books("GET", f"/projects/{project['project_id']}").json()["project"]
    assert {k: got[k] for k in ("total_hours", "billable_hours", "billed_hours", "un_billed_hours",
                                "non_billable_hours")} == {
        "total_hours": "04:15", "billable_hours": "02:15", "billed_hours": "01:30",
        "un_billed_hours": "00:45", "non_billable_hours": "02:00"}
    assert got["tasks"][0]["billed_hours"] == "01:30" and got["tasks"][0]["total_hours"] == "04:15"
    assert got["users"][0]["un_billed_hours"] == "00:45"
    task = books("GET", f"/projects/{project['project_id']}/tasks/{task_id}").json()["task"]
    assert (task["log_time"], task["billed_hours"], task["un_billed_hours"]) == ("04:15", "01:30", "00:45")
    listed = books("GET", f"/projects/{project['project_id']}/tasks").json()["tasks"]
    assert listed[0]["un_billed_hours"] == "00:45"
    in_list = books("GET", "/projects").json()["projects"]
    assert [p["total_hours"] for p in in_list if p["project_id"] == project["project_id"]] == ["04:15"]


def test_hours_are_computed_not_stored(books: Books) -> None:
    """An update answers the task's hours but does not freeze them into the record."""
    project = make_project(books)
    task_id = project["tasks"][0]["task_id"]
    books("PUT", f"/projects/{project['project_id']}/tasks/{task_id}", {"description": "x"})
    log_time(books, project, "01:00")
    task = books("GET", f"/projects/{project['project_id']}/tasks/{task_id}").json()["task"]
    assert task["un_billed_hours"] == "01:00"


def test_invoice_lines_name_a_known_item(books: Books) -> None:
    invoice = _invoice(books, {"item_id": SANDBOX_TIME_ITEM_ID, "name": "Fee", "rate": 5})
    lines = invoice["line_items"]
    assert isinstance(lines, list) and lines[0]["item_id"] == SANDBOX_TIME_ITEM_ID
    unknown = books("POST", "/invoices", {"customer_id": GLOBEX, "line_items": [
        {"item_id": "1234", "name": "Fee", "rate": 5}]})
    assert unknown.status_code == 400 and "item_id" in unknown.json()["message"]
