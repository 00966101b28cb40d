"""E7: the sync history, one entry per module run, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.store.tables import SyncRun


def history(session: Session, connection_id: int, limit: int = 100) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SyncRun).where(SyncRun.connection_id == connection_id)
        .order_by(SyncRun.id.desc()).limit(limit)
    ).scalars()
    return [{
        "run_id": r.id, "module": r.module, "status": r.status,
        "started_at": r.started_at.isoformat(),
        "ended_at": r.ended_at.isoformat() if r.ended_at else None,
        "fetched": r.fetched, "created": r.created, "updated": r.updated,
        "skipped": r.skipped, "failed": r.failed, "holder": r.holder,
    } for r in rows]
