"""M6/E11: the migrated integration leaves its migrated state (disabled, default preferences)
only through the re-enable gate; verify tells a hand edit of the store from a re-enable."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from bridge.errors import NotConnected
from bridge.modes import open_integration
from bridge.store.tables import ConnectionRow, MigrationRun, Preferences
from enhanced.integration import EnhancedIntegration
from migrate.run import find_migration, run_migration
from migrate.verify import verify_migration
from tests.migrate.conftest import LegacyWorld

REPO = Path(__file__).resolve().parents[2]
SCENARIO = "small-agency"


def _migrated(legacy_world: Callable[[str], LegacyWorld]) -> tuple[LegacyWorld, MigrationRun]:
    world = legacy_world(SCENARIO)
    run_migration(world.ctx)
    _, run = find_migration(world.ctx)
    assert run is not None and run.target_connection_id is not None
    assert verify_migration(world.ctx).ok
    return world, run


def _fields(world: LegacyWorld) -> set[tuple[str, str]]:
    report = verify_migration(world.ctx)
    assert not report.ok
    return {(d.kind, d.field) for d in report.differences}


def _edit(world: LegacyWorld, model: Any, where: Any, **values: Any) -> None:
    with world.ctx.store.session() as s:
        assert s.execute(update(model).where(where).values(**values)).rowcount == 1  # type: ignore[attr-defined]


def test_M6_a_hand_set_connected_state_fails_verify_naming_the_connection_state(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world, run = _migrated(legacy_world)
    _edit(world, ConnectionRow, ConnectionRow.id == run.target_connection_id, state="connected")
    assert open_integration("enhanced", world.ctx).status().connection.state == "connected"  # type: ignore[union-attr]
    report = verify_migration(world.ctx)
    assert [str(d) for d in report.differences] == [
        f"connection[{run.target_connection_id}].state: expected 'disabled', found 'connected'"]


@pytest.mark.parametrize(("column", "value"), [("modules", ["projects"]), ("general_timesheets", True),
                                               ("cutoff_date", dt.date(2025, 1, 1))])
def test_M6_hand_changed_preferences_fail_verify(
    legacy_world: Callable[[str], LegacyWorld], column: str, value: Any,
) -> None:
    world, run = _migrated(legacy_world)
    _edit(world, Preferences, Preferences.connection_id == run.target_connection_id, **{column: value})
    assert _fields(world) == {("preferences", column)}


def test_M6_a_real_reenable_then_disable_still_verifies(legacy_world: Callable[[str], LegacyWorld]) -> None:
    world, run = _migrated(legacy_world)
    enhanced = EnhancedIntegration(world.ctx)
    world.ctx.clock.advance(60)  # type: ignore[attr-defined]
    conn = enhanced.reenable(run_portal(world))
    assert conn.state == "connected"
    with world.ctx.store.session() as s:  # recorded with the state change, at the same moment
        recorded = s.get(MigrationRun, run.id)
        target = s.get(ConnectionRow, run.target_connection_id)
        assert recorded is not None and target is not None
        assert recorded.reenabled_at == target.changed_at == world.ctx.clock.now()
    report = verify_migration(world.ctx)
    assert report.ok, [str(d) for d in report.differences]
    enhanced.set_preferences(modules=["projects", "tasks"], general_timesheets=True)  # E3, after the gate
    assert verify_migration(world.ctx).ok
    enhanced.disable()  # E10
    report = verify_migration(world.ctx)
    assert report.ok, [str(d) for d in report.differences]


def run_portal(world: LegacyWorld) -> str:
    legacy, _ = find_migration(world.ctx)
    return legacy.portal_id


def test_M6_after_the_gate_the_portal_is_still_the_legacy_one(legacy_world: Callable[[str], LegacyWorld]) -> None:
    world, run = _migrated(legacy_world)
    open_integration("enhanced", world.ctx).reenable(run_portal(world))
    _edit(world, ConnectionRow, ConnectionRow.id == run.target_connection_id, portal_id="99999999")
    assert _fields(world) == {("connection", "portal_id")}
    _edit(world, ConnectionRow, ConnectionRow.id == run.target_connection_id, portal_id=run_portal(world),
          state="migrated")
    assert _fields(world) == {("connection", "state")}  # connected or disabled only


def test_M6_a_forged_gate_record_from_before_the_run_finished_fails(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world, run = _migrated(legacy_world)
    assert run.finished_at is not None
    _edit(world, MigrationRun, MigrationRun.id == run.id, reenabled_at=run.finished_at - dt.timedelta(seconds=1))
    _edit(world, ConnectionRow, ConnectionRow.id == run.target_connection_id, state="connected")
    assert _fields(world) == {("migration", "reenabled_at")}


def test_M6_the_gate_stays_shut_while_the_migration_is_not_done(legacy_world: Callable[[str], LegacyWorld]) -> None:
    world, run = _migrated(legacy_world)
    _edit(world, MigrationRun, MigrationRun.id == run.id, state="running")
    with pytest.raises(NotConnected, match="running"):
        open_integration("enhanced", world.ctx).reenable(run_portal(world))
    with world.ctx.store.session() as s:
        assert s.get(ConnectionRow, run.target_connection_id).state == "disabled"  # type: ignore[union-attr]
        assert s.get(MigrationRun, run.id).reenabled_at is None  # type: ignore[union-attr]


def _cli(world: LegacyWorld, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge.cli.main", *args], env={**os.environ, **world.env()},
                          cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def test_M6_through_the_cli_a_hand_edit_exits_1_and_the_gate_then_disable_exit_0(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world, run = _migrated(legacy_world)
    _edit(world, ConnectionRow, ConnectionRow.id == run.target_connection_id, state="connected")
    out = _cli(world, "migrate", "verify", "--no-services")
    assert out.returncode == 1 and f"connection[{run.target_connection_id}].state" in out.stdout, out.stdout
    _edit(world, ConnectionRow, ConnectionRow.id == run.target_connection_id, state="disabled")
    assert _cli(world, "migrate", "verify", "--no-services").returncode == 0
    for step in (("enhanced", "reenable", "--portal", run_portal(world)), ("enhanced", "disable", "--yes")):
        done = _cli(world, *step)
        assert done.returncode == 0, done.stderr
        out = _cli(world, "migrate", "verify", "--no-services")
        assert out.returncode == 0, (step, out.stdout, out.stderr)
