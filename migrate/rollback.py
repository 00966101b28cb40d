"""M5: return to the legacy state. The legacy scope was never written by the migration
(only its connection's state), so rolling back is deleting the enhanced scope the run made
and restoring that state. Each table is one transaction; an interrupted rollback is
finished by running it again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update

from bridge.context import Context
from bridge.errors import InputError
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
from migrate.run import LOCK_NAME, find_migration

#: everything scoped by a connection, children before parents
SCOPED = (SyncError, SyncRun, InvoiceLineRow, BilledTask, TransactionRow, IdMap, Preferences)


def rollback_migration(ctx: Context) -> dict[str, Any]:
    with NamedLock(ctx.store, LOCK_NAME, ctx.clock):
        legacy, run = find_migration(ctx)
        if run is None or run.state == "rolled_back":
            raise InputError("there is no migration to roll back")
        target = run.target_connection_id
        deleted: dict[str, int] = {}
        with ctx.store.session() as s:
            s.execute(update(MigrationRun).where(MigrationRun.id == run.id).values(state="rolling_back"))
        for model in SCOPED:
            with ctx.store.session() as s:
                res = s.execute(delete(model).where(model.connection_id == target))
                deleted[model.__tablename__] = res.rowcount  # type: ignore[attr-defined]
        now = ctx.clock.now()
        with ctx.store.session() as s:
            s.execute(update(MigrationRun).where(MigrationRun.id == run.id)
                      .values(state="rolled_back", target_connection_id=None, finished_at=now))
            if target is not None:
                s.execute(delete(ConnectionRow).where(ConnectionRow.id == target))
            row = s.get(ConnectionRow, legacy.id)
            assert row is not None
            set_state(row, run.source_state, now)
        if target is not None:
            ctx.secrets.delete(connection_key_name("enhanced", target))
        return {"migration_id": run.id, "state": "rolled_back", "legacy_state": run.source_state,
                "deleted": deleted}
