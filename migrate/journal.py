"""The migration journal: one row per (migration, kind) with the last key carried over.

A batch's rows and its journal update commit in one transaction, so after a kill the
journal says exactly where to go on.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.store.tables import MigrationJournal


def encode_key(key: tuple[Any, ...]) -> str:
    return json.dumps(list(key))


def decode_key(text: str) -> tuple[Any, ...] | None:
    return tuple(json.loads(text)) if text else None


def entries(session: Session, migration_id: str) -> dict[str, MigrationJournal]:
    rows = session.execute(select(MigrationJournal).where(MigrationJournal.migration_id == migration_id))
    return {j.step: j for j in rows.scalars()}
