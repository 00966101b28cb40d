"""The Projects half as API v3: OAuth callers and roles, page/per_page with page_info, JSON
bodies only, time logs by module over a date view, the v3 error envelope, invoices (6409)
and the Finance view (sandbox-only)."""

from __future__ import annotations

import httpx

from bridge.clock import FakeClock

from .conftest import LOGS, Books, Projects
from .scenario import (
    ADA,
    BOB,
    BOB_EMAIL,
    CARL_EMAIL,
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
TASKS = {**LOGS, "module": '{"type": "task"}'}


def error_of(answer: httpx.Response) -> dict[str, object]:
    body = answer.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"status_code", "instance", "title", "error_type", "details"}
    assert error["status_code"] == str(answer.status_code)  # a string, as v3 writes it
    assert error["instance"] == answer.request.url.path
    return error


def test_portals_carry_the_callers_role(http: httpx.Client) -> None:
    ada = Projects(http)("GET", "/portals").json()
    assert ada["login_id"] == ADA
    assert [(p["id"], p["role"], p["is_default"]) for p in ada["portals"]] == [
        (PORTAL, "owner", True)]
    bob = Projects(http, BOB_EMAIL)("GET", "/portals").json()
    assert [(p["id"], p["role"]) for p in bob["portals"]] == [(PORTAL, "employee"),
                                                              (OTHER_PORTAL, "owner")]


def test_a_zsc_key_header_and_bad_tokens_answer_401(http: httpx.Client) -> None:
    zsc = http.get("/api/v3/portals", headers={"Authorization": "Zoho-zsckey zsc-key-ada-0001"})
    assert zsc.status_code == 401
    error = error_of(zsc)
    assert error["title"] == "INVALID_OAUTHTOKEN" and "ZSC key" in str(error["details"])
    assert http.get("/api/v3/portals").status_code == 401
    bogus = http.get("/api/v3/portals", headers={"Authorization": "Zoho-oauthtoken 1000.nope"})
    assert bogus.status_code == 401
    assert Projects(http, CARL_EMAIL)("GET", "/portals").status_code == 401  # inactive user


def test_oauth_token_of_books_acts_as_the_user_with_the_same_email(http: httpx.Client,
                                                                   books: Books) -> None:
    answer = http.get("/api/v3/portals",
                      headers={"Authorization": f"Zoho-oauthtoken {books.token}"})
    assert answer.status_code == 200 and answer.json()["login_id"] == ADA


def test_the_zsc_key_check_is_sandbox_only_and_takes_a_hash(http: httpx.Client) -> None:
    import hashlib

    ada = Projects(http)
    right = hashlib.sha256(b"zsc-key-ada-0001").hexdigest()
    assert ada("POST", "/sandbox/zsckey", {"zsc_key_sha256": right}).json()["valid"] is True
    wrong = ada("POST", "/sandbox/zsckey", {"zsc_key_sha256": hashlib.sha256(b"x").hexdigest()})
    assert wrong.status_code == 401 and error_of(wrong)["title"] == "INVALID_ZSC_KEY"


def test_non_members_are_refused(http: httpx.Client, projects: Projects) -> None:
    other = projects("GET", f"/portal/{OTHER_PORTAL}/projects")
    assert other.status_code == 403 and error_of(other)["title"] == "FORBIDDEN"
    bob = Projects(http, BOB_EMAIL)
    # an employee sees only the projects he is a user of
    assert [p["id"] for p in bob("GET", f"{P}/projects").json()["projects"]] == [WEBSITE]
    assert bob("GET", f"{P}/projects/{SECRET}").status_code == 403
    # and may not invoice
    refused = bob("POST", f"{W}/invoices", {"line_items": []})
    assert refused.status_code == 403


