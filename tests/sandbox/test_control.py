"""The /_sandbox control endpoints: seed, state, reset, clock, records, calls."""

from __future__ import annotations

from pathlib import Path

import httpx

from bridge.clock import FakeClock
from sandbox import Sandbox

from .conftest import START, Books, Projects
from .scenario import ORG, PORTAL, TASK_DESIGN, WEBSITE, small_scenario


def test_seed_state_and_reset_over_http(http: httpx.Client) -> None:
    assert http.post("/_sandbox/reset").status_code == 200
    state = http.get("/_sandbox/state").json()
    assert state == {"books": {}, "projects": {}}
    seeded = http.post("/_sandbox/seed", json=small_scenario())
    assert seeded.status_code == 200 and seeded.json()["loaded"]["projects"]["timelogs"] == 6
    state = http.get("/_sandbox/state").json()
    assert [o["organization_id"] for o in state["books"]["organizations"]] == [ORG]
    assert state["projects"]["tasks"][0]["id"] == TASK_DESIGN
    assert http.post("/_sandbox/seed", json={"name": "half"}).status_code == 400


def test_state_is_deterministic(sandbox: Sandbox) -> None:
    with Sandbox(clock=FakeClock(START)) as other:
        other.seed(small_scenario())
        assert other.state() == sandbox.state()


def test_clock_set_and_advance_move_the_injected_clock(http: httpx.Client,
                                                       clock: FakeClock) -> None:
    answer = http.post("/_sandbox/clock", json={"now": "2026-02-01T10:00:00Z"})
    assert answer.json()["now"] == "2026-02-01T10:00:00+00:00"
    assert clock.now().isoformat() == "2026-02-01T10:00:00+00:00"
    http.post("/_sandbox/clock", json={"advance_seconds": 86400})
    assert http.get("/_sandbox/clock").json()["now"] == "2026-02-02T10:00:00+00:00"
    assert http.post("/_sandbox/clock", json={}).status_code == 400


def test_system_clock_offsets_are_shared_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with Sandbox(path) as first, Sandbox(path) as second:
        first.set_clock(START)
        assert abs((second.now() - START).total_seconds()) < 5


def test_patch_fixes_data_upstream(http: httpx.Client, projects: Projects) -> None:
    path = f"/_sandbox/records/projects/tasks/{TASK_DESIGN}"
    before = projects("GET", f"/portal/{PORTAL}/projects/{WEBSITE}/tasks/{TASK_DESIGN}")
    patched = http.patch(path, json={"name": "Design v2", "rate": None})
    assert patched.status_code == 200 and "rate" not in patched.json()["record"]
    after = projects("GET", f"/portal/{PORTAL}/projects/{WEBSITE}/tasks/{TASK_DESIGN}")
    task = after.json()
    assert task["name"] == "Design v2" and "rate" not in task
    assert task["modified_time"] > before.json()["modified_time"]
    assert http.delete(path).status_code == 200
    assert projects("GET", f"/portal/{PORTAL}/projects/{WEBSITE}/tasks/{TASK_DESIGN}"
                    ).status_code == 404
    assert http.patch(path, json={"name": "x"}).status_code == 404


def test_patch_keeps_lookups_right(http: httpx.Client, books: Books) -> None:
    contact_id = books("GET", "/contacts").json()["contacts"][0]["contact_id"]
    http.patch(f"/_sandbox/records/books/contacts/{contact_id}", json={"contact_name": "Umbrella"})
    found = books("GET", "/contacts", contact_name="Umbrella").json()["contacts"]
    assert [c["contact_id"] for c in found] == [contact_id]
    added = http.post("/_sandbox/records/projects/clients",
                      json={"id": "610000000000000001", "portal_id": PORTAL, "name": "Hooli",
                            "currency_code": "GBP"})
    assert added.status_code == 201
    clients = Projects(http)("GET", f"/portal/{PORTAL}/clients").json()["clients"]
    assert clients[-1]["name"] == "Hooli"


def test_calls_are_counted_per_template_and_resettable(http: httpx.Client, books: Books,
                                                       projects: Projects) -> None:
    http.delete("/_sandbox/calls")
    books("GET", "/contacts/1")
    books("GET", "/contacts/2")
    books("POST", "/contacts", {"contact_name": "Counted"})
    projects("GET", f"/portal/{PORTAL}/projects/{WEBSITE}")
    report = http.get("/_sandbox/calls").json()
    rows = {(c["service"], c["method"], c["path"]): c["count"] for c in report["calls"]}
    assert rows == {
        ("books", "GET", "/books/v3/contacts/{contact_id}"): 2,
        ("books", "POST", "/books/v3/contacts"): 1,
        ("projects", "GET", "/api/v3/portal/{portal_id}/projects/{project_id}"): 1,
    }
    assert report["writes"] == {"books": 1}
    http.delete("/_sandbox/calls")
    assert http.get("/_sandbox/calls").json()["calls"] == []
