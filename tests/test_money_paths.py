"""Money in every path (issue 13): one billing rule for both modes (L5, E13), billed-once
across migration and rollback (L8, M5), and time invoiced upstream arriving invoiced (E3, E9).

The `invalid-time` scenario: a completed, billable task with two approved logs (7:00 at
150.00) and six that must never be billed (pending, rejected, a year ahead, 25:00, 0:00,
non-billable), a second completed task (2:00 at the project's 150.00), an open task, and a
240.00 expense of the client: 1,590.00 USD, whichever mode invoices.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bridge.domain import Side
from bridge.errors import AlreadyInvoiced, NotConnected
from bridge.modes import open_integration
from bridge.scenarios.replay import replay
from migrate.rollback import rollback_migration
from migrate.run import run_migration
from migrate.verify import verify_migration

pytestmark = pytest.mark.store

PROJECT, CUSTOMER, PORTAL = "1690000000001", "2399000000040001", "65000001"
MODEL_TASK, TRAINING_TASK = "1790000000001", "1790000000002"
NEVER_BILLED = {
    "1990000000003": "timesheet_not_approved", "1990000000004": "timesheet_not_approved",
    "1990000000005": "timesheet_future_date", "1990000000006": "timesheet_over_a_day",
    "1990000000007": "timesheet_nonpositive_duration", "1990000000008": "timesheet_not_billable",
}


def _setup(make_world: Any, mode: str, steps: int = 2) -> tuple[Any, Any]:
    world = make_world("invalid-time")
    integration = open_integration(mode, world.ctx)
    replay({**world.scenario, "operations": world.scenario["operations"][:steps]}, integration, world.ctx)
    return world, integration


def _billed_tasks_in_books(world: Any) -> list[str]:
    """Every task line of every live Books invoice (legacy lines name the Projects task;
    enhanced lines bill time entries, named by their task)."""
    out = []
    for summary in world.ctx.books.list_invoices():
        inv = world.ctx.books.get_invoice(str(summary["invoice_id"]))
        if inv.get("status") == "void":
            continue
        out += [str(li.get("name")) for li in inv.get("line_items", []) if not li.get("expense_id")]
    return out


@pytest.mark.parametrize("mode", ["legacy", "enhanced"])
@pytest.mark.parametrize("side", [Side.BOOKS, Side.PROJECTS])
def test_only_time_the_rule_allows_is_billed_in_both_modes(make_world: Any, mode: str, side: Side) -> None:
    world, integration = _setup(make_world, mode)
    inv = integration.create_invoice(PROJECT, CUSTOMER, side)
    by_task = {ln.task_id: (ln.quantity, ln.rate) for ln in inv.lines if ln.task_id}
    assert by_task == {MODEL_TASK: (Decimal("7.0000"), Decimal("150.00")),
                       TRAINING_TASK: (Decimal("2.0000"), Decimal("150.00"))}
    assert inv.total.amount == Decimal("1590.00") and inv.total.currency == "USD"
    left = {x.record_id: x.code for x in inv.left_off if x.kind == "time_log"}
    assert left == NEVER_BILLED
    assert {x.record_id: x.code for x in inv.left_off if x.kind == "task"} == {"1790000000003": "task_not_completed"}
    # what Books holds is what the toolkit said it billed
    books = world.ctx.books.get_invoice(inv.invoice_id)
    assert Decimal(str(books["total"])) == Decimal("1590.00")


def test_the_invoice_result_says_what_it_left_off_and_why(make_world: Any) -> None:
    _world, integration = _setup(make_world, "legacy")
    inv = integration.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)
    pending = next(x for x in inv.left_off if x.record_id == "1990000000003")
    assert pending.to_json() == {
        "kind": "time_log", "id": "1990000000003", "name": "Omar Haddad 01-20-2026", "code": "timesheet_not_approved",
        "reason": "approval is on for the portal and the log is Pending or Rejected: the log is Pending"}


def test_a_legacy_invoice_after_a_rollback_never_bills_what_enhanced_billed(make_world: Any) -> None:
    """migrate, re-enable, sync, invoice in enhanced, roll back, invoice in legacy: the
    enhanced invoice's tasks and expense stay billed for legacy (L8 whatever the order)."""
    world, legacy = _setup(make_world, "legacy")
    run_migration(world.ctx)
    enhanced = open_integration("enhanced", world.ctx)
    enhanced.reenable(PORTAL)
    enhanced.sync()
    billed = enhanced.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)
    assert {ln.task_id for ln in billed.lines if ln.task_id} == {MODEL_TASK, TRAINING_TASK}
    out = rollback_migration(world.ctx)
    assert sorted(c["key"] for c in out["carried_back"]) == sorted(
        [MODEL_TASK, TRAINING_TASK, *(f"expense:{ln.expense_id}" for ln in billed.lines if ln.expense_id)])
    # legacy bills what enhanced did not (the client's expense, which enhanced left to its
    # Books mirror) and never the tasks; with nothing else left it refuses, naming them
    after = legacy.create_invoice(PROJECT, CUSTOMER, Side.PROJECTS)
    assert [ln.task_id for ln in after.lines] == [None] and after.total.amount == Decimal("240.00")
    assert {x.record_id for x in after.left_off if x.code == "task_already_invoiced"} == {MODEL_TASK, TRAINING_TASK}
    with pytest.raises(AlreadyInvoiced, match=MODEL_TASK):
        legacy.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)
    assert sorted(_billed_tasks_in_books(world)) == ["Dispatcher training", "Route optimisation model"]
    # migrated again, the marks go with it: enhanced refuses the same work too
    run_migration(world.ctx)
    assert verify_migration(world.ctx).ok
    enhanced.reenable(PORTAL)
    enhanced.sync()
    with pytest.raises(AlreadyInvoiced):
        enhanced.create_invoice(PROJECT, CUSTOMER, Side.PROJECTS)


