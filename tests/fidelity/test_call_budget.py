"""Call budgets (`migrate plan`, `enhanced sync --plan`): the planned number of API calls per
service matches, within 2%, the calls the planned run actually makes (counted by the sandbox)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from bridge.budget import CallBudget
from bridge.cli.main import cli
from bridge.fixtures import list_scenarios
from enhanced.plan import plan_sync
from migrate.plan import plan_migration
from migrate.run import run_migration
from migrate.verify import verify_migration
from tests.enhanced.conftest import connect, owner_of

pytestmark = pytest.mark.store

SCENARIOS = [p.stem for p in list_scenarios()]


def _close(planned: int, actual: int) -> bool:
    return abs(planned - actual) <= 0.02 * actual


def _check(calls: dict[str, Any], sandbox: Any) -> dict[str, tuple[int, int]]:
    totals = sandbox.calls()["totals"]
    figures = {"books": (calls["books_calls"], totals.get("books", 0)),
               "projects": (calls["projects_calls"], totals.get("projects", 0))}
    for service, (planned, actual) in figures.items():
        assert _close(planned, actual), f"{service}: planned {planned}, made {actual}; {calls['detail']}"
    return figures


@pytest.mark.parametrize("name", SCENARIOS)
def test_migration_plan_counts_the_calls_of_run_and_verify(legacy_world: Any, name: str) -> None:
    world = legacy_world(name)
    plan = plan_migration(world.ctx, services=True)
    world.sandbox.reset_calls()
    run_migration(world.ctx, services=True)
    assert verify_migration(world.ctx).ok
    _check(plan.calls, world.sandbox)


@pytest.mark.parametrize("name", SCENARIOS)
def test_sync_plan_counts_the_calls_of_the_first_sync(make_world: Any, name: str) -> None:
    world = make_world(name)
    integ = connect(world)
    plan = plan_sync(world.ctx)
    world.sandbox.reset_calls()
    integ.sync()
    _check(plan["calls"], world.sandbox)
    # and of the next one, with nothing changed upstream: reads only
    again = plan_sync(world.ctx)
    world.sandbox.reset_calls()
    integ.sync()
    _check(again["calls"], world.sandbox)
    assert world.sandbox.calls()["writes"].get("books", 0) == 0


def test_describe_says_days_at_the_plans_cap() -> None:
    budget = CallBudget()
    budget.add("books", "create time entries", 182_400)
    assert budget.describe("premium")["summary"].startswith("182,400 Books calls: 19 day(s) at 10,000 a day")


def test_the_cli_prints_the_calls_and_how_long(legacy_world: Any) -> None:
    world = legacy_world("small-agency")
    runner = CliRunner()
    env = world.env()
    out = runner.invoke(cli, ["migrate", "plan", "--plan", "free"], env=env)
    assert out.exit_code == 0, out.output
    assert "Books calls:" in out.output and "at 1,000 a day" in out.output
    data = json.loads(runner.invoke(cli, ["--json", "migrate", "plan"], env=env).stdout)
    assert data["calls"]["plan"] == "premium" and data["calls"]["books_calls"] > 0

    # the enhanced side: a connection, then the sync plan
    user, portal = owner_of(world.scenario)
    connected = runner.invoke(cli, ["--json", "enhanced", "connect", "--email", user["email"], "--portal", portal],
                              env={**env, "BRIDGE_ZSC_KEY": user["zsc_key"]})
    assert connected.exit_code == 0, connected.output
    out = runner.invoke(cli, ["enhanced", "sync", "--plan", "--books-plan", "standard"], env=env)
    assert out.exit_code == 0, out.output
    assert "Books calls:" in out.output and "at 2,000 a day" in out.output
    data = json.loads(runner.invoke(cli, ["--json", "enhanced", "sync", "--plan"], env=env).stdout)
    assert data["calls"]["books_calls"] > 0 and data["calls"]["projects_calls"] > 0
