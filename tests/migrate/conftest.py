"""A legacy state built the way users build one: seed the sandbox, replay a scenario
through the legacy integration. The home folder holds the sandbox and the secrets, so a
`bridge` subprocess pointed at it sees the same world."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bridge.clock import FakeClock
from bridge.context import Context
from bridge.modes import open_integration
from bridge.scenarios.replay import replay
from bridge.secrets import FileSecrets
from bridge.store import Store
from bridge.targets import scenario_clock
from migrate.expected import actual_records
from migrate.kinds import KINDS
from migrate.run import KILL_ENV, run_migration
from sandbox import Sandbox
from sandbox.wiring import sandbox_context
from tests.conftest import load_scenario_file


@dataclass
class LegacyWorld:
    home: Path
    store_url: str
    ctx: Context
    sandbox: Sandbox
    scenario: dict[str, Any]

    def env(self) -> dict[str, str]:
        return {"BRIDGE_HOME": str(self.home), "BRIDGE_DB": self.store_url}


@pytest.fixture
def legacy_world(store_url: str, tmp_path: Path) -> Iterator[Callable[[str], LegacyWorld]]:
    made: list[LegacyWorld] = []

    def build(name: str) -> LegacyWorld:
        scenario = load_scenario_file(name)
        home = tmp_path / f"home-{len(made)}"
        home.mkdir()
        clock = FakeClock(scenario_clock(scenario))
        sandbox = Sandbox(home / "sandbox.db", clock=clock)
        sandbox.seed(scenario)
        ctx = sandbox_context(sandbox, Store.open(store_url), clock=clock,
                              secrets=FileSecrets(home / "secrets.json"))
        replay(scenario, open_integration("legacy", ctx), ctx)
        world = LegacyWorld(home, store_url, ctx, sandbox, scenario)
        made.append(world)
        return world

    yield build
    for w in made:
        w.ctx.store.close()


def scope_state(store: Store, connection_id: int) -> dict[str, dict[str, Any]]:
    """Every record of a connection's scope, keyed, as plain values."""
    # a record is its fields then the from_run columns (the migration id), left off here
    return {k.name: {"/".join(map(str, key)): dict(zip(k.fields, rec, strict=False))
                     for key, rec in actual_records(store, k, connection_id, 1000)} for k in KINDS}


def killed_in_a_fork(world: LegacyWorld, point: int) -> int:
    """Run the migration in a forked child that SIGKILLs itself after `point` records."""
    pid = os.fork()
    if pid == 0:  # the child: its own store connection, then a real SIGKILL mid-run
        os.environ[KILL_ENV] = str(point)
        try:
            from bridge.store import Store
            from sandbox.wiring import sandbox_context

            ctx = sandbox_context(world.sandbox, Store.open(world.store_url), clock=world.ctx.clock,
                                  secrets=world.ctx.secrets)
            run_migration(ctx, batch=3, services=False)
        finally:
            os._exit(3)  # not reached when the kill point is inside the run
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
