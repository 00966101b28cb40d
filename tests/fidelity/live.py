"""A served sandbox standing in for the real hosts, and a live profile pointing at it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bridge.cli.main import cli
from bridge.clock import FakeClock
from bridge.profile import Profile, save_profile
from bridge.targets import scenario_clock
from sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_EXPENSE_ACCOUNT_ID,
    SANDBOX_PAID_THROUGH_ACCOUNT_ID,
    SANDBOX_REFRESH_TOKEN,
    SANDBOX_TIME_ITEM_ID,
    Sandbox,
)
from tests.conftest import load_scenario_file


@dataclass
class Live:
    sandbox: Sandbox
    url: str
    scenario: dict[str, Any]
    tmp: Path
    profile: Profile
    env: dict[str, str] = field(default_factory=dict)

    @property
    def owner(self) -> dict[str, Any]:
        portal = self.scenario["projects"]["portals"][0]
        return next(u for u in self.scenario["projects"]["users"] if u["id"] == portal["owner_id"])

    def bridge(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(cli, ["--target", "live", "--profile", self.profile.name, *args],
                                  env={**self.env, **(env or {})})

    def mints(self) -> int:
        return sum(c["count"] for c in self.sandbox.calls()["calls"] if c["path"].endswith("/oauth/v2/token"))


def add_oauth_client(sandbox: Sandbox, client_id: str, secret: str, refresh: str, scenario: dict[str, Any]) -> None:
    """Register another OAuth client with the sandbox's accounts server (as the Books admin)."""
    user = next(u for u in scenario["books"]["users"] if u.get("is_current_user")) if any(
        u.get("is_current_user") for u in scenario["books"]["users"]) else scenario["books"]["users"][0]
    with sandbox.db.tx(write=True) as tx:
        tx.insert("accounts", "clients", client_id, {"client_id": client_id, "client_secret": secret})
        tx.insert("accounts", "refresh_tokens", refresh,
                  {"refresh_token": refresh, "client_id": client_id, "user_id": user["user_id"]})


def make_live(tmp: Path, monkeypatch: pytest.MonkeyPatch, *, name: str = "small-agency",
              secret: str = SANDBOX_CLIENT_SECRET, refresh: str = SANDBOX_REFRESH_TOKEN,
              client_id: str = SANDBOX_CLIENT_ID, zsc_key: str | None = None) -> Iterator[Live]:
    scenario = copy.deepcopy(load_scenario_file(name))
    portal = scenario["projects"]["portals"][0]
    if zsc_key is not None:
        for u in scenario["projects"]["users"]:
            if u["id"] == portal["owner_id"]:
                u["zsc_key"] = zsc_key
    sandbox = Sandbox(tmp / "sandbox.db", clock=FakeClock(scenario_clock(scenario)))
    sandbox.seed(scenario)
    if client_id != SANDBOX_CLIENT_ID:
        add_oauth_client(sandbox, client_id, secret, refresh, scenario)
    server = sandbox.serve()
    env = {"BRIDGE_CONFIG_DIR": str(tmp / "config"), "BRIDGE_HOME": str(tmp / "home"),
           "BRIDGE_DB": str(tmp / "state.db"), "BRIDGE_MODE": "enhanced"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    profile = Profile(name="live", organization_id=scenario["books"]["organization"]["organization_id"],
                      portal_id=portal["id"], client_id=client_id, client_secret=secret, refresh_token=refresh,
                      plan=scenario["books"]["organization"].get("plan", "premium"), base_url=server.url,
                      expense_account_id=SANDBOX_EXPENSE_ACCOUNT_ID,
                      paid_through_account_id=SANDBOX_PAID_THROUGH_ACCOUNT_ID,
                      time_item_id=SANDBOX_TIME_ITEM_ID)
    save_profile(profile)
    try:
        yield Live(sandbox, server.url, scenario, tmp, profile, env)
    finally:
        sandbox.close()
