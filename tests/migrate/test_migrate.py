"""M1-M6 on the shipped scenarios: convert, plan, verify (and catch corruption), roll back
exactly, one migration at a time. SIGKILL at spread points: tests/migrate/test_kill_harness.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from deepdiff import DeepDiff
from sqlalchemy import select, update

from bridge.errors import InputError, LockHeld, NotConnected
from bridge.scenarios.fixtures import list_scenarios
from bridge.store.locks import NamedLock
from bridge.store.tables import BilledTask, ConnectionRow, InvoiceLineRow, TransactionRow
from migrate.plan import plan_migration
from migrate.rollback import rollback_migration
from migrate.run import KILL_ENV, LOCK_NAME, find_migration, run_migration
from migrate.verify import verify_migration
from tests.migrate.conftest import LegacyWorld, scope_state

SCENARIOS = [p.stem for p in list_scenarios()]
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", SCENARIOS)
def test_M1_M3_M4_every_shipped_scenario_migrates_and_verifies_clean(
    legacy_world: Callable[[str], LegacyWorld], name: str
) -> None:
    world = legacy_world(name)
    summary = run_migration(world.ctx, batch=3)
    assert summary.state == "done"
    report = verify_migration(world.ctx, batch=4)
    assert report.difference_count == 0, [str(d) for d in report.differences]
    assert all(i["ok"] for i in report.invariants.values()), report.invariants
    assert report.services["ok"], report.services
    assert report.ok


def test_M1_a_project_deleted_upstream_is_left_out_with_its_reason(legacy_world: Callable[[str], LegacyWorld]) -> None:
    world = legacy_world("deleted-project")
    summary = run_migration(world.ctx)
    assert summary.left_out["transactions"]["project_deleted_upstream"] >= 1
    report = verify_migration(world.ctx)
    assert report.ok
    counts = report.invariants["counts_match"]["kinds"]["transactions"]
    assert counts["legacy"] == counts["enhanced"] + counts["left_out"] > counts["enhanced"]


def test_M2_plan_writes_nothing_and_matches_the_run(legacy_world: Callable[[str], LegacyWorld]) -> None:
    world = legacy_world("deleted-project")
    before = scope_state(world.ctx.store, 1)
    calls_before = world.sandbox.state()
    plan = plan_migration(world.ctx)
    assert find_migration(world.ctx)[1] is None
    assert scope_state(world.ctx.store, 1) == before
    assert DeepDiff(calls_before, world.sandbox.state()) == {}
    assert plan.state == "migrate"
    assert plan.examples and plan.examples[0]["reason"]
    summary = run_migration(world.ctx)
    assert plan.create == summary.carried
    assert plan.left_out == summary.left_out


def _target(world: LegacyWorld) -> int:
    _, run = find_migration(world.ctx)
    assert run is not None and run.target_connection_id is not None
    return run.target_connection_id


def test_M3_verify_names_a_missing_invoice_a_changed_amount_and_a_duplicated_billed_mark(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world = legacy_world("small-agency")
    run_migration(world.ctx)
    target = _target(world)
    store = world.ctx.store
    with store.session() as s:
        invoices = s.execute(select(TransactionRow).where(TransactionRow.connection_id == target,
                                                          TransactionRow.kind == "invoice")
                             .order_by(TransactionRow.books_id)).scalars().all()
        assert len(invoices) >= 2
        gone, changed = invoices[0].books_id, invoices[1].books_id
        s.execute(update(TransactionRow).where(TransactionRow.connection_id == target,
                                               TransactionRow.books_id == changed).values(total=1234.56))
        line = s.execute(select(InvoiceLineRow).where(InvoiceLineRow.connection_id == target,
                                                      InvoiceLineRow.task_id.is_not(None))).scalars().first()
        assert line is not None
        # the same task billed again, on another invoice: a duplicated billed mark
        s.add(InvoiceLineRow(connection_id=target, invoice_id=changed, line_no=99, description="dup",
                             task_id=line.task_id, quantity=1, rate=1, amount=1))
        s.execute(TransactionRow.__table__.delete().where(TransactionRow.connection_id == target,
                                                          TransactionRow.books_id == gone))
    report = verify_migration(world.ctx)
    assert not report.ok
    found = {(d.kind, "/".join(map(str, d.key)), d.change, d.field) for d in report.differences}
    assert ("transactions", f"invoice/{gone}", "missing", "") in found
    assert ("transactions", f"invoice/{changed}", "changed", "total") in found
    assert ("invoice_lines", f"{changed}/99", "extra", "") in found
    amounts = [d for d in report.differences if d.field == "total"]
    assert str(amounts[0].actual) == "1234.56"
    assert not report.invariants["no_task_billed_twice"]["ok"]
    assert line.task_id in report.invariants["no_task_billed_twice"]["tasks"]
    assert not report.invariants["every_invoice_exactly_once"]["ok"]
    assert not report.invariants["totals_unchanged"]["ok"]


def test_M3_a_billed_mark_added_to_the_enhanced_state_is_named(legacy_world: Callable[[str], LegacyWorld]) -> None:
    world = legacy_world("small-agency")
    run_migration(world.ctx)
    target = _target(world)
    with world.ctx.store.session() as s:
        mark = s.execute(select(BilledTask).where(BilledTask.connection_id == target)).scalars().first()
        assert mark is not None
        s.add(BilledTask(connection_id=target, task_id="999999999", invoice_id=mark.invoice_id,
                         side="books", state="billed", billed_at=mark.billed_at))
    report = verify_migration(world.ctx)
    assert [str(d) for d in report.differences] == ["billed_tasks[999999999]: extra"]


def _run_cli(world: LegacyWorld, *args: str, kill_after: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **world.env()}
    if kill_after:
        env[KILL_ENV] = str(kill_after)
    return subprocess.run([sys.executable, "-m", "bridge.cli.main", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


def test_M5_rollback_restores_the_legacy_state_exactly(legacy_world: Callable[[str], LegacyWorld]) -> None:
    world = legacy_world("deleted-project")
    store = world.ctx.store
    before = scope_state(store, 1)
    with store.session() as s:
        legacy_state = s.get(ConnectionRow, 1).state  # type: ignore[union-attr]
    run_migration(world.ctx)
    result = rollback_migration(world.ctx)
    assert result["legacy_state"] == legacy_state
    assert DeepDiff(before, scope_state(store, 1)) == {}
    with store.session() as s:
        assert [c.mode for c in s.execute(select(ConnectionRow)).scalars()] == ["legacy"]
        assert s.get(ConnectionRow, 1).state == legacy_state  # type: ignore[union-attr]
    assert rollback_migration(world.ctx)["already_rolled_back"]  # run again: nothing to do (M5)
    assert DeepDiff(before, scope_state(store, 1)) == {}
    assert run_migration(world.ctx).state == "done"  # a rolled-back legacy state migrates again


def test_M5_running_twice_is_harmless(legacy_world: Callable[[str], LegacyWorld]) -> None:
    world = legacy_world("small-agency")
    first = run_migration(world.ctx)
    state = scope_state(world.ctx.store, _target(world))
    again = run_migration(world.ctx)
    assert again.already_done and again.migration_id == first.migration_id
    assert scope_state(world.ctx.store, _target(world)) == state


def test_M5_a_second_migration_is_refused_in_process_and_from_another_process(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world = legacy_world("small-agency")
    with NamedLock(world.ctx.store, LOCK_NAME):
        with pytest.raises(LockHeld, match=f"pid {os.getpid()}"):
            run_migration(world.ctx)
        other = _run_cli(world, "migrate", "run")
        assert other.returncode == 1
        assert f"held by pid {os.getpid()}" in other.stderr
    assert run_migration(world.ctx).state == "done"


def test_M6_the_migrated_integration_reenables_only_with_the_legacy_portal(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    from bridge.errors import PortalMismatch
    from bridge.modes import open_integration

    world = legacy_world("small-agency")
    summary = run_migration(world.ctx)
    enhanced = open_integration("enhanced", world.ctx)
    assert enhanced.status().connection is not None
    other_portals = [p["id"] for p in world.scenario["projects"]["portals"] if p["id"] != summary.portal_id]
    assert other_portals
    with pytest.raises(PortalMismatch):
        enhanced.reenable(other_portals[0])
    conn = enhanced.reenable(summary.portal_id)
    assert conn.state == "connected" and conn.portal_id == summary.portal_id
    with pytest.raises(NotConnected, match="migrated"):
        open_integration("legacy", world.ctx).create_invoice(world.scenario["projects"]["projects"][0]["id"])


def test_M5_a_half_done_rollback_must_be_finished_before_migrating_again(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    from bridge.store.tables import MigrationRun

    world = legacy_world("small-agency")
    first = run_migration(world.ctx)
    with world.ctx.store.session() as s:  # as a rollback killed after its first step leaves it
        s.execute(update(MigrationRun).where(MigrationRun.id == first.migration_id).values(state="rolling_back"))
    with pytest.raises(InputError, match="half rolled back"):
        run_migration(world.ctx)
    rollback_migration(world.ctx)
    assert run_migration(world.ctx).state == "done"
