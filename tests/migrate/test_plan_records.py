"""M2 as a plan you can sign: `migrate plan` lists every record (invoices, expenses, billed
tasks, left-outs), saves the full plan with a checksum of the legacy state it read, and
`migrate run --plan` runs only that state: refused, naming what changed, once it moved on;
still accepted when resuming a killed run or after a rollback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bridge.errors import InputError
from bridge.store.tables import (
    BilledTask,
    ConnectionRow,
    MigrationLeftOut,
    MigrationRun,
    TransactionRow,
)
from migrate import upstream
from migrate.checksum import PlanOutdated
from migrate.plan import plan_migration
from migrate.plan_file import PlanWriter, read_plan_head
from migrate.rollback import rollback_migration
from migrate.run import find_migration, run_migration
from tests.migrate.conftest import LegacyWorld, killed_in_a_fork

REPO = Path(__file__).resolve().parents[2]


def _bridge(world: LegacyWorld, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **world.env(), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "bridge.cli.main", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


def _save(world: LegacyWorld, path: Path, **kw: Any) -> Any:
    with PlanWriter(path) as writer:
        plan = plan_migration(world.ctx, sink=writer, **kw)
        writer.finish(plan)
    return plan


def _enhanced(world: LegacyWorld, target: int) -> dict[str, Any]:
    """What the run made, in the plan's record shapes, to compare with the plan."""
    with world.ctx.store.session() as s:
        txns = s.execute(select(TransactionRow).where(TransactionRow.connection_id == target)
                         .order_by(TransactionRow.kind, TransactionRow.books_id)).scalars().all()
        marks = s.execute(select(BilledTask).where(BilledTask.connection_id == target)
                          .order_by(BilledTask.task_id)).scalars().all()
    money = lambda t: {"amount": str(t.total), "currency": t.currency}
    return {
        "invoices": [{"invoice_id": t.books_id, "number": t.number, "customer_id": t.customer_id,
                      "project_id": t.project_id, "status": t.status, "origin": t.origin, "total": money(t)}
                     for t in txns if t.kind == "invoice"],
        "expenses": [{"expense_id": t.books_id, "project_id": t.project_id, "customer_id": t.customer_id,
                      "status": t.status, "total": money(t)} for t in txns if t.kind == "expense"],
        "billed_tasks": [{"task_id": m.task_id, "invoice_id": m.invoice_id, "side": m.side, "state": m.state}
                         for m in marks],
    }


def _a_draft_loses_its_customer(world: LegacyWorld) -> None:
    """A legacy draft invoice without a customer: left out, and its lines with it."""
    with world.ctx.store.session() as s:
        s.execute(update(TransactionRow).where(TransactionRow.connection_id == 1, TransactionRow.kind == "invoice",
                                               TransactionRow.origin == "books")
                  .values(customer_id=None, status="draft"))


@pytest.mark.parametrize("name", ["deleted-project", "small-agency", "multi-currency"])
def test_M2_the_plan_lists_exactly_the_records_the_run_carries_and_leaves_out(
    legacy_world: Callable[[str], LegacyWorld], name: str, tmp_path: Path,
) -> None:
    world = legacy_world(name)
    if name == "small-agency":
        _a_draft_loses_its_customer(world)
    plan = _save(world, tmp_path / "plan.json", limit=None)
    saved = json.loads((tmp_path / "plan.json").read_text())
    summary = run_migration(world.ctx)
    _, run = find_migration(world.ctx)
    assert run is not None and run.target_connection_id is not None
    made = _enhanced(world, run.target_connection_id)
    for section in ("invoices", "expenses", "billed_tasks"):
        assert plan.sections[section].rows == made[section], section
        assert saved["records"][section] == {"count": len(made[section]), "rows": made[section]}, section
    assert made["invoices"]
    with world.ctx.store.session() as s:
        left = s.execute(select(MigrationLeftOut.kind, MigrationLeftOut.key, MigrationLeftOut.reason_code,
                                MigrationLeftOut.reason).where(MigrationLeftOut.migration_id == run.id)).all()
    expected_left = sorted([k, key, c, r] for k, key, c, r in left)
    assert sorted([r["kind"], r["key"], r["reason_code"], r["reason"]] for r in saved["records"]["left_out"]["rows"]) \
        == expected_left
    assert plan.left_out == summary.left_out and plan.create == summary.carried
    codes = {code for _, _, code, _ in expected_left}
    assert codes == {"deleted-project": {"project_deleted_upstream", "invoice_left_out"}, "multi-currency": set(),
                     "small-agency": {"draft_without_customer", "invoice_left_out"}}[name]