def test_paging_says_when_the_last_page_is_reached(projects: Projects) -> None:
    ids: list[str] = []
    page = 1
    while True:
        answer = projects("GET", f"{P}/projects", page=page, per_page=2).json()
        ids += [p["id"] for p in answer["projects"]]
        assert answer["page_info"]["page"] == page and answer["page_info"]["per_page"] == 2
        if not answer["page_info"]["has_next_page"]:
            break
        page += 1
    assert ids == [WEBSITE, MOBILE, SECRET] and page == 2
    logs: list[str] = []
    page = 1
    while (answer := projects("GET", f"{W}/timelogs", page=page, per_page=2,
                              **TASKS)).status_code == 200:
        logs += [log["id"] for day in answer.json()["time_logs"] for log in day["log_details"]]
        page += 1
    assert answer.status_code == 204 and answer.content == b""
    assert len(logs) == len(set(logs)) == LOG_COUNT
    assert projects("GET", f"{P}/projects", per_page=201).status_code == 400


def test_unknown_ids_and_paths(projects: Projects) -> None:
    for path in [f"{P}/projects/1", f"{W}/tasks/1", f"{W}/invoices/1", "/portal/1/projects"]:
        answer = projects("GET", path)
        assert answer.status_code == 404 and error_of(answer)["title"] == "RESOURCE_NOT_FOUND"
    for method, path in [("GET", f"{W}/bugs"), ("GET", f"{W}/logs"), ("POST", f"{W}/tasks/1")]:
        answer = projects(method, path)
        assert answer.status_code == 400, path
        assert error_of(answer)["title"] == "URL_RULE_NOT_CONFIGURED"


def test_primary_client_comes_first(projects: Projects) -> None:
    clients = projects("GET", f"{W}/clients").json()["clients"]
    assert [(c["id"], c["is_primary"]) for c in clients] == [(CLIENT_GLOBEX, True),
                                                             (CLIENT_INITECH, False)]
    assert projects("GET", f"{P}/projects/{MOBILE}/clients").json()["clients"] == []


def test_time_logs_need_their_view_and_module(projects: Projects) -> None:
    for missing in ("view_type", "start_date", "end_date", "module"):
        params = {k: v for k, v in TASKS.items() if k != missing}
        answer = projects("GET", f"{W}/timelogs", **params)
        assert answer.status_code == 400, missing
        assert missing in str(error_of(answer)["details"])


def test_logs_are_grouped_by_date_per_module(projects: Projects) -> None:
    days = projects("GET", f"{W}/timelogs", **TASKS).json()["time_logs"]
    assert [d["date"] for d in days] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    first = days[0]["log_details"][0]
    assert (first["hours"], first["module"]["type"], first["owner"]["zpuid"]) == (
        "00:30", "task", ADA)
    general = projects("GET", f"{W}/timelogs", **{**LOGS, "module": '{"type": "general"}'})
    logs = [log for d in general.json()["time_logs"] for log in d["log_details"]]
    assert [(log["bill_status"], log["owner"]["zpuid"]) for log in logs] == [("Non Billable", BOB)]
    one_day = projects("GET", f"{W}/timelogs", view_type="day", start_date="2026-01-02",
                       module='{"type": "task"}')
    assert [d["date"] for d in one_day.json()["time_logs"]] == ["2026-01-02"]
    assert projects("GET", f"{W}/timelogs", **{**LOGS, "module": '{"type": "issue"}'}
                    ).status_code == 204


def test_adding_logs_takes_json_only(projects: Projects) -> None:
    added = projects("POST", f"{W}/log", {
        "module": {"id": TASK_BUILD, "type": "task"}, "date": "2026-01-04", "hours": "02:15",
        "bill_status": "Billable", "notes": "pairing", "owner_zpuid": ADA})
    assert added.status_code == 201
    log = added.json()["time_logs"][0]["log_details"][0]
    assert (log["hours"], log["date"], log["module"]["id"]) == ("02:15", "2026-01-04", TASK_BUILD)
    bad = projects("POST", f"{W}/log", {"module": {"type": "general"}, "date": "01-04-2026",
                                        "hours": "01:00"})
    assert bad.status_code == 400 and "date" in str(error_of(bad)["details"])
    form = projects.http.post(f"/api/v3{W}/log", data={"date": "2026-01-04", "hours": "01:00"},
                              headers={"Authorization": f"Zoho-oauthtoken {projects.token}"})
    assert form.status_code == 400 and "JSON" in str(error_of(form)["details"])


