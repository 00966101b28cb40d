"""Injected faults: deterministic for a seed; 429 writes nothing; after_write commits first."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bridge.clock import FakeClock
from sandbox import Sandbox

from .conftest import START, Books, Projects, mint_token
from .scenario import GLOBEX, small_scenario


def statuses(tmp_path: Path, name: str, seed: int) -> list[int]:
    with Sandbox(tmp_path / name, clock=FakeClock(START)) as box, box.client() as http:
        box.seed(small_scenario())
        box.set_faults(rate=0.5, kinds=["429", "500"], seed=seed)
        projects = Projects(http)
        return [projects("GET", "/portals").status_code for _ in range(30)]


def test_faults_are_deterministic_for_a_seed(tmp_path: Path) -> None:
    first = statuses(tmp_path, "a.db", seed=3)
    assert first == statuses(tmp_path, "b.db", seed=3)
    assert {200, 429, 500} <= set(first)
    assert first != statuses(tmp_path, "c.db", seed=4)


def test_faults_set_over_http_match_the_python_call(http: httpx.Client, sandbox: Sandbox) -> None:
    body = {"rate": 0.5, "kinds": ["500"], "seed": 11}
    assert http.post("/_sandbox/faults", json=body).status_code == 200
    projects = Projects(http)
    over_http = [projects("GET", "/portals").status_code for _ in range(12)]
    sandbox.set_faults(**body)
    assert [projects("GET", "/portals").status_code for _ in range(12)] == over_http
    assert http.delete("/_sandbox/faults").status_code == 200
    assert {projects("GET", "/portals").status_code for _ in range(5)} == {200}
    assert http.post("/_sandbox/faults", json={"rate": 2}).status_code == 400


def test_fault_envelopes(sandbox: Sandbox, books: Books, projects: Projects) -> None:
    sandbox.set_faults(rate=1.0, kinds=["500"])
    assert books("GET", "/contacts").json() == {"code": 1000, "message": "Internal error"}
    assert projects("GET", "/portals").json()["error"]["status_code"] == "500"
    sandbox.set_faults(rate=1.0, kinds=["429"])
    answer = books("GET", "/contacts")
    assert answer.status_code == 429 and answer.json()["code"] == 44


def test_a_refused_write_writes_nothing_and_after_write_commits(sandbox: Sandbox,
                                                                books: Books) -> None:
    payload = {"customer_id": GLOBEX, "reference_number": "IDEMP-1",
               "line_items": [{"name": "Fee", "rate": 10}]}
    sandbox.set_faults(rate=1.0, kinds=["500"], methods=["POST"])
    assert books("POST", "/invoices", payload).status_code == 500
    sandbox.clear_faults()
    assert books("GET", "/invoices", reference_number="IDEMP-1").json()["invoices"] == []
    sandbox.set_faults(rate=1.0, kinds=["500"], methods=["POST"], after_write=True)
    assert books("POST", "/invoices", payload).status_code == 500
    sandbox.clear_faults()
    found = books("GET", "/invoices", reference_number="IDEMP-1").json()["invoices"]
    assert len(found) == 1  # the guard's lookup finds it, so a retry makes no second one


def test_timeouts_reach_the_client_as_timeouts(sandbox: Sandbox, books: Books) -> None:
    sandbox.set_faults(rate=1.0, kinds=["timeout"], methods=["POST"], after_write=True)
    with pytest.raises(httpx.ReadTimeout):
        books("POST", "/contacts", {"contact_name": "Timed Out Co"})
    sandbox.clear_faults()
    assert len(books("GET", "/contacts", contact_name="Timed Out Co").json()["contacts"]) == 1


def test_served_timeouts_hold_the_connection(sandbox: Sandbox, http: httpx.Client) -> None:
    token = mint_token(http)
    sandbox.set_faults(rate=1.0, kinds=["timeout"], delay_ms=2000)
    with sandbox.serve() as server, httpx.Client(base_url=server.url, timeout=0.2) as remote, \
            pytest.raises(httpx.ReadTimeout):
        remote.get("/books/v3/users/me", params={"organization_id": "1"},
                   headers={"Authorization": f"Zoho-oauthtoken {token}"})


def test_delay_waits_then_answers(sandbox: Sandbox, projects: Projects) -> None:
    slept: list[float] = []
    sandbox.app.sleep = slept.append  # no real waiting in this test
    sandbox.set_faults(rate=1.0, kinds=["delay"], delay_ms=250)
    assert projects("GET", "/portals").status_code == 200
    assert slept == [0.25]
