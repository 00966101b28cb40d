"""E5: per-module state, readable from any process.

A running sync keeps its module runs `in_progress` with its `host:pid` as holder, so another
process asking for status sees "Sync in Progress". A holder on this host whose pid is gone
died mid-sync: its run shows as interrupted, as does a run a Ctrl-C stopped. Holders on other
hosts are trusted (the sync lock takes over stale ones when the next sync starts).
"""

from __future__ import annotations

import os
import socket
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.domain import MODULE_ORDER, ModuleState, ModuleStatus
from bridge.store.tables import SyncRun


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_alive(holder: str) -> bool:
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_state(run: SyncRun) -> str:
    """in_progress, synced, failed (aborted, or completed with record errors) or interrupted."""
    if run.status == ModuleState.IN_PROGRESS:
        return ModuleState.IN_PROGRESS if holder_alive(run.holder) else ModuleState.INTERRUPTED
    if run.status == ModuleState.SYNCED and run.failed == 0:
        return ModuleState.SYNCED
    if run.status == ModuleState.INTERRUPTED:
        return ModuleState.INTERRUPTED
    return ModuleState.FAILED


def latest_runs(session: Session, connection_id: int) -> dict[str, SyncRun]:
    latest = (
        select(SyncRun.module, func.max(SyncRun.id).label("id"))
        .where(SyncRun.connection_id == connection_id).group_by(SyncRun.module).subquery()
    )
    rows = session.execute(select(SyncRun).join(latest, SyncRun.id == latest.c.id)).scalars()
    return {r.module: r for r in rows}


def module_statuses(session: Session, connection_id: int) -> tuple[ModuleStatus, ...]:
    runs = latest_runs(session, connection_id)
    last_ok: dict[str, Any] = dict(session.execute(
        select(SyncRun.module, func.max(SyncRun.ended_at))
        .where(SyncRun.connection_id == connection_id, SyncRun.status == ModuleState.SYNCED.value)
        .group_by(SyncRun.module)
    ).all())
    out = []
    for m in MODULE_ORDER:
        run = runs.get(m.value)
        if run is None:
            out.append(ModuleStatus(m.value, ModuleState.NEVER, None))
            continue
        out.append(ModuleStatus(m.value, run_state(run), last_ok.get(m.value), run.fetched, run.failed))
    return tuple(out)


def describe(run: SyncRun) -> dict[str, Any]:
    return {"module": run.module, "state": run_state(run), "holder": run.holder}
