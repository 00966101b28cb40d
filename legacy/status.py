"""L3 status: besides the connection, when invoices and expenses were last mirrored."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.domain import ModuleState, ModuleStatus
from bridge.store.tables import SyncRun

MIRRORED = ("expenses", "invoices")


def mirror_modules(s: Session, connection_id: int) -> tuple[ModuleStatus, ...]:
    out = []
    for module in MIRRORED:
        run = s.execute(select(SyncRun).where(
            SyncRun.connection_id == connection_id, SyncRun.module == module,
        ).order_by(SyncRun.id.desc()).limit(1)).scalar_one_or_none()
        if run is None:
            out.append(ModuleStatus(module, ModuleState.NEVER, None))
        else:
            out.append(ModuleStatus(module, run.status, run.ended_at, run.fetched, run.failed))
    return tuple(out)
