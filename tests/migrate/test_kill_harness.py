"""M5 under SIGKILL: `migrate run` and `migrate rollback` killed at spread points and run
again end in the state an uninterrupted one ends in, every table of the store compared
(tests/migrate/killing.py says how), on each backend. A few points here; bench/kill_harness.py
runs every step and many record counts on a larger state."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from deepdiff import DeepDiff

from migrate.rollback import rollback_migration
from migrate.run import KILL_ENV, find_migration, run_migration
from migrate.verify import verify_migration
from tests.conftest import load_scenario_file
from tests.migrate.conftest import LegacyWorld, scope_state
from tests.migrate.killing import (
    Copies,
    Figures,
    Harness,
    build_legacy,
    kill_rollback,
    kill_run,
    migrated,
)

pytestmark = pytest.mark.store
REPO = Path(__file__).resolve().parents[2]
RUN_SCENARIO = "small-agency"  # 26 legacy records, every kind, a left-out
ROLLBACK_SCENARIO = "rollback-after-enhanced-billing"  # re-enabled, synced, billed, then rolled back


@pytest.fixture
def harness(store_url: str, tmp_path: Path) -> Iterator[Callable[[str], Harness]]:
    copies = Copies(store_url)

    def make(scenario: str) -> Harness:
        start = build_legacy(store_url, tmp_path / "start", load_scenario_file(scenario))
        return Harness(start, tmp_path, copies, first_instant=start.services_clock + dt.timedelta(minutes=10))

    yield make
    copies.drop_all()


def _all_equal(figures: Figures, points: int) -> None:
    assert figures.unequal == [], (figures.line(), figures.differences)
    assert (figures.points, figures.kills, figures.resumes, figures.equal) == (points,) * 4, figures.line()


def test_M5_a_run_killed_at_records_and_steps_resumes_to_the_uninterrupted_state(
    harness: Callable[[str], Harness],
) -> None:
    """Records 1, the middle one and the last (mid-batch, before its commit); steps 1 (the
    start committed, the key not yet stored) and 4 (the finish, before its commit)."""
    h = harness(RUN_SCENARIO)
    figures = kill_run(h, h.start, batch=3, records=3, steps=[1, 4])
    _all_equal(figures, 5)
    assert figures.verified == 5


def test_M5_a_rollback_killed_at_steps_finishes_as_an_uninterrupted_one(harness: Callable[[str], Harness]) -> None:
    """Steps 1 (marked rolling back), 2 (synced time withdrawn from Books), 9 (marks carried
    back, uncommitted), 17 (the key deleted), 19 (after the last commit: the run again
    answers "already rolled back")."""
    h = harness(ROLLBACK_SCENARIO)
    start = migrated(h, h.start, load_scenario_file(ROLLBACK_SCENARIO), batch=3)
    figures = kill_rollback(h, start, steps=[1, 2, 9, 17, 19])
    _all_equal(figures, 5)
    assert figures.already == 1


def test_M5_the_real_cli_killed_mid_run_resumes(legacy_world: Callable[[str], LegacyWorld]) -> None:
    """Once through the CLI in its own process (its clock is the sandbox's, so the records
    carried are compared, not the whole dump)."""
    world = legacy_world(RUN_SCENARIO)
    store = world.ctx.store
    run_migration(world.ctx, batch=3, services=False)
    _, run = find_migration(world.ctx)
    assert run is not None and run.target_connection_id is not None
    reference = scope_state(store, run.target_connection_id)
    rollback_migration(world.ctx)
    killed = subprocess.run([sys.executable, "-m", "bridge.cli.main", "migrate", "run", "--batch", "3",
                             "--no-services"],
                            env={**os.environ, **world.env(), KILL_ENV: "7"}, cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    summary = run_migration(world.ctx, batch=3, services=False)
    assert summary.state == "done" and summary.resumed
    assert summary.target_connection is not None
    assert DeepDiff(reference, scope_state(store, summary.target_connection)) == {}
    assert verify_migration(world.ctx, services=False).ok
