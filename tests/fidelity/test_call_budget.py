"""Call budgets (`migrate plan`, `enhanced sync --plan`): the planned number of API calls per
service matches the calls the planned run actually makes (counted by the sandbox): within 2%
for a migration, exactly for a sync, whose plan runs the sync itself."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from click.testing import CliRunner

from bridge.call_budget import CallBudget
from bridge.cli.main import cli
from bridge.clients import ProjectsClient
from bridge.scenarios.fixtures import list_scenarios
from enhanced.plan import plan_sync
from migrate.plan import plan_migration
from migrate.run import run_migration
from migrate.verify import verify_migration
from tests.conftest import load_scenario_file
from tests.enhanced.conftest import connect, owner_of
from tests.enhanced.test_faults import Killer

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


def _same(calls: dict[str, Any], sandbox: Any) -> None:
    """The sync made exactly the calls its plan counted, and exactly its Books writes."""
    made = sandbox.calls()
    writes = sum(n for what, n in calls["detail"].items()
                 if what.startswith("books:") and not what.startswith("books:GET "))
    planned = {"books": calls["books_calls"], "projects": calls["projects_calls"], "books writes": writes}
    actual = {"books": made["totals"].get("books", 0), "projects": made["totals"].get("projects", 0),
              "books writes": made["writes"].get("books", 0)}
    assert planned == actual, calls["detail"]


MEMBER = "1200000000002"  # Sam: a Books user, a member of two small-agency projects


def _member_rate_zero(scenario: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Sam has no portal rate, and Projects answers his rate on each project as the number 0:
    a rate the user-rates module sets (0 is a rate), so the plan must count it."""
    data = copy.deepcopy(scenario)
    for user in data["projects"]["users"]:
        if user["id"] == MEMBER:
            user.pop("rate", None)
    real = ProjectsClient.project_users

    def project_users(self: ProjectsClient, project_id: str) -> list[dict[str, Any]]:
        return [{**u, "rate": 0} if u["id"] == MEMBER else u for u in real(self, project_id)]

    monkeypatch.setattr(ProjectsClient, "project_users", project_users)
    return data


SYNC_CASES = [pytest.param(name, False, id=name) for name in SCENARIOS] + [
    pytest.param("small-agency", True, id="small-agency-member-rate-0")]


@pytest.mark.parametrize("name,member_rate_zero", SYNC_CASES)
def test_sync_plan_counts_the_calls_of_the_first_sync(make_world: Any, monkeypatch: pytest.MonkeyPatch,
                                                      name: str, member_rate_zero: bool) -> None:
    scenario = load_scenario_file(name)
    world = make_world(_member_rate_zero(scenario, monkeypatch) if member_rate_zero else scenario)
    integ = connect(world)
    plan = plan_sync(world.ctx)
    world.sandbox.reset_calls()
    report = integ.sync()
    _same(plan["calls"], world.sandbox)
    if member_rate_zero:  # the case is live: the run set Sam's rate of 0 on both his projects
        assert report.counts["user_rates"]["created"] >= 2
    # and of the next one, with nothing changed upstream: reads only
    again = plan_sync(world.ctx)
    world.sandbox.reset_calls()
    integ.sync()
    _same(again["calls"], world.sandbox)
    assert world.sandbox.calls()["writes"].get("books", 0) == 0


@pytest.mark.parametrize("after", [2, 9])
def test_sync_plan_counts_the_calls_of_a_sync_after_a_killed_one(make_world: Any, monkeypatch: pytest.MonkeyPatch,
                                                                  after: int) -> None:
    """A sync killed mid-way (as kill -9: its id maps lost, its runs left in progress): the
    next sync first looks for what the killed one made, in projects it may be about to
    create, and its plan counts those reads too."""
    world = make_world("small-agency")
    integ = connect(world)
    real = world.ctx.books
    world.ctx.books = Killer(real, after)
    with monkeypatch.context() as m:
        m.setattr("enhanced.sync.engine._abort", lambda ctx, st, run_ids, counts, **_: st.writer.maps.pending.clear())
        with pytest.raises(KeyboardInterrupt):
            integ.sync()
    world.ctx.books = real
    plan = plan_sync(world.ctx)
    world.sandbox.reset_calls()
    integ.sync()
    _same(plan["calls"], world.sandbox)


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