def test_M2_multi_currency_money_keeps_its_currency_and_exact_amount(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world = legacy_world("multi-currency")
    with world.ctx.store.session() as s:
        rows = s.execute(select(TransactionRow).where(TransactionRow.connection_id == 1)).scalars().all()
    assert len({r.currency for r in rows}) > 1
    plan = plan_migration(world.ctx, limit=None)
    listed = {r.get("invoice_id") or r["expense_id"]: r["total"]
              for sec in ("invoices", "expenses") for r in plan.sections[sec].rows}
    assert listed == {r.books_id: {"amount": f"{r.total:.2f}", "currency": r.currency} for r in rows
                      if r.kind in ("invoice", "expense")}


def test_M2_limit_keeps_n_rows_per_list_but_counts_and_saves_them_all(
    legacy_world: Callable[[str], LegacyWorld], tmp_path: Path,
) -> None:
    world = legacy_world("small-agency")
    full = plan_migration(world.ctx, limit=None)
    assert full.sections["expenses"].count >= 3 and full.sections["billed_tasks"].count >= 3
    short = _save(world, tmp_path / "plan.json", limit=1)
    saved = json.loads((tmp_path / "plan.json").read_text())
    for name, section in full.sections.items():
        assert short.sections[name].count == section.count
        assert short.sections[name].rows == section.rows[:1]
        assert saved["records"][name]["rows"] == section.rows  # the file is never cut short
    assert short.checksum == full.checksum

    out = _bridge(world, "migrate", "plan", "--limit", "2")
    assert out.returncode == 0, out.stderr
    expenses = full.sections["expenses"]
    assert f"Expenses carried over: {expenses.count}" in out.stdout
    assert f"... and {expenses.count - 2} more" in out.stdout
    assert expenses.rows[0]["expense_id"] in out.stdout and expenses.rows[2]["expense_id"] not in out.stdout
    assert expenses.rows[0]["total"]["amount"] in out.stdout

    as_json = json.loads(_bridge(world, "--json", "migrate", "plan", "--limit", "1").stdout)
    assert as_json["records"]["expenses"] == {"count": expenses.count, "rows": expenses.rows[:1]}
    assert set(as_json["records"]) == {"invoices", "expenses", "other_transactions", "billed_tasks", "left_out"}


def test_M2_the_plan_file_holds_no_secret(legacy_world: Callable[[str], LegacyWorld], tmp_path: Path) -> None:
    world = legacy_world("small-agency")
    out = _bridge(world, "migrate", "plan", "--out", str(tmp_path / "plan.json"))
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "plan.json").read_text()
    keys = [u["zsc_key"] for u in world.scenario["projects"]["users"] if u.get("zsc_key")]
    assert keys and not any(k in text for k in keys)
    assert not any(v and v in text for v in world.ctx.secret_values())
    assert f"bridge migrate run --plan {tmp_path / 'plan.json'}" in out.stdout


def _delete_a_project(world: LegacyWorld) -> None:
    """Delete in Projects a project the legacy state has transactions on."""
    legacy, _ = find_migration(world.ctx)
    with world.ctx.store.session() as s:
        linked = set(s.execute(select(TransactionRow.project_id).where(TransactionRow.connection_id == 1)).scalars())
    alive = sorted(linked & set(upstream.project_ids(world.ctx, legacy)))
    world.ctx.projects_of(legacy).delete_project(alive[0])


def _changes() -> dict[str, Callable[[LegacyWorld], None]]:
    def amount(world: LegacyWorld) -> None:
        with world.ctx.store.session() as s:
            s.execute(update(TransactionRow).where(TransactionRow.connection_id == 1, TransactionRow.kind == "invoice")
                      .values(total=TransactionRow.total + 1))

    def billed_mark(world: LegacyWorld) -> None:
        with world.ctx.store.session() as s:
            mark = s.execute(select(BilledTask).where(BilledTask.connection_id == 1)).scalars().first()
            assert mark is not None
            s.add(BilledTask(connection_id=1, task_id="1799999999999", invoice_id=mark.invoice_id, side="books",
                             state="billed", billed_at=mark.billed_at))

    def project_deleted(world: LegacyWorld) -> None:
        _delete_a_project(world)

    def disabled(world: LegacyWorld) -> None:
        from bridge.modes import open_integration

        open_integration("legacy", world.ctx).disable()

    return {"transactions": amount, "billed_tasks": billed_mark, "upstream_projects": project_deleted,
            "legacy_connection": disabled}


