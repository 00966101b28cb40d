"""ProjectsClient: index/range paging, form posts, date and hour formats, flattened logs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from bridge.clients import ProjectsClient, ServiceHttp, flatten_timelogs
from bridge.clock import FakeClock
from bridge.errors import ConfigError, NotFound, ServiceError

from ._support import PROJECTS_BASE, Handler, form_of, projects_http, reply

P = "/restapi/portal/42"


def paged(records: list[dict[str, Any]], key: str, seen: list[httpx.Request]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        index, size = int(request.url.params["index"]), int(request.url.params["range"])
        chunk = records[index - 1 : index - 1 + size]
        return reply(200, {key: chunk}) if chunk else httpx.Response(204)

    return handler


@pytest.mark.parametrize(("total", "calls", "last"), [(450, 3, 200), (400, 3, 204), (0, 1, 204)])
def test_lists_page_until_a_short_page_or_204(
    clock: FakeClock, total: int, calls: int, last: int
) -> None:
    seen: list[httpx.Request] = []
    records = [{"id": str(i), "name": f"P{i}"} for i in range(total)]
    projects = ProjectsClient(projects_http(paged(records, "projects", seen), clock), "42")
    assert list(projects.list_projects(status="active")) == records
    assert [r.url.params["index"] for r in seen] == [str(1 + 200 * n) for n in range(calls)]
    assert all(r.url.params["range"] == "200" and r.url.params["status"] == "active" for r in seen)
    assert all(r.url.path == f"{P}/projects/" for r in seen)


def group(date_long: int, spelling: str, n: int, start: int) -> dict[str, Any]:
    keys = {
        "new": ("tasklogs", "buglogs", "generallogs"),
        "old": ("task_logs", "bug_logs", "general_logs"),
    }[spelling]
    return {
        "date_long": date_long,
        "total_hours": "03:00",
        keys[0]: [
            {"id": f"t{start + i}", "task": {"id": "T1", "name": "Build"}, "hours": "01:00"}
            for i in range(n)
        ],
        keys[1]: [{"id": f"b{start}", "bug": {"id": "B1", "title": "Crash"}}],
        keys[2]: [{"id": f"g{start}", "name": "Meeting", "log_date_long": 1}],
    }


def test_timelogs_are_flattened_from_both_spellings() -> None:
    body = {"timelogs": {"date": [group(100, "new", 2, 0), group(200, "old", 1, 10)]}}
    logs = flatten_timelogs(body)
    assert [(log["id"], log["component"]) for log in logs] == [
        ("t0", "task"),
        ("t1", "task"),
        ("b0", "bug"),
        ("g0", "general"),
        ("t10", "task"),
        ("b10", "bug"),
        ("g10", "general"),
    ]
    assert logs[0]["log_date_long"] == 100 and logs[4]["log_date_long"] == 200
    assert logs[3]["log_date_long"] == 1  # a log's own date wins over its group's
    # a create's answer has no date level
    assert flatten_timelogs({"timelogs": {"task_logs": [{"id": "x"}]}}) == [
        {"id": "x", "component": "task"}
    ]
    assert flatten_timelogs({}) == []


def test_list_timelogs_pages_and_passes_params(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params["index"] == "1":
            return reply(
                200, {"timelogs": {"date": [group(100, "new", 198, 0)]}}
            )  # 200 logs: full page
        if request.url.params["index"] == "201":
            return reply(200, {"timelogs": {"date": [group(200, "old", 1, 500)]}})
        return httpx.Response(204)

    projects = ProjectsClient(projects_http(handler, clock), "42")
    logs = list(
        projects.list_timelogs(
            "7",
            bill_status="Billable",
            view_type="custom_date",
            custom_date={"start_date": dt.date(2026, 1, 2)},
            date=dt.date(2026, 1, 31),
        )
    )
    assert len(logs) == 203 and {log["component"] for log in logs} == {"task", "bug", "general"}
    assert len(seen) == 2
    params = seen[0].url.params
    assert seen[0].url.path == f"{P}/projects/7/logs/"
    assert params["date"] == "01-31-2026" and params["bill_status"] == "Billable"
    assert json.loads(params["custom_date"]) == {"start_date": "2026-01-02"}


@pytest.mark.parametrize(
    ("task_id", "path"), [("9", f"{P}/projects/7/tasks/9/logs/"), (None, f"{P}/projects/7/logs/")]
)
def test_add_timelog_posts_a_form(clock: FakeClock, task_id: str | None, path: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        key = "tasklogs" if task_id else "generallogs"
        return reply(201, {"timelogs": {key: [{"id": "L1", **form_of(request)}]}})

    projects = ProjectsClient(projects_http(handler, clock), "42")
    log = projects.add_timelog(
        "7",
        task_id=task_id,
        date=dt.date(2026, 1, 5),
        minutes=90,
        billable=False,
        user_id="u1",
        notes="pair work",
    )
    sent = seen[0]
    assert (sent.method, sent.url.path) == ("POST", path)
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form_of(sent) == {
        "date": "01-05-2026",
        "bill_status": "Non Billable",
        "hours": "01:30",
        "notes": "pair work",
        "owner": "u1",
    }
    assert log["id"] == "L1" and log["component"] == ("task" if task_id else "general")


def test_add_timelog_with_a_marker_is_not_duplicated(clock: FakeClock) -> None:
    logs: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            logs.append({"id": f"L{len(logs)}", "task": {"id": "9"}, **form_of(request)})
            return reply(500, {"error": {"code": 6500, "message": "Internal error"}})
        if request.url.params["index"] != "1" or not logs:
            return httpx.Response(204)
        return reply(200, {"timelogs": {"date": [{"date_long": 1, "tasklogs": logs}]}})

    projects = ProjectsClient(projects_http(handler, clock), "42")
    log = projects.add_timelog(
        "7",
        task_id="9",
        date="01-05-2026",
        minutes=30,
        billable=True,
        user_id="u1",
        notes="x bk:1",
        marker="bk:1",
    )
    assert len(logs) == 1 and log["id"] == "L0" and log["component"] == "task"


def test_invoice_fields_and_guard_by_books_id(clock: FakeClock) -> None:
    invoices: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            invoices.append({"id": "I1", **form_of(request)})
            raise httpx.ReadTimeout("slow", request=request)
        return reply(200, {"invoices": invoices})

    projects = ProjectsClient(projects_http(handler, clock), "42")
    made = projects.create_invoice(
        "7",
        {
            "client_id": "c",
            "currency_code": "EUR",
            "books_invoice_id": "B9",
            "line_items": [{"description": "Build", "quantity": 2, "rate": 50}],
        },
    )
    assert len(invoices) == 1 and made["id"] == "I1"
    assert json.loads(made["line_items"]) == [{"description": "Build", "quantity": 2, "rate": 50}]


def test_updates_are_idempotent_posts(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return reply(502, {"error": {"code": 6500, "message": "Bad gateway"}})
        return reply(200, {"invoices": [{"id": "I1", "status": "sent"}]})

    projects = ProjectsClient(projects_http(handler, clock), "42")
    assert projects.update_invoice("7", "I1", {"status": "sent"})["status"] == "sent"
    assert [(r.method, r.url.path) for r in seen] == [("POST", f"{P}/projects/7/invoices/I1/")] * 2


def test_single_records_and_portal_level_calls(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/restapi/portals/":
            return reply(200, {"login_id": "1", "portals": [{"id": "42", "role": "owner"}]})
        if path == f"{P}/projects/7/":
            return reply(200, {"projects": [{"id": "7", "name": "Apollo"}]})
        if path == f"{P}/projects/7/tasks/9/":
            return reply(
                200,
                {"tasks": [{"id": "9", "completed": form_of(request).get("completed") == "true"}]},
            )
        if path == f"{P}/projects/7/clients/" and request.url.params["index"] == "1":
            return reply(200, {"clients": [{"id": "c1", "is_primary": True}, {"id": "c2"}]})
        if path == f"{P}/projects/7/finance/":
            if request.method == "POST":
                return reply(200, {"transaction": {"books_id": form_of(request)["books_id"]}})
            return reply(200, {"transactions": [{"kind": "invoice", "books_id": "B1"}]})
        if path == f"{P}/projects/8/":
            return httpx.Response(204)
        return httpx.Response(204)

    unset = ProjectsClient(projects_http(handler, clock), None)
    assert [p["id"] for p in unset.list_portals()] == ["42"]
    with pytest.raises(ConfigError):
        list(unset.list_projects())
    projects = unset.with_portal("42")
    assert projects.get_project("7")["name"] == "Apollo"
    assert projects.complete_task("7", "9")["completed"] is True
    assert projects.get_task("7", "9")["completed"] is False
    assert [c["id"] for c in projects.project_clients("7")] == ["c1", "c2"]
    assert projects.finance("7") == [{"kind": "invoice", "books_id": "B1"}]
    assert projects.link_transaction("7", {"kind": "invoice", "books_id": "B2"}) == {
        "books_id": "B2"
    }
    with pytest.raises(NotFound):
        projects.get_project("8")


def test_a_bare_service_root_gets_the_restapi_prefix(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []
    http = ServiceHttp(
        "Projects",
        "https://projects.test",
        transport=httpx.MockTransport(paged([], "users", seen)),
        clock=clock,
    )
    assert list(ProjectsClient(http, "42").list_users()) == []
    assert seen[0].url.path == f"{P}/users/"
    assert PROJECTS_BASE.endswith("/restapi")


def test_modified_since_is_epoch_milliseconds(clock: FakeClock) -> None:
    seen: list[httpx.Request] = []
    projects = ProjectsClient(projects_http(paged([], "projects", seen), clock), "42")
    list(projects.list_projects(last_modified_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    assert seen[0].url.params["last_modified_time"] == "1767225600000"


def test_wrong_zsc_key_names_the_service_message(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return reply(401, {"error": {"code": 6401, "message": "Invalid ZSC key"}})

    with pytest.raises(ServiceError) as info:
        list(ProjectsClient(projects_http(handler, clock), "42").list_clients())
    assert info.value.status == 401 and info.value.code == 6401
    assert (
        str(info.value)
        == "Projects GET /portal/42/clients/ failed (HTTP 401, code 6401): Invalid ZSC key"
    )


def test_negative_minutes_are_refused(clock: FakeClock) -> None:
    projects = ProjectsClient(projects_http(lambda r: reply(200, {}), clock), "42")
    with pytest.raises(ValueError):
        projects.add_timelog("7", date=dt.date(2026, 1, 5), minutes=-1, billable=True, user_id="u")
