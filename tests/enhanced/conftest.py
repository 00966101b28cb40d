"""Helpers for the enhanced-mode tests: a connected integration on a seeded world, and the
sandbox's control endpoints (calls, state, faults, record patches)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bridge.domain import Credentials
from enhanced.integration import EnhancedIntegration

WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")


class Control:
    """The sandbox's /_sandbox endpoints, in-process."""

    def __init__(self, sandbox: Any) -> None:
        self.http = httpx.Client(transport=sandbox.transport(), base_url="http://sandbox.test")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        r = self.http.request(method, f"/_sandbox{path}", json=body)
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def calls(self) -> Any:
        return self.call("GET", "/calls")

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = self.call("GET", "/state")
        return data

    def patch(self, service: str, kind: str, record_id: str, fields: dict[str, Any]) -> None:
        self.call("PATCH", f"/records/{service}/{kind}/{record_id}", fields)

    def faults(self, **spec: Any) -> None:
        self.call("POST", "/faults", spec)

    def no_faults(self) -> None:
        self.call("DELETE", "/faults")


def books_writes(calls: Any) -> int:
    """Write calls to Books in a /_sandbox/calls answer (whatever its exact nesting)."""
    return _count(calls, lambda service, method, path: service == "books" and method in WRITE_METHODS
                  or (method in WRITE_METHODS and path.startswith("/books")))


def _count(calls: Any, want: Callable[[str, str, str], bool]) -> int:
    total = 0
    if isinstance(calls, dict) and "calls" in calls:
        calls = calls["calls"]
    if isinstance(calls, list):
        for c in calls:
            if want(str(c.get("service", "")).lower(), str(c.get("method", "")).upper(), str(c.get("path", ""))):
                total += int(c.get("count", 1))
        return total
    if isinstance(calls, dict):  # service -> method -> path -> count
        for service, methods in calls.items():
            if not isinstance(methods, dict):
                continue
            for method, paths in methods.items():
                if isinstance(paths, dict):
                    for path, n in paths.items():
                        if want(str(service).lower(), str(method).upper(), str(path)):
                            total += int(n)
    return total


def owner_of(scenario: dict[str, Any], portal_id: str | None = None) -> tuple[dict[str, Any], str]:
    portal = scenario["projects"]["portals"][0] if portal_id is None else next(
        p for p in scenario["projects"]["portals"] if p["id"] == portal_id)
    user = next(u for u in scenario["projects"]["users"] if u["id"] == portal["owner_id"])
    return user, portal["id"]


def connect(world: Any, **kwargs: Any) -> EnhancedIntegration:
    integ = EnhancedIntegration(world.ctx, **kwargs)
    user, portal = owner_of(world.scenario)
    integ.connect(Credentials(user["email"], user["zsc_key"]), portal)
    return integ


@pytest.fixture
def control() -> Callable[[Any], Control]:
    return Control


def scenario_copy(load: Callable[[str], dict[str, Any]], name: str) -> dict[str, Any]:
    return copy.deepcopy(load(name))
