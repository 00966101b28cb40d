"""No Projects request carries a ZSC key: not as a header (API v3 is OAuth only), nor
anywhere else in the request. Both modes replay a shipped scenario, in-process and over real
HTTP on a served sandbox, while a recording transport looks at every Projects request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.clock import FakeClock
from bridge.modes import MODES, open_integration
from bridge.scenarios.fixtures import load_scenario
from bridge.scenarios.replay import replay
from bridge.store import Store
from bridge.targets import scenario_clock
from sandbox import Sandbox
from sandbox.wiring import sandbox_context

SCENARIO = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios" / "small-agency.json"


@dataclass
class Watch(httpx.BaseTransport):
    inner: httpx.BaseTransport
    projects: list[httpx.Request] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v3/"):
            request.read()
            self.projects.append(request)
        return self.inner.handle_request(request)


@pytest.fixture(params=["in-process", "served"])
def hosting(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    yield request.param, tmp_path


def run_both_modes(hosting: str, tmp: Path) -> tuple[list[httpx.Request], dict[str, Any]]:
    scenario = load_scenario(SCENARIO)
    seen: list[httpx.Request] = []
    for mode in MODES:
        clock = FakeClock(scenario_clock(scenario))
        store = Store.open(f"sqlite:///{tmp / f'{mode}-state.db'}")
        with Sandbox(tmp / f"{mode}.db", clock=clock) as sandbox:
            sandbox.seed(scenario)
            if hosting == "served":
                server = sandbox.serve()
                watch = Watch(httpx.HTTPTransport())
                ctx = sandbox_context(sandbox, store, clock=clock, transport=watch,
                                      root=server.url)
            else:
                watch = Watch(sandbox.transport())
                ctx = sandbox_context(sandbox, store, clock=clock, transport=watch)
            try:
                replay(scenario, open_integration(mode, ctx), ctx)
            finally:
                store.close()
            seen += watch.projects
    return seen, scenario


def test_no_projects_request_carries_a_zsc_key(hosting: tuple[str, Path]) -> None:
    where, tmp = hosting
    seen, scenario = run_both_modes(where, tmp)
    keys = [u["zsc_key"] for u in scenario["projects"]["users"] if u.get("zsc_key")]
    assert len(seen) > 50  # both modes really talked to Projects
    for request in seen:
        auth = request.headers.get("authorization", "")
        assert auth.startswith("Zoho-oauthtoken "), f"{request.method} {request.url}: {auth[:20]}"
        for name, value in request.headers.items():
            assert "zsckey" not in value.lower(), name
            assert not any(key in value for key in keys), name
        assert not any(key in str(request.url) for key in keys)
        assert not any(key.encode() in request.content for key in keys)
    # the sandbox-only key check ran (legacy connects with a key) and sent only a hash
    assert any(r.url.path == "/api/v3/sandbox/zsckey" for r in seen)


def test_a_zsc_key_header_is_refused_in_process_and_served(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO)
    user = next(u for u in scenario["projects"]["users"] if u.get("zsc_key"))
    with Sandbox(tmp_path / "s.db", clock=FakeClock(dt.datetime(2026, 1, 5, tzinfo=dt.UTC))) as box:
        box.seed(scenario)
        header = {"Authorization": f"Zoho-zsckey {user['zsc_key']}"}
        with box.client() as here, box.serve() as server, \
                httpx.Client(base_url=server.url, timeout=5) as there:
            for http in (here, there):
                answer = http.get("/api/v3/portals", headers=header)
                assert answer.status_code == 401
                error = answer.json()["error"]
                assert error["status_code"] == "401" and error["title"] == "INVALID_OAUTHTOKEN"
                assert user["zsc_key"] not in answer.text
