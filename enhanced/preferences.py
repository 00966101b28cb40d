"""E3: what to sync. Stored in the Preferences table; a sync reads them when it starts, so a
change takes effect at the next sync (never halfway through one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bridge.domain import MODULE_ORDER, Module
from bridge.errors import InputError
from bridge.store import repo
from bridge.store.tables import Preferences

ALL_MODULES: tuple[str, ...] = tuple(m.value for m in MODULE_ORDER)


@dataclass(frozen=True)
class Prefs:
    modules: tuple[str, ...] = ALL_MODULES
    general_timesheets: bool = False
    cutoff_date: dt.date | None = None

    def wants(self, module: Module) -> bool:
        return module.value in self.modules

    def to_json(self) -> dict[str, object]:
        return {
            "modules": list(self.modules),
            "general_timesheets": self.general_timesheets,
            "cutoff_date": self.cutoff_date.isoformat() if self.cutoff_date else None,
        }


def load(session: Session, connection_id: int) -> Prefs:
    row = repo.preferences(session, connection_id)
    if row is None:
        return Prefs()
    return Prefs(_ordered(row.modules), bool(row.general_timesheets), row.cutoff_date)


def _ordered(modules: Sequence[str]) -> tuple[str, ...]:
    unknown = sorted(set(modules) - set(ALL_MODULES))
    if unknown:
        raise InputError(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(ALL_MODULES)}")
    return tuple(m for m in ALL_MODULES if m in set(modules))


def save(
    session: Session, connection_id: int, now: dt.datetime, *,
    modules: Sequence[str] | None = None, general_timesheets: bool | None = None,
    cutoff_date: dt.date | None = None, clear_cutoff: bool = False,
) -> Prefs:
    """Change only what is given; the rest stays as it was."""
    current = load(session, connection_id)
    new = Prefs(
        _ordered(modules) if modules is not None else current.modules,
        current.general_timesheets if general_timesheets is None else general_timesheets,
        None if clear_cutoff else (cutoff_date or current.cutoff_date),
    )
    session.merge(Preferences(
        connection_id=connection_id, modules=list(new.modules),
        general_timesheets=new.general_timesheets, cutoff_date=new.cutoff_date, updated_at=now,
    ))
    return new
