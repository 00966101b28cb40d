"""Seed a sandbox with a scenario and replay it through an integration: the one path that
`bpbridge scenario run`, `bpbridge migrate demo`, `bpbridge compare` and the golden tests share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from bridge.clients import ProjectsClient
from bridge.context import Context
from bridge.domain import Credentials
from bridge.errors import BridgeError, InputError
from bridge.interface import Integration
from bridge.scenarios.driver import ScenarioResult, Step, run_scenario
from bridge.scenarios.fixtures import replay_fault


class Seedable(Protocol):
    """The part of `sandbox.Sandbox` that takes a scenario's data."""

    def seed(self, scenario: dict[str, Any]) -> dict[str, Any]: ...


def seed_sandbox(sandbox: Seedable, scenario: Mapping[str, Any]) -> dict[str, Any]:
    """Load a scenario's data into the sandbox. Data the sandbox cannot store (a fixture that
    never went through the checker) ends in a `FixtureError` naming the scenario and what the
    checker refuses in it, not in the sandbox's own `UnicodeEncodeError` or `ValueError`."""
    try:
        return sandbox.seed(dict(scenario))
    except BridgeError:
        raise
    except Exception as exc:  # whatever the sandbox chokes on, name the fixture
        raise replay_fault(scenario, "$", exc, "seeding the sandbox") from exc


def acting_user(scenario: Mapping[str, Any]) -> tuple[Credentials, str]:
    """The Projects user and portal of the scenario's first `connect`: upstream changes
    (completing a task, logging time) are made as that user."""
    for op in scenario["operations"]:
        if op["op"] == "connect" and "expect_error" not in op:
            user = next(u for u in scenario["projects"]["users"] if u["id"] == op["user_id"])
            if "zsc_key" not in user:
                raise InputError(f"{scenario['name']}: user {user['id']} connects but has no zsc_key")
            return Credentials(email=user["email"], zsc_key=user["zsc_key"]), op["portal_id"]
    raise InputError(f"{scenario['name']}: no connect operation to act as")


def upstream_client(ctx: Context, scenario: Mapping[str, Any]) -> ProjectsClient:
    credentials, portal = acting_user(scenario)
    return ctx.projects_for(credentials, portal)


def replay(
    scenario: Mapping[str, Any], integration: Integration, ctx: Context,
    on_step: Callable[[Step], None] | None = None,
) -> ScenarioResult:
    return run_scenario(scenario, integration, upstream_client(ctx, scenario), on_step=on_step)