def test_a_rolled_back_enhanced_connection_cannot_claim(make_world: Any) -> None:
    """The gate is read in the claim's own transaction: a connection whose migration is being
    rolled back, and a legacy one under migration, bill nothing."""
    from sqlalchemy import select, update

    from bridge.billing.lines import claim_tasks
    from bridge.store.tables import BilledTask, ConnectionRow, MigrationRun

    world, _legacy = _setup(make_world, "legacy")
    run_migration(world.ctx)
    enhanced = open_integration("enhanced", world.ctx)
    enhanced.reenable(PORTAL)
    with world.ctx.store.session() as s:  # a rollback has begun
        run = s.execute(update(MigrationRun).values(state="rolling_back").returning(MigrationRun.target_connection_id))
        target = run.scalar_one()
    with pytest.raises(NotConnected, match="rolling_back"):
        claim_tasks(world.ctx.store, target, [MODEL_TASK], Side.BOOKS, "C-1", world.ctx.clock.now())
    with world.ctx.store.session() as s:  # and a migration under way locks out its legacy source
        source = s.execute(update(MigrationRun).values(state="running")
                           .returning(MigrationRun.source_connection_id)).scalar_one()
        s.execute(update(ConnectionRow).where(ConnectionRow.id == source).values(state="connected"))
    with pytest.raises(NotConnected, match="running"):
        claim_tasks(world.ctx.store, source, [MODEL_TASK], Side.BOOKS, "C-2", world.ctx.clock.now())
    with world.ctx.store.session() as s:  # neither refused claim left a row behind
        assert s.execute(select(BilledTask).where(BilledTask.invoice_id.in_(["C-1", "C-2"]))).first() is None


def _time_entries(world: Any) -> dict[str, str]:
    """Books time entries by their Projects log id (the `plog:` marker) -> "billable" or
    "never billed" (Books' create has no billed_status: non-billable is how time arrives
    invoiced)."""
    out = {}
    for e in world.ctx.books.list_time_entries():
        notes = str(e.get("notes") or "")
        if "[plog:" in notes:
            billable = e.get("is_billable") and e.get("billed_status") == "unbilled"
            out[notes.rsplit("[plog:", 1)[1].rstrip("]")] = "unbilled" if billable else "invoiced"
    return out


def test_time_invoiced_upstream_before_the_enhanced_connection_arrives_invoiced(make_world: Any) -> None:
    """Invoiced on the Projects side (here by the legacy integration, then disconnected),
    then a fresh enhanced connection: that time is invoiced in Books, never billable."""
    world, legacy = _setup(make_world, "legacy")
    legacy.create_invoice(PROJECT, CUSTOMER, Side.PROJECTS)
    legacy.disconnect()
    enhanced = open_integration("enhanced", world.ctx)
    replay({**world.scenario, "operations": world.scenario["operations"][:2]}, enhanced, world.ctx)
    entries = _time_entries(world)
    assert entries["1990000000001"] == entries["1990000000002"] == entries["1990000000009"] == "invoiced"
    assert "unbilled" not in {entries[k] for k in ("1990000000001", "1990000000002", "1990000000009")}
    with pytest.raises(AlreadyInvoiced):
        enhanced.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)
    assert len(list(world.ctx.books.list_invoices())) == 1
    # no re-sync write flips them back, and none is attempted (E14)
    assert enhanced.sync().counts["timesheets"].get("updated", 0) == 0


