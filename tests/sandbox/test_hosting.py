"""One world per file, one app for both hostings, and room to grow."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from bridge.clock import FakeClock
from sandbox import Sandbox

from .conftest import LOGS, START, Books, Projects, mint_token
from .scenario import ADA, ADA_EMAIL, PORTAL, WEBSITE, small_scenario


def test_two_sandboxes_on_one_file_see_one_world(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with Sandbox(path, clock=FakeClock(START)) as first, \
            Sandbox(path, clock=FakeClock(START)) as second:
        first.seed(small_scenario())
        with first.client() as a, second.client() as b:
            token = mint_token(a)
            created = Books(a, token)("POST", "/contacts", {"contact_name": "Shared Co"})
            seen = Books(b, token)("GET", f"/contacts/{created.json()['contact']['contact_id']}")
            assert seen.status_code == 200 and seen.json()["contact"]["contact_name"] == "Shared Co"
        assert first.state() == second.state()


def test_served_answers_equal_in_process_answers(sandbox: Sandbox, http: httpx.Client) -> None:
    token = mint_token(http)
    ada = {"Authorization": f"Zoho-oauthtoken {Projects(http, ADA_EMAIL).token}"}
    logs = "&".join(f"{k}={v}" for k, v in LOGS.items()) + '&module={"type":"task"}'
    paths = [("/api/v3/portals", ada),
             (f"/api/v3/portal/{PORTAL}/projects/{WEBSITE}/timelogs?{logs}", ada),
             ("/books/v3/contacts?organization_id=100000000000000001",
              {"Authorization": f"Zoho-oauthtoken {token}"})]
    with sandbox.serve() as server:
        assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0
        with httpx.Client(base_url=server.url, timeout=5) as remote:
            for path, headers in paths:
                here, there = http.get(path, headers=headers), remote.get(path, headers=headers)
                assert there.status_code == here.status_code == 200
                assert there.json() == here.json()
            empty = remote.get(f"/api/v3/portal/{PORTAL}/projects/{WEBSITE}/timelogs",
                               params={**LOGS, "module": '{"type":"issue"}'}, headers=ada)
            assert empty.status_code == 204 and empty.content == b""


def big_scenario(projects: int, tasks_per: int, logs_per_task: int) -> dict[str, object]:
    scenario = small_scenario()
    data = scenario["projects"]
    data["projects"] = [{"id": str(10**17 + p), "portal_id": PORTAL, "name": f"P{p}",
                         "owner_id": ADA} for p in range(projects)]
    data["tasks"] = [{"id": str(2 * 10**17 + p * tasks_per + t), "project_id": str(10**17 + p),
                      "name": f"T{t}"} for p in range(projects) for t in range(tasks_per)]
    data["timelogs"] = [
        {"id": str(3 * 10**17 + i), "project_id": task["project_id"], "task_id": task["id"],
         "user_id": ADA, "date": f"2025-12-{1 + j % 28:02d}", "minutes": 30}
        for i, (task, j) in enumerate((t, j) for t in data["tasks"] for j in range(logs_per_task))]
    data["bugs"], data["expenses"] = [], []
    return scenario


def test_a_big_portal_seeds_and_pages_quickly(tmp_path: Path) -> None:
    # a tenth of the 1,000 / 20,000 / 200,000 target, to keep the suite fast
    scenario = big_scenario(projects=100, tasks_per=20, logs_per_task=10)
    with Sandbox(tmp_path / "big.db", clock=FakeClock(START)) as box, box.client() as http:
        started = time.perf_counter()
        loaded = box.seed(scenario)["loaded"]["projects"]
        assert (loaded["projects"], loaded["tasks"], loaded["timelogs"]) == (100, 2000, 20000)
        projects = Projects(http)
        last = str(10**17 + 99)
        answer = projects("GET", f"/portal/{PORTAL}/projects", page=50, per_page=2)
        assert [p["id"] for p in answer.json()["projects"]] == [str(10**17 + 98), last]
        assert answer.json()["page_info"]["has_next_page"] is False
        logs = projects("GET", f"/portal/{PORTAL}/projects/{last}/timelogs", page=2,
                        per_page=100, **LOGS, module='{"type":"task"}')
        assert sum(len(d["log_details"]) for d in logs.json()["time_logs"]) == 100
        assert time.perf_counter() - started < 10
