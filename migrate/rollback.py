"""M5: return to the legacy state. The legacy scope was never written by the migration
(only its connection's state), so rolling back is deleting the enhanced scope the run made
and restoring that state, except for one thing: what the enhanced integration billed since
the migration is carried back as billed into the legacy scope (L8, docs/BILLING.md), so no
task, time or expense it billed can be billed again. Each table is one transaction; an
interrupted rollback is finished by running it again, and running it after it finished
answers "already rolled back" and changes nothing (as `migrate run` answers "already
migrated")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bridge.billing.claims import require_no_claims_in_flight
from bridge.context import Context
from bridge.errors import InputError, NotFound
from bridge.progress import Progress, no_progress
from bridge.secrets import connection_key_name
from bridge.store.locks import NamedLock
from bridge.store.repo import set_state
from bridge.store.tables import (
    BilledTask,
    ConnectionRow,
    IdMap,
    InvoiceLineRow,
    MigrationRun,
    Preferences,
    SyncError,
    SyncRun,
    TransactionRow,
)
from migrate.faults import Steps
from migrate.run import LOCK_NAME, find_migration

#: everything scoped by a connection, children before parents
SCOPED = (SyncError, SyncRun, InvoiceLineRow, BilledTask, TransactionRow, IdMap, Preferences)
#: progress tasks: the projects whose synced Books time was looked at, the tables emptied
WITHDRAW, TABLES = "withdraw time", "delete tables"


def preview_rollback(ctx: Context) -> dict[str, Any] | None:
    """What `rollback_migration` would do now, read without writing (for the CLI's question):
    None when it would change nothing, as after a finished rollback (the rollback itself then
    says so, without asking)."""
    legacy, run = find_migration(ctx)
    if run is None or run.state == "rolled_back":
        return None
    target = run.target_connection_id
    marks = entries = 0
    if target is not None:
        with ctx.store.session() as s:
            marks = len(s.execute(select(BilledTask.task_id).where(
                BilledTask.connection_id == target, BilledTask.migration_id.is_(None),
                BilledTask.state == "billed")).all())
            entries = len(s.execute(select(IdMap.books_id).where(
                IdMap.connection_id == target, IdMap.kind == "time_entry", IdMap.migration_id.is_(None))).all())
    return {"migration_id": run.id, "portal_id": legacy.portal_id, "state": run.state,
            "legacy_state": run.source_state, "enhanced_scope": target is not None,
            "billed_marks_carried_back": marks, "synced_time_entries": entries}


def rollback_migration(ctx: Context, *, progress: Progress | None = None) -> dict[str, Any]:
    """`progress` hears of the Books time entries withdrawn (per project) and of the
    enhanced scope's tables deleted."""
    ctx.require("migrate: rollback")
    progress = progress or no_progress
    steps = Steps()
    with NamedLock(ctx.store, LOCK_NAME, ctx.clock):
        legacy, run = find_migration(ctx)
        if run is None:
            raise InputError("there is no migration to roll back")
        if run.state == "rolled_back":
            # killed after its last commit, or simply run twice: the same end, nothing to do
            return {"migration_id": run.id, "state": "rolled_back", "already_rolled_back": True,
                    "rolled_back_at": run.finished_at, "legacy_state": legacy.state,
                    "deleted": {}, "carried_back": [], "time_entries_withdrawn": 0}
        target = run.target_connection_id
        deleted: dict[str, int] = {}
        carried: list[dict[str, str]] = []
        withdrawn = 0
        with ctx.store.session() as s:
            if target is not None:
                # locked as a claim locks it: an enhanced invoice claiming now either committed
                # before (and its marks are carried back) or sees this and refuses (billing_gate)
                s.execute(select(ConnectionRow.id).where(ConnectionRow.id == target).with_for_update())
            s.execute(update(MigrationRun).where(MigrationRun.id == run.id).values(state="rolling_back"))
        steps.step()
        if target is not None:
            require_no_claims_in_flight(ctx, target)
            withdrawn = withdraw_synced_time(ctx, target, progress)
            steps.step()
        progress(TABLES, 0, len(SCOPED))
        for model in SCOPED:
            with ctx.store.session() as s:
                if model is BilledTask and target is not None:
                    carried = carry_back(s, target, legacy.id)
                res = s.execute(delete(model).where(model.connection_id == target))
                deleted[model.__tablename__] = res.rowcount  # type: ignore[attr-defined]
                steps.step()
            steps.step()
            progress(TABLES, len(deleted), len(SCOPED))
        if target is not None:
            # before the row goes: once the run is marked rolled back it no longer names its
            # target, so a key left behind by a kill here would never be found again
            ctx.secrets.delete(connection_key_name("enhanced", target))
            steps.step()
        now = ctx.clock.now()
        with ctx.store.session() as s:
            s.execute(update(MigrationRun).where(MigrationRun.id == run.id)
                      .values(state="rolled_back", target_connection_id=None, finished_at=now))
            if target is not None:
                s.execute(delete(ConnectionRow).where(ConnectionRow.id == target))
            row = s.get(ConnectionRow, legacy.id)
            assert row is not None
            set_state(row, run.source_state, now)
            steps.step()
        steps.step()
        return {"migration_id": run.id, "state": "rolled_back", "already_rolled_back": False,
                "rolled_back_at": now, "legacy_state": run.source_state,
                "deleted": deleted, "carried_back": carried, "time_entries_withdrawn": withdrawn}


def withdraw_synced_time(ctx: Context, target: int, progress: Progress = no_progress) -> int:
    """L8 across a rollback, in Books: the time entries the enhanced sync made that Books still
    holds unbilled are deleted, so Books cannot bill time the legacy integration bills next.
    Invoiced ones stay (their invoice's marks are carried back). Runs before the store's id
    maps go, so a rollback stopped here finds them again; an entry already gone is skipped."""
    with ctx.store.session() as s:
        made = dict(s.execute(select(IdMap.books_id, IdMap.projects_id).where(
            IdMap.connection_id == target, IdMap.kind == "time_entry", IdMap.migration_id.is_(None))).all())
        projects = list(s.execute(select(IdMap.books_id).where(
            IdMap.connection_id == target, IdMap.kind == "project")).scalars())
    if not made:
        return 0
    withdrawn = 0
    progress(WITHDRAW, 0, len(projects))
    for n, books_pid in enumerate(projects, 1):
        for entry in ctx.books.list_time_entries(project_id=books_pid, filter_by="Status.Unbilled"):
            if str(entry["time_entry_id"]) in made:
                try:
                    ctx.books.delete_time_entry(str(entry["time_entry_id"]))
                except NotFound:
                    continue
                withdrawn += 1
        progress(WITHDRAW, n, len(projects))
    return withdrawn


def carry_back(s: Session, target: int, legacy_id: int) -> list[dict[str, str]]:
    """L8 across a rollback: what the enhanced integration billed since the migration stays
    billed for the legacy one. Runs in the transaction that deletes the enhanced marks, so a
    rollback stopped at any point has either both or neither; the primary key of the legacy
    scope refuses a mark twice."""
    made = s.execute(select(BilledTask).where(
        BilledTask.connection_id == target, BilledTask.migration_id.is_(None),
        BilledTask.state == "billed")).scalars().all()
    s.add_all([BilledTask(connection_id=legacy_id, task_id=b.task_id, invoice_id=b.invoice_id, side=b.side,
                          state="billed", billed_at=b.billed_at, migration_id=None, holder=None)
               for b in made])
    s.flush()
    return [{"key": b.task_id, "invoice_id": b.invoice_id, "side": b.side} for b in made]