def test_time_of_tasks_legacy_billed_arrives_invoiced_after_a_migration(make_world: Any) -> None:
    world, _legacy = _setup(make_world, "legacy", steps=3)  # connect, sync, invoice from Books
    run_migration(world.ctx)
    enhanced = open_integration("enhanced", world.ctx)
    enhanced.reenable(PORTAL)
    enhanced.sync()
    entries = _time_entries(world)
    assert {entries[k] for k in ("1990000000001", "1990000000002", "1990000000009")} == {"invoiced"}
    with pytest.raises(AlreadyInvoiced):
        enhanced.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)


def test_a_migration_waits_for_a_legacy_invoice_in_flight(make_world: Any) -> None:
    """Marks are carried whole: a claim a live process still holds stops the run before the
    carry (it resumes when run again), and a dead process's claim is settled first."""
    import os
    import socket

    from sqlalchemy import delete

    from bridge.errors import InputError
    from bridge.store.tables import BilledTask

    world, _legacy = _setup(make_world, "legacy")
    at = world.ctx.clock.now()
    with world.ctx.store.session() as s:
        s.add(BilledTask(connection_id=1, task_id=MODEL_TASK, invoice_id="BR-live", side="books", state="claimed",
                         billed_at=at, holder=f"{socket.gethostname()}:{os.getpid()}"))
        s.add(BilledTask(connection_id=1, task_id=TRAINING_TASK, invoice_id="BR-dead", side="books", state="claimed",
                         billed_at=at, holder=f"{socket.gethostname()}:999999999"))
    with pytest.raises(InputError, match="BR-live"):
        run_migration(world.ctx)
    with world.ctx.store.session() as s:
        claims = {b.invoice_id for b in s.query(BilledTask).filter(BilledTask.connection_id == 1)}
        assert claims == {"BR-live"}  # the dead one was released, the live one waits
        s.execute(delete(BilledTask).where(BilledTask.invoice_id == "BR-live"))  # its process gave up
    assert run_migration(world.ctx).state == "done"
    assert verify_migration(world.ctx).ok


def test_an_enhanced_invoice_bills_at_the_rate_set_in_books(make_world: Any) -> None:
    """The public Projects API has no rate: enhanced invoices take the Books task's rate,
    else the Books project's (docs/BILLING.md), never 0 for want of one."""
    from enhanced.sync import maps

    world, enhanced = _setup(make_world, "enhanced")
    store, cid = world.ctx.store, 1
    books_pid = maps.load(store, cid, "project")[PROJECT].books_id
    books_tid = maps.load(store, cid, "task")[MODEL_TASK].books_id
    task = world.ctx.books.get_task(books_pid, books_tid)
    world.ctx.books.update_task(books_pid, books_tid, {"task_name": task["task_name"], "rate": 200})
    inv = enhanced.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)
    rates = {ln.task_id: ln.rate for ln in inv.lines if ln.task_id}
    assert rates == {MODEL_TASK: Decimal(200), TRAINING_TASK: Decimal("150.00")}


def test_a_rollback_leaves_no_synced_time_billable_in_books(make_world: Any) -> None:
    """Found by the money model: migrate, re-enable, sync, roll back, invoice in legacy left
    the enhanced sync's time entries billable in Books for the tasks legacy then billed."""
    world, legacy = _setup(make_world, "legacy")
    run_migration(world.ctx)
    enhanced = open_integration("enhanced", world.ctx)
    enhanced.reenable(PORTAL)
    enhanced.sync()
    assert "unbilled" in set(_time_entries(world).values())
    out = rollback_migration(world.ctx)
    assert out["time_entries_withdrawn"] == 4  # every valid log the sync brought (one on an open task)
    legacy.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)
    assert "unbilled" not in set(_time_entries(world).values())
    again = run_migration(world.ctx)  # and the way forward still works
    assert again.state == "done" and verify_migration(world.ctx).ok
