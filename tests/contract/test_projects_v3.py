"""Every Projects request the toolkit sends, against PROJECTS-V3.md (the Books contract
tests' pattern): the operation table, request shapes (method, path, JSON body, never a form),
the OAuth header on every call, paging to the end over several pages, the time-log list's
mandatory parameters, and the v3 error envelope parsed into the toolkit's errors.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bridge.clients import SANDBOX_ONLY, ProjectsClient
from bridge.clients.projects_v3 import LOG_MODULES, PER_PAGE
from bridge.errors import NotFound, ServiceError

from .projects_v3 import BIG, OPERATIONS, WRONG_ON_PURPOSE, Exchange, Operation, Traffic, capture

IDS = [op.client + ":" + op.method for op in OPERATIONS]
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Traffic:
    return capture(Path(tmp_path_factory.mktemp("projects-v3")))


def test_every_client_method_is_in_the_operation_table() -> None:
    public = {name for name, value in vars(ProjectsClient).items()
              if callable(value) and not name.startswith("_") and name != "with_portal"}
    assert public == {op.client for op in OPERATIONS}


def test_sandbox_only_names_exactly_the_operations_the_sheet_lacks() -> None:
    tabled = {op.client for op in OPERATIONS if op.tag == "sandbox-only"}
    assert set(SANDBOX_ONLY) == tabled


def test_the_toolkit_sends_only_tabled_operations(traffic: Traffic) -> None:
    assert not traffic.unknown, "\n".join(x.label for x in traffic.unknown)


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_each_operation_is_sent_and_well_formed(traffic: Traffic, op: Operation) -> None:
    sent = traffic.of(op)
    assert sent, f"{op.client} was never sent"
    for x in sent:
        problems = request_problems(op, x)
        assert not problems, f"{x.label}: {problems}"


def request_problems(op: Operation, x: Exchange) -> list[str]:
    request, out = x.request, []
    auth = request.headers.get("authorization", "")
    if not auth.startswith("Zoho-oauthtoken ") or len(auth.split()) != 2:
        out.append(f"Authorization is {auth.split(' ')[0]!r}, not Zoho-oauthtoken")
    if any("zsckey" in v.lower() for v in request.headers.values()):
        out.append("a header carries a ZSC key")
    if op.method in ("GET",):
        if request.content:
            out.append("a GET with a body")
    elif request.content or op.body:  # a bodiless action (trash) sends none
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            out.append(f"body sent as {request.headers.get('content-type')!r}, not JSON")
        body = json.loads(request.content or b"{}")
        if not isinstance(body, dict):
            out.append("the body is not a JSON object")
        else:
            out += [f"body lacks {k}" for k in op.body if k not in body]
            out += [f"{k} is not yyyy-mm-dd: {v!r}" for k, v in body.items()
                    if k in ("date", "due_date") and not ISO.match(str(v))]
    params = request.url.params
    if op.paged:
        if "page" not in params or not 1 <= int(params.get("per_page", "0")) <= 200:
            out.append("a list without page and per_page (1-200)")
        if "index" in params or "range" in params:
            out.append("REST paging (index/range) on a v3 list")
    out += [f"query lacks {k}" for k in op.query if k not in params]
    if request.url.path.endswith("/"):
        out.append("a trailing slash (v3 paths have none)")
    return out


def test_the_time_log_list_carries_its_mandatory_view(traffic: Traffic) -> None:
    op = next(o for o in OPERATIONS if o.client == "list_timelogs")
    modules = set()
    for x in traffic.of(op):
        params = x.request.url.params
        assert params["view_type"] == "customdate"
        assert ISO.match(params["start_date"]) and ISO.match(params["end_date"])
        assert params["start_date"] <= params["end_date"]
        modules.add(json.loads(params["module"])["type"])
        assert x.response.status_code in (200, 204), x.label
    assert modules == set(LOG_MODULES)


def test_adding_a_log_sends_the_documented_body(traffic: Traffic) -> None:
    op = next(o for o in OPERATIONS if o.client == "add_timelog")
    bodies = [json.loads(x.request.content) for x in traffic.of(op)]
    kinds = {b["module"]["type"] for b in bodies}
    assert {"task", "general"} <= kinds
    for body in bodies:
        assert body["bill_status"] in ("Billable", "Non Billable")
        assert re.fullmatch(r"\d{2}:\d{2}", body["hours"])
        assert isinstance(body["owner_zpuid"], str)
        assert body["module"]["type"] == "general" or isinstance(body["module"]["id"], str)


def test_completing_a_task_patches_its_status(traffic: Traffic) -> None:
    op = next(o for o in OPERATIONS if o.client == "complete_task")
    for x in traffic.of(op):
        assert json.loads(x.request.content) == {"status": {"name": "Closed"}}
        assert x.body()["is_completed"] is True


@pytest.mark.parametrize("client", ["list_tasks", "list_bugs", "list_timelogs"])
def test_lists_page_to_the_end(traffic: Traffic, client: str) -> None:
    """The driven project holds BIG records: pages 1, 2, 3; the last says no more follow."""
    op = next(o for o in OPERATIONS if o.client == client)
    pages = [x for x in traffic.of(op) if x.source == "client"
             and (client != "list_timelogs" or '"task"' in x.request.url.params["module"])
             and x.response.status_code == 200 and _count(x) > 0
             and x.request.url.path.split("/")[-2] == _big_project(traffic)]
    expected = -(-BIG // PER_PAGE)
    assert [x.request.url.params["page"] for x in pages][-expected:] == [
        str(n + 1) for n in range(expected)]
    last = pages[-1].body()
    assert last["page_info"]["has_next_page"] is False
    assert 0 < _count(pages[-1]) < PER_PAGE


def _big_project(traffic: Traffic) -> str:
    counts: dict[str, int] = {}
    for x in traffic.exchanges:
        if x.source == "client" and x.request.url.path.endswith("/tasks"):
            pid = x.request.url.path.split("/")[-2]
            counts[pid] = counts.get(pid, 0) + 1
    return max(counts, key=lambda k: counts[k])


def _count(x: Exchange) -> int:
    body = x.body() or {}
    if "time_logs" in body:
        return sum(len(d["log_details"]) for d in body["time_logs"])
    return next((len(v) for v in body.values() if isinstance(v, list)), 0)


def test_every_answer_is_v3_shaped(traffic: Traffic) -> None:
    for x in traffic.exchanges:
        status = x.response.status_code
        if x.source == WRONG_ON_PURPOSE:
            assert status == 400
            continue
        if status == 204:
            assert x.response.content == b"", x.label
            continue
        body = x.body()
        if status >= 400:
            error = body["error"]
            assert set(error) == {"status_code", "instance", "title", "error_type", "details"}
            assert error["status_code"] == str(status) and error["instance"] == x.request.url.path
            continue
        op = next(o for o in OPERATIONS if o.matches(x.request.method, x.path))
        if op.paged:
            assert "page_info" in body, x.label


def test_the_error_envelope_is_parsed(traffic: Traffic) -> None:
    unknown = traffic.errors["unknown project"]
    assert isinstance(unknown, NotFound) and unknown.title == "RESOURCE_NOT_FOUND"
    assert unknown.status == 404 and "RESOURCE_NOT_FOUND" in str(unknown)
    path = traffic.errors["unknown path"]
    assert isinstance(path, ServiceError) and path.status == 400
    assert path.title == "URL_RULE_NOT_CONFIGURED"