@pytest.mark.parametrize("part", list(_changes()))
def test_M2_run_with_a_plan_refuses_a_changed_legacy_state_naming_what_changed_and_writes_nothing(
    legacy_world: Callable[[str], LegacyWorld], tmp_path: Path, part: str,
) -> None:
    world = legacy_world("small-agency")
    path = tmp_path / "plan.json"
    _save(world, path)
    _changes()[part](world)
    _, expected = read_plan_head(path)
    with pytest.raises(PlanOutdated) as refused:
        run_migration(world.ctx, expected=expected)
    assert refused.value.changed == [part]
    assert part in refused.value.message and "nothing was migrated" in refused.value.message
    assert find_migration(world.ctx)[1] is None
    with world.ctx.store.session() as s:
        assert [c.mode for c in s.execute(select(ConnectionRow)).scalars()] == ["legacy"]

    cli = _bridge(world, "--json", "migrate", "run", "--plan", str(path))
    assert cli.returncode == 2, cli.stderr
    error = json.loads(cli.stdout)["error"]
    assert error["type"] == "PlanOutdated" and error["changed"] == [part]
    assert f"checksum differs for {part}" in cli.stderr

    fresh = tmp_path / "fresh.json"  # a new plan of the changed state runs
    assert _bridge(world, "migrate", "plan", "--out", str(fresh)).returncode == 0
    if part == "legacy_connection":
        return  # a disabled legacy integration migrates too, but its plan says what it read: done
    ran = _bridge(world, "migrate", "run", "--plan", str(fresh))
    assert ran.returncode == 0, ran.stderr


def test_M5_a_run_killed_then_resumed_with_its_plan_finishes_and_the_plan_still_matches_after(
    legacy_world: Callable[[str], LegacyWorld], tmp_path: Path,
) -> None:
    world = legacy_world("deleted-project")
    path = tmp_path / "plan.json"
    _save(world, path)
    _, expected = read_plan_head(path)
    assert killed_in_a_fork(world, 7) == -9
    _, run = find_migration(world.ctx)
    assert run is not None and run.state == "running"
    # the project list a resume uses is the run's, even if Projects changed meanwhile
    _delete_a_project(world)
    summary = run_migration(world.ctx, batch=3, services=False, expected=expected)
    assert summary.state == "done" and summary.resumed
    with world.ctx.store.session() as s:
        assert s.get(ConnectionRow, 1).state == "migrated"  # type: ignore[union-attr]
    again = run_migration(world.ctx, expected=expected)  # the migrated state is still the plan's
    assert again.already_done and again.migration_id == summary.migration_id


def test_M5_after_a_rollback_the_same_plan_runs_again(legacy_world: Callable[[str], LegacyWorld],
                                                      tmp_path: Path) -> None:
    world = legacy_world("small-agency")
    path = tmp_path / "plan.json"
    _save(world, path)
    _, expected = read_plan_head(path)
    first = run_migration(world.ctx, expected=expected)
    rollback_migration(world.ctx)
    second = run_migration(world.ctx, expected=expected)
    assert second.state == "done" and second.migration_id != first.migration_id
    with world.ctx.store.session() as s:
        runs = s.execute(select(MigrationRun.state).order_by(MigrationRun.started_at)).scalars().all()
    assert sorted(runs) == ["done", "rolled_back"]


def test_M2_a_plan_file_is_read_only_as_far_as_its_checksum_and_an_edited_one_is_refused(
    legacy_world: Callable[[str], LegacyWorld], tmp_path: Path,
) -> None:
    world = legacy_world("small-agency")
    path = tmp_path / "plan.json"
    plan = _save(world, path)
    text = path.read_text()
    head = text[:text.index('"state"')]
    cut = tmp_path / "cut.json"
    cut.write_text(head + "this is never parsed")  # a reader that parsed it all would fail
    portal, checksum = read_plan_head(cut)
    assert portal == plan.portal_id and checksum == plan.checksum
    reformatted = tmp_path / "pretty.json"  # a plan pretty-printed by another tool still reads
    reformatted.write_text(json.dumps(json.loads(text), indent=4, sort_keys=True))
    assert read_plan_head(reformatted)[1] == plan.checksum

    digest = plan.checksum.parts["transactions"]["digest"]
    edited = tmp_path / "edited.json"
    edited.write_text(text.replace(digest, "0" * len(digest)))
    with pytest.raises(InputError, match="checksum.total does not match"):
        read_plan_head(edited)
    for bad, message in ((b"\xff\xfe", "not UTF-8"), (b'{"format": "bridge-migration-plan", "vers', "cut short"),
                         (b"[1, 2]", "not a plan file")):
        (tmp_path / "bad.json").write_bytes(bad)
        with pytest.raises(InputError, match=message):
            read_plan_head(tmp_path / "bad.json")


def test_M2_a_row_hashes_the_same_whatever_time_zone_or_numeric_type_the_driver_returns() -> None:
    import datetime as dt
    from decimal import Decimal

    from migrate.checksum import PartDigest

    utc, paris = PartDigest(canon_at=(1, 2)), PartDigest(canon_at=(1, 2))
    when = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
    utc.add(("inv-1", when, "400.00"))
    paris.add(("inv-1", when.astimezone(dt.timezone(dt.timedelta(hours=1))), Decimal("400.00")))
    assert utc.to_json() == paris.to_json()
    moved = PartDigest(canon_at=(1, 2))
    moved.add(("inv-1", when + dt.timedelta(seconds=1), "400.00"))
    assert moved.to_json() != utc.to_json()
