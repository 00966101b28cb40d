"""The Projects half: roles, paging with 204, logs by date, invoices (6409), Finance view."""

from __future__ import annotations

import json

import httpx

from bridge.clock import FakeClock
from bridge.sandbox import Sandbox

from .conftest import Books, Projects
from .scenario import (
    ADA,
    BOB,
    BOB_KEY,
    CARL_KEY,
    CLIENT_GLOBEX,
    CLIENT_INITECH,
    EXPENSE,
    LOG_COUNT,
    MOBILE,
    OTHER_PORTAL,
    PORTAL,
    SECRET,
    TASK_BUILD,
    TASK_DESIGN,
    TASK_DONE,
    WEBSITE,
)

P = f"/portal/{PORTAL}"
W = f"{P}/projects/{WEBSITE}"


def test_portals_carry_the_callers_role(http: httpx.Client) -> None:
    ada = Projects(http)("GET", "/portals/").json()
    assert ada["login_id"] == ADA
    assert [(p["id"], p["role"], p["default"]) for p in ada["portals"]] == [
        (PORTAL, "owner", True)]
    bob = Projects(http, BOB_KEY)("GET", "/portals/").json()
    assert [(p["id"], p["role"]) for p in bob["portals"]] == [(PORTAL, "employee"),
                                                              (OTHER_PORTAL, "owner")]


def test_wrong_or_revoked_keys_answer_6401(http: httpx.Client, sandbox: Sandbox) -> None:
    wrong = Projects(http, "not-a-key-at-all")("GET", "/portals/")
    assert wrong.status_code == 401
    assert wrong.json() == {"error": {"code": 6401, "message": "Invalid ZSC key"}}
    assert Projects(http, CARL_KEY)("GET", "/portals/").status_code == 401  # inactive user
    sandbox.patch_record("projects", "users", BOB, {"zsc_key": "zsc-key-bob-new1"})
    assert Projects(http, BOB_KEY)("GET", "/portals/").status_code == 401
    assert Projects(http, "zsc-key-bob-new1")("GET", "/portals/").status_code == 200
    assert http.get("/restapi/portals/").status_code == 401


def test_oauth_token_acts_as_the_user_with_the_same_email(http: httpx.Client,
                                                          books: Books) -> None:
    answer = http.get("/restapi/portals/",
                      headers={"Authorization": f"Zoho-oauthtoken {books.token}"})
    assert answer.status_code == 200 and answer.json()["login_id"] == ADA


def test_non_members_are_refused(http: httpx.Client, projects: Projects) -> None:
    other = projects("GET", f"/portal/{OTHER_PORTAL}/projects/")
    assert other.status_code == 403 and other.json()["error"]["code"] == 6403
    bob = Projects(http, BOB_KEY)
    # an employee sees only the projects he is a user of
    assert [p["id"] for p in bob("GET", f"{P}/projects/").json()["projects"]] == [WEBSITE]
    assert bob("GET", f"{P}/projects/{SECRET}/").status_code == 403
    # and may not invoice
    refused = bob("POST", f"{W}/invoices/", {"line_items": "[]"})
    assert refused.status_code == 403


def test_paging_ends_with_204(projects: Projects) -> None:
    ids: list[str] = []
    index = 1
    while True:
        answer = projects("GET", f"{P}/projects/", index=index, range=2)
        if answer.status_code == 204:
            assert answer.content == b""
            break
        ids += [p["id"] for p in answer.json()["projects"]]
        index += 2
    assert ids == [WEBSITE, MOBILE, SECRET]
    logs: list[str] = []
    index = 1
    while (answer := projects("GET", f"{W}/logs/", index=index, range=4)).status_code == 200:
        for day in answer.json()["timelogs"]["date"]:
            logs += [log["id"] for kind in ("tasklogs", "buglogs", "generallogs")
                     for log in day[kind]]
        index += 4
    assert answer.status_code == 204 and len(logs) == len(set(logs)) == LOG_COUNT + 1


def test_unknown_ids_answer_6404(projects: Projects) -> None:
    for path in [f"{P}/projects/1/", f"{W}/tasks/1/", f"{W}/invoices/1/", "/portal/1/projects/"]:
        answer = projects("GET", path)
        assert answer.status_code == 404
        assert answer.json() == {"error": {"code": 6404, "message": "Resource Not Found"}}


def test_primary_client_comes_first(projects: Projects) -> None:
    clients = projects("GET", f"{W}/clients/").json()["clients"]
    assert [(c["id"], c["is_primary"]) for c in clients] == [(CLIENT_GLOBEX, True),
                                                             (CLIENT_INITECH, False)]
    assert projects("GET", f"{P}/projects/{MOBILE}/clients/").status_code == 204


def test_logs_are_grouped_by_date_and_filtered(projects: Projects) -> None:
    answer = projects("GET", f"{W}/logs/").json()["timelogs"]
    days = [d["display_format"] for d in answer["date"]]
    assert days == ["01-01-2026", "01-02-2026", "01-03-2026"]
    general = [log for d in answer["date"] for log in d["generallogs"]]
    assert [log["bill_status"] for log in general] == ["Non Billable"]
    first = answer["date"][0]["tasklogs"][0]
    assert (first["hours"], first["minutes"], first["hours_display"]) == (0, 30, "00:30")
    billable = projects("GET", f"{W}/logs/", bill_status="Billable",
                        component_type="task").json()["timelogs"]["date"]
    assert all(not d["generallogs"] for d in billable)
    one_day = projects("GET", f"{W}/logs/", view_type="day", date="01-02-2026")
    assert [d["display_format"] for d in one_day.json()["timelogs"]["date"]] == ["01-02-2026"]


