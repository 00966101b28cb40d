"""E8: sync errors in the store. A run replaces its module's open set: errors still there
stay open (first_seen kept), new ones are added, the rest are marked resolved by the run.
Nothing is deleted, so the history of what went wrong survives the fix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.domain import SyncFailure
from bridge.store.tables import SyncError
from enhanced.preferences import ALL_MODULES


def open_errors(session: Session, connection_id: int, module: str | None = None) -> list[SyncError]:
    q = select(SyncError).where(SyncError.connection_id == connection_id, SyncError.resolved_run_id.is_(None))
    if module is not None:
        q = q.where(SyncError.module == module)
    return list(session.execute(q.order_by(SyncError.id)).scalars())


def open_codes(session: Session, connection_id: int, module: str) -> dict[str, str]:
    """record id -> reason code of the module's open errors (what dependents name)."""
    return {e.record_id: e.reason_code for e in open_errors(session, connection_id, module)}


def settle(
    session: Session, connection_id: int, module: str, run_id: int,
    failures: Iterable[SyncFailure], now: dt.datetime,
) -> None:
    """Make the open errors of `module` be exactly `failures`."""
    current = {(e.record_id, e.reason_code): e for e in open_errors(session, connection_id, module)}
    seen = set()
    for f in failures:
        key = (f.record_id, f.reason_code)
        seen.add(key)
        if key in current:
            e = current[key]
            e.reason, e.fix, e.record_name = f.reason, f.fix, f.record_name
            continue
        session.add(SyncError(
            connection_id=connection_id, run_id=run_id, module=module, record_id=f.record_id,
            record_name=f.record_name, reason_code=f.reason_code, reason=f.reason, fix=f.fix,
            first_seen_at=now,
        ))
    for key, e in current.items():
        if key not in seen:
            e.resolved_run_id, e.resolved_at = run_id, now


def summary(session: Session, connection_id: int) -> list[dict[str, Any]]:
    """Module-wise open errors grouped by reason, in sync order."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for e in open_errors(session, connection_id):
        g = groups.setdefault((e.module, e.reason_code), {
            "module": e.module, "reason_code": e.reason_code, "count": 0, "fix": e.fix,
        })
        g["count"] += 1
    return sorted(groups.values(), key=lambda g: (ALL_MODULES.index(g["module"]) if g["module"] in ALL_MODULES else 99,
                                                  g["reason_code"]))


def details(session: Session, connection_id: int, include_resolved: bool = False) -> list[dict[str, Any]]:
    q = select(SyncError).where(SyncError.connection_id == connection_id)
    if not include_resolved:
        q = q.where(SyncError.resolved_run_id.is_(None))
    return [{
        "module": e.module, "record_id": e.record_id, "record_name": e.record_name,
        "reason_code": e.reason_code, "reason": e.reason, "fix": e.fix,
        "first_seen_at": e.first_seen_at.isoformat(), "run_id": e.run_id,
        "resolved": e.resolved_run_id is not None, "resolved_run_id": e.resolved_run_id,
        "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
    } for e in session.execute(q.order_by(SyncError.id)).scalars()]
