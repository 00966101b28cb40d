"""L1 over real HTTP on a served sandbox: the ZSC key keeps its meaning under API v3.

The caller is the OAuth token's user; the key is checked by the sandbox-only check (only its
hash travels) and a wrong key is refused with a clear error; the store keeps only the key's
fingerprint (docs/CONTRACTS.md "Projects v3: the ZSC key")."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bridge.clock import FakeClock
from bridge.domain import Credentials
from bridge.errors import PermissionRefused
from bridge.modes import open_integration
from bridge.scenarios.fixtures import load_scenario
from bridge.store import Store
from bridge.store.tables import ConnectionRow
from bridge.targets import scenario_clock
from sandbox import Sandbox
from sandbox.wiring import sandbox_context

SCENARIO = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios" / "small-agency.json"
DANA, OWNED = "1200000000001", "64000001"


def test_L1_served_right_key_connects_wrong_key_is_refused(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO)
    dana = next(u for u in scenario["projects"]["users"] if u["id"] == DANA)
    clock = FakeClock(scenario_clock(scenario))
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    sent: list[httpx.Request] = []

    class Watch(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            request.read()
            sent.append(request)
            return super().handle_request(request)

    try:
        with Sandbox(tmp_path / "sandbox.db", clock=clock) as sandbox:
            sandbox.seed(scenario)
            server = sandbox.serve()
            ctx = sandbox_context(sandbox, store, clock=clock, transport=Watch(),
                                  root=server.url)
            legacy = open_integration("legacy", ctx)
            wrong = Credentials(dana["email"], "0000000000000000deadbeefdeadbeef")
            with pytest.raises(PermissionRefused) as err:
                legacy.connect(wrong, OWNED)
            assert "ZSC key" in err.value.message and "refused" in err.value.message
            assert wrong.zsc_key not in err.value.message
            legacy.connect(Credentials(dana["email"], dana["zsc_key"]), OWNED)
            assert legacy.status().connection.portal_id == OWNED
            with store.session() as s:
                row = s.scalars(select(ConnectionRow)).one()
                assert dana["zsc_key"] not in str(row.key_fingerprint)
    finally:
        store.close()
    projects = [r for r in sent if r.url.path.startswith("/api/v3/")]
    assert projects and all(r.headers["authorization"].startswith("Zoho-oauthtoken ")
                            for r in projects)
    for key in (dana["zsc_key"], wrong.zsc_key):
        assert not any(key in str(r.headers) or key.encode() in r.content or key in str(r.url)
                       for r in sent)