def test_adding_logs_takes_form_fields(projects: Projects) -> None:
    added = projects("POST", f"{W}/tasks/{TASK_BUILD}/logs/",
                     {"date": "01-04-2026", "hours": "02:15", "bill_status": "Billable",
                      "notes": "pairing"})
    assert added.status_code == 201
    log = added.json()["timelogs"]["tasklogs"][0]
    assert (log["total_minutes"], log["log_date"], log["task"]["id"]) == (135, "01-04-2026",
                                                                         TASK_BUILD)
    bad = projects("POST", f"{W}/logs/", {"date": "2026-01-04", "hours": "01:00"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == 6400
    assert "date" in bad.json()["error"]["message"]


def test_last_modified_moves_when_a_task_changes(projects: Projects, clock: FakeClock) -> None:
    before = projects("GET", f"{W}/tasks/{TASK_DESIGN}/").json()["tasks"][0]
    done = projects("POST", f"{W}/tasks/{TASK_DESIGN}/", {"completed": "true"}).json()["tasks"][0]
    assert done["completed"] is True
    assert done["last_modified_time_long"] > before["last_modified_time_long"]
    open_only = projects("GET", f"{W}/tasks/", status="notcompleted").json()["tasks"]
    assert [t["id"] for t in open_only] == [TASK_BUILD]
    clock.advance(60)
    since = done["last_modified_time_long"] + 1
    assert projects("GET", f"{P}/projects/", last_modified_time=since).status_code == 204


def test_a_task_is_invoiced_once_across_both_sides(projects: Projects, books: Books) -> None:
    # a Books invoice line naming the Projects project and task marks the task
    books_invoice = books("POST", "/invoices", {"customer_id": "300000000000000001",
                                                "line_items": [{"rate": 10, "project_id": WEBSITE,
                                                                "task_id": TASK_DONE}]})
    assert books_invoice.status_code == 201
    task = projects("GET", f"{W}/tasks/{TASK_DONE}/").json()["tasks"][0]
    assert task["invoiced"] is True
    line = {"description": "Launch", "rate": "50", "quantity": "1", "task_id": TASK_DONE}
    refused = projects("POST", f"{W}/invoices/", {"line_items": json.dumps([line])})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 6409
    line["task_id"] = TASK_BUILD
    first = projects("POST", f"{W}/invoices/", {"line_items": json.dumps([line]),
                                                "client_id": CLIENT_GLOBEX})
    assert first.status_code == 201
    invoice = first.json()["invoices"][0]
    assert (invoice["total"], invoice["currency_code"], invoice["status"]) == ("50.00", "USD",
                                                                              "draft")
    again = projects("POST", f"{W}/invoices/", {"line_items": json.dumps([line])})
    assert again.json()["error"]["code"] == 6409
    # the task's billable logs now carry the invoice
    logs = projects("GET", f"{W}/tasks/{TASK_BUILD}/logs/").json()["timelogs"]["date"]
    assert {log["invoice_id"] for d in logs for log in d["tasklogs"]} == {invoice["id"]}


def test_sent_needs_a_client(projects: Projects) -> None:
    line = json.dumps([{"description": "x", "rate": "1"}])
    draft = projects("POST", f"{W}/invoices/", {"line_items": line, "currency_code": "EUR"})
    invoice_id = draft.json()["invoices"][0]["id"]
    refused = projects("POST", f"{W}/invoices/{invoice_id}/", {"status": "sent"})
    assert refused.status_code == 400 and "client_id" in refused.json()["error"]["message"]
    sent = projects("POST", f"{W}/invoices/{invoice_id}/",
                    {"status": "sent", "client_id": CLIENT_INITECH, "books_invoice_id": "55"})
    assert sent.json()["invoices"][0]["status"] == "sent"


def test_finance_view_lists_and_links_idempotently(projects: Projects) -> None:
    view = projects("GET", f"{W}/finance/").json()["transactions"]
    assert [(t["kind"], t["projects_id"], t["origin"]) for t in view] == [
        ("expense", EXPENSE, "projects")]
    link = {"kind": "invoice", "books_id": "123", "number": "INV-000009", "total": "75",
            "currency_code": "USD", "status": "sent"}
    assert projects("POST", f"{W}/finance/", link).status_code == 201
    link["status"] = "void"
    assert projects("POST", f"{W}/finance/", link).status_code == 200
    view = projects("GET", f"{W}/finance/").json()["transactions"]
    assert [(t["kind"], t["books_id"], t["status"]) for t in view] == [
        ("expense", "", "unbilled"), ("invoice", "123", "void")]
    expense = projects("POST", f"{W}/expenses/", {"amount": "12", "date": "01-04-2026",
                                                  "books_expense_id": "77"})
    assert expense.status_code == 201 and expense.json()["expenses"][0]["currency_code"] == "USD"
    # a link naming what a Projects record already mirrors is listed once
    projects("POST", f"{W}/finance/", {"kind": "expense", "books_id": "77", "total": "12"})
    view = projects("GET", f"{W}/finance/").json()["transactions"]
    assert [t["books_id"] for t in view if t["kind"] == "expense"] == ["", "77"]