def test_completing_a_task_patches_its_status(projects: Projects, clock: FakeClock) -> None:
    before = projects("GET", f"{W}/tasks/{TASK_DESIGN}").json()
    assert before["is_completed"] is False and before["status"]["is_closed_type"] is False
    clock.advance(60)
    done = projects("PATCH", f"{W}/tasks/{TASK_DESIGN}", {"status": {"name": "Closed"}}).json()
    assert done["is_completed"] is True and done["status"]["name"] == "Closed"
    assert done["modified_time"] > before["modified_time"]
    refused = projects("PATCH", f"{W}/tasks/{TASK_DESIGN}", {"status": {"name": "Someday"}})
    assert refused.status_code == 400


def test_a_task_is_invoiced_once_across_both_sides(projects: Projects, books: Books) -> None:
    # a Books invoice line naming the Projects project and task marks the task
    books_invoice = books("POST", "/invoices", {"customer_id": "300000000000000001",
                                                "line_items": [{"rate": 10, "project_id": WEBSITE,
                                                                "task_id": TASK_DONE}]})
    assert books_invoice.status_code == 201
    task = projects("GET", f"{W}/tasks/{TASK_DONE}").json()
    assert task["invoiced"] is True
    line = {"description": "Launch", "rate": "50", "quantity": "1", "task_id": TASK_DONE}
    refused = projects("POST", f"{W}/invoices", {"line_items": [line]})
    assert refused.status_code == 400 and error_of(refused)["title"] == "ALREADY_INVOICED"
    line["task_id"] = TASK_BUILD
    first = projects("POST", f"{W}/invoices", {"line_items": [line], "client_id": CLIENT_GLOBEX})
    assert first.status_code == 201
    invoice = first.json()
    assert (invoice["total"], invoice["currency_code"], invoice["status"]) == ("50.00", "USD",
                                                                              "draft")
    again = projects("POST", f"{W}/invoices", {"line_items": [line]})
    assert error_of(again)["title"] == "ALREADY_INVOICED"
    # the task's billable logs now carry the invoice
    module = f'{{"type": "task", "id": "{TASK_BUILD}"}}'
    days = projects("GET", f"{W}/timelogs", **{**LOGS, "module": module}).json()["time_logs"]
    assert {log["invoice_id"] for d in days for log in d["log_details"]} == {invoice["id"]}


def test_sent_needs_a_client(projects: Projects) -> None:
    line = [{"description": "x", "rate": "1"}]
    draft = projects("POST", f"{W}/invoices", {"line_items": line, "currency_code": "EUR"})
    invoice_id = draft.json()["id"]
    refused = projects("PATCH", f"{W}/invoices/{invoice_id}", {"status": "sent"})
    assert refused.status_code == 400 and "client_id" in str(error_of(refused)["details"])
    sent = projects("PATCH", f"{W}/invoices/{invoice_id}",
                    {"status": "sent", "client_id": CLIENT_INITECH, "books_invoice_id": "55"})
    assert sent.json()["status"] == "sent"


def test_finance_view_lists_and_links_idempotently(projects: Projects) -> None:
    view = projects("GET", f"{W}/finance").json()["transactions"]
    assert [(t["kind"], t["projects_id"], t["origin"]) for t in view] == [
        ("expense", EXPENSE, "projects")]
    link = {"kind": "invoice", "books_id": "123", "number": "INV-000009", "total": 75,
            "currency_code": "USD", "status": "sent"}
    assert projects("POST", f"{W}/finance", link).status_code == 201
    link["status"] = "void"
    assert projects("POST", f"{W}/finance", link).status_code == 200
    view = projects("GET", f"{W}/finance").json()["transactions"]
    assert [(t["kind"], t["books_id"], t["status"]) for t in view] == [
        ("expense", "", "unbilled"), ("invoice", "123", "void")]
    expense = projects("POST", f"{W}/expenses", {"amount": 12, "date": "2026-01-04",
                                                 "books_expense_id": "77"})
    assert expense.status_code == 201 and expense.json()["currency_code"] == "USD"
    # a link naming what a Projects record already mirrors is listed once
    projects("POST", f"{W}/finance", {"kind": "expense", "books_id": "77", "total": 12})
    view = projects("GET", f"{W}/finance").json()["transactions"]
    assert [t["books_id"] for t in view if t["kind"] == "expense"] == ["", "77"]
