"""ProjectsClient over API v3: page/per_page paging, JSON bodies, PATCH updates, ISO dates,
time logs per module over a custom range, v3 shapes mapped to the modes' records."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from bridge.clients import ProjectsClient, ServiceHttp, flatten_timelogs
from bridge.clock import FakeClock
from bridge.errors import ConfigError, NotFound, ServiceError

from ._support import Handler, projects_http, reply

P = "/api/v3/portal/42"  # PROJECTS_BASE ends in /api/v3


def paged(records: list[dict[str, Any]], key: str, seen: list[httpx.Request],
          flag: bool = True) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page, size = int(request.url.params["page"]), int(request.url.params["per_page"])
        chunk = records[(page - 1) * size: page * size]
        more = page * size < len(records)
        body: dict[str, Any] = {key: chunk}
        if flag:
            body["page_info"] = {"page": page, "per_page": size, "has_next_page": more}
        return reply(200, body)

    return handler


@pytest.mark.parametrize(("total", "calls", "flag"),
                         [(450, 3, True), (400, 2, True), (400, 3, False), (0, 1, True)])
def test_lists_page_until_the_flag_or_a_short_page(
    clock: FakeClock, total: int, calls: int, flag: bool
) -> None:
    seen: list[httpx.Request] = []
    records = [{"id": str(i), "name": f"P{i}", "project_type": "active"} for i in range(total)]
    projects = ProjectsClient(projects_http(paged(records, "projects", seen, flag), clock), "42")
    assert [p["id"] for p in projects.list_projects(status="active")] == [
        r["id"] for r in records]
    assert [r.url.params["page"] for r in seen] == [str(n + 1) for n in range(calls)]
    assert all(r.url.params["per_page"] == "200" and "status" not in r.url.params for r in seen)
    assert all(r.url.path == f"{P}/projects" for r in seen)


def test_v3_logs_are_flattened_into_the_modes_shape() -> None:
    body = {"time_logs": [
        {"date": "2026-01-02", "log_details": [
            {"id": "t1", "module": {"id": "T1", "type": "task", "name": "Build"},
             "owner": {"zpuid": "u1", "name": "Ada"}, "hours": "01:30",
             "bill_status": "Billable", "approval_status": "Approved", "notes": "n"},
            {"id": "b1", "module": {"id": "B1", "type": "issue", "name": "Crash"},
             "owner": {"zpuid": "u2", "name": "Bob"}, "hours": "-01:30"},
            {"id": "g1", "module": {"type": "general"}, "hours": "0.5", "date": "2026-01-03"},
        ]}]}
    logs = flatten_timelogs(body)
    assert [(log["id"], log["component"]) for log in logs] == [
        ("t1", "task"), ("b1", "bug"), ("g1", "general")]
    task, bug, general = logs
    assert task["task"] == {"id": "T1", "name": "Build"} and bug["bug"] == {"id": "B1",
                                                                             "title": "Crash"}
    assert (task["total_minutes"], task["hours"], task["minutes"]) == (90, 1, 30)
    assert (bug["total_minutes"], bug["hours"], bug["minutes"]) == (-90, -1, -30)
    assert general["total_minutes"] == 30
    assert (task["owner_id"], task["owner_name"], task["log_date"]) == ("u1", "Ada", "01-02-2026")
    assert general["log_date"] == "01-03-2026"  # a log's own date wins over its group's
    assert flatten_timelogs({}) == []


def test_list_timelogs_asks_each_module_over_the_whole_range(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        module = json.loads(request.url.params["module"])["type"]
        if module == "issue":
            return httpx.Response(204)
        page = int(request.url.params["page"])
        count = 200 if page == 1 and module == "task" else 1
        logs = [{"id": f"{module}{page}-{i}", "module": {"type": module, "id": "X"},
                 "hours": "01:00"} for i in range(count)]
        return reply(200, {"time_logs": [{"date": "2026-01-05", "log_details": logs}],
                           "page_info": {"has_next_page": page == 1 and module == "task"}})

    projects = ProjectsClient(projects_http(handler, clock), "42")
    logs = list(projects.list_timelogs("7"))
    assert len(logs) == 202 and {log["component"] for log in logs} == {"task", "general"}
    assert [(json.loads(r.url.params["module"])["type"], r.url.params["page"]) for r in seen] == [
        ("task", "1"), ("task", "2"), ("issue", "1"), ("general", "1")]
    params = seen[0].url.params
    assert seen[0].url.path == f"{P}/projects/7/timelogs"
    assert (params["view_type"], params["start_date"], params["end_date"]) == (
        "customdate", "2000-01-01", "2099-12-31")


@pytest.mark.parametrize("task_id", ["9", None])
def test_add_timelog_posts_json(clock: FakeClock, task_id: str | None) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        return reply(201, {"time_logs": [{"date": body["date"], "log_details": [
            {"id": "L1", **body}]}]})

    projects = ProjectsClient(projects_http(handler, clock), "42")
    log = projects.add_timelog("7", task_id=task_id, date=dt.date(2026, 1, 5), minutes=90,
                               billable=False, user_id="u1", notes="pair work")
    sent = seen[0]
    assert (sent.method, sent.url.path) == ("POST", f"{P}/projects/7/log")
    assert sent.headers["content-type"] == "application/json"
    body = json.loads(sent.content)
    module = {"id": "9", "type": "task"} if task_id else {"type": "general"}
    assert {k: v for k, v in body.items() if k != "log_name"} == {
        "module": module, "date": "2026-01-05", "bill_status": "Non Billable",
        "hours": "01:30", "notes": "pair work", "owner_zpuid": "u1"}
    assert log["id"] == "L1" and log["component"] == ("task" if task_id else "general")


def test_add_timelog_with_a_marker_is_not_duplicated(clock: FakeClock) -> None:
    logs: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            logs.append({"id": f"L{len(logs)}", **json.loads(request.content)})
            return reply(500, {"error": {"status_code": "500", "title": "INTERNAL_SERVER_ERROR"}})
        module = json.loads(request.url.params["module"])["type"]
        if module != "task" or not logs:
            return httpx.Response(204)
        return reply(200, {"time_logs": [{"date": "2026-01-05", "log_details": logs}]})

    projects = ProjectsClient(projects_http(handler, clock), "42")
    log = projects.add_timelog("7", task_id="9", date="2026-01-05", minutes=30, billable=True,
                               user_id="u1", notes="x bk:1", marker="bk:1")
    assert len(logs) == 1 and log["id"] == "L0" and log["component"] == "task"
    assert log["log_date"] == "01-05-2026"


def test_invoice_fields_and_guard_by_books_id(clock: FakeClock) -> None:
    invoices: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            invoices.append({"id": "I1", **json.loads(request.content)})
            raise httpx.ReadTimeout("slow", request=request)
        return reply(200, {"invoices": invoices})

    projects = ProjectsClient(projects_http(handler, clock), "42")
    made = projects.create_invoice("7", {
        "client_id": "c", "currency_code": "EUR", "books_invoice_id": "B9",
        "date": dt.date(2026, 3, 1),
        "line_items": [{"description": "Build", "quantity": 2, "rate": 50}]})
    assert len(invoices) == 1 and made["id"] == "I1" and made["date"] == "2026-03-01"
    assert made["line_items"] == [{"description": "Build", "quantity": 2, "rate": 50}]


def test_updates_are_idempotent_patches(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return reply(502, {"error": {"status_code": "502", "title": "BAD_GATEWAY"}})
        return reply(200, {"id": "I1", "status": "sent"})

    projects = ProjectsClient(projects_http(handler, clock), "42")
    assert projects.update_invoice("7", "I1", {"status": "sent"})["status"] == "sent"
    assert [(r.method, r.url.path) for r in seen] == [("PATCH", f"{P}/projects/7/invoices/I1")] * 2
    assert all(json.loads(r.content) == {"status": "sent"} for r in seen)


def test_single_records_and_portal_level_calls(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/v3/portals":
            return reply(200, {"portals": [{"id": "42", "role": "owner"}]})
        if path == f"{P}/projects/7":
            return reply(200, {"id": "7", "name": "Apollo", "project_type": "active",
                               "owner": {"zpuid": "u1", "name": "Ada"}})
        if path == f"{P}/projects/7/tasks/9":
            closed = request.method == "PATCH"
            assert not closed or json.loads(request.content) == {"status": {"name": "Closed"}}
            return reply(200, {"id": "9", "is_completed": closed,
                               "status": {"name": "Closed" if closed else "Open"}})
        if path == f"{P}/projects/7/clients":
            return reply(200, {"clients": [{"id": "c1", "is_primary": True}, {"id": "c2"}]})
        if path == f"{P}/projects/7/finance":
            if request.method == "POST":
                return reply(200, {"transactions": [json.loads(request.content)]})
            return reply(200, {"transactions": [{"kind": "invoice", "books_id": "B1"}]})
        if path == f"{P}/projects/7/trash":
            return reply(200, {"message": "trashed"})
        return httpx.Response(204)

    unset = ProjectsClient(projects_http(handler, clock), None)
    assert [p["id"] for p in unset.list_portals()] == ["42"]
    with pytest.raises(ConfigError):
        list(unset.list_projects())
    projects = unset.with_portal("42")
    project = projects.get_project("7")
    assert (project["name"], project["status"], project["owner_id"]) == ("Apollo", "active", "u1")
    assert projects.complete_task("7", "9")["completed"] is True
    assert projects.get_task("7", "9")["completed"] is False
    assert [c["id"] for c in projects.project_clients("7")] == ["c1", "c2"]
    assert projects.finance("7") == [{"kind": "invoice", "books_id": "B1"}]
    assert projects.link_transaction("7", {"kind": "invoice", "books_id": "B2"}) == {
        "kind": "invoice", "books_id": "B2"}
    projects.delete_project("7")
    with pytest.raises(NotFound):
        projects.get_project("8")


def test_a_bare_service_root_gets_the_v3_root(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []
    http = ServiceHttp("Projects", "https://projects.test",
                       transport=httpx.MockTransport(paged([], "users", seen)), clock=clock)
    assert list(ProjectsClient(http, "42").list_users()) == []
    assert seen[0].url.path == f"{P}/users"


def test_the_v3_error_envelope_is_parsed(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return reply(400, {"error": {
            "status_code": "400", "instance": request.url.path, "title": "URL_RULE_NOT_CONFIGURED",
            "error_type": "FIELDS_VALIDATION_ERROR", "details": [{"message": "no such API"}]}})

    with pytest.raises(ServiceError) as info:
        list(ProjectsClient(projects_http(handler, clock), "42").list_clients())
    assert info.value.status == 400 and info.value.title == "URL_RULE_NOT_CONFIGURED"
    assert str(info.value) == ("Projects GET /portal/42/clients failed (HTTP 400): "
                               "URL_RULE_NOT_CONFIGURED: no such API")


def test_negative_minutes_are_refused(clock: FakeClock) -> None:
    projects = ProjectsClient(projects_http(lambda r: reply(200, {}), clock), "42")
    with pytest.raises(ValueError):
        projects.add_timelog("7", date=dt.date(2026, 1, 5), minutes=-1, billable=True, user_id="u")
