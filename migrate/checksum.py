"""A plan's fingerprint of everything it read, so `migrate run --plan` executes exactly it.

Parts, each a blake2b digest with a row count:
- one per kind (`id_map`, `transactions`, `invoice_lines`, `billed_tasks`): every column of
  the legacy scope's rows, in key order (the converter copies every column);
- `upstream_projects`: the project ids the converter judges transactions by;
- `legacy_connection`: what a run copies from the legacy connection (portal, organization,
  email, shared name and email, key fingerprint, never the key) and the state it starts from.

Resume: the migration never writes the legacy scope, only its connection's state at the
very end. So once a run exists (running, done or half rolled back) the state hashed is the
one the run started from (`source_state`) and the projects are the ones the run recorded;
before any run, the connection's current state and a fresh read of the projects. A plan
made before a run therefore still matches when that run is resumed, and after a rollback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table
from sqlalchemy.types import NullType

from bridge.context import Context
from bridge.errors import InputError
from bridge.store.keyset import key_batches, raw_table
from bridge.store.tables import ConnectionRow, MigrationRun
from migrate import upstream
from migrate.kinds import KINDS

ALGORITHM = "blake2b-256"
PROJECTS, CONNECTION = "upstream_projects", "legacy_connection"
PARTS = (*(k.name for k in KINDS), PROJECTS, CONNECTION)
#: what a run copies from the legacy connection; not changed_at, which moves with every state change
CONNECTION_FIELDS = ("id", "mode", "organization_id", "portal_id", "email", "shared_name", "shared_email",
                     "key_fingerprint", "connected_at")


class PlanOutdated(InputError):
    """The legacy state is no longer the one the plan was made from."""

    def __init__(self, message: str, changed: list[str], *, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.changed = changed

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "changed": self.changed}


def _canon(value: Any) -> Any:
    # the same row must hash the same whatever the session's time zone or the numeric type
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class PartDigest:
    """Rows in, one digest out. `canon_at`: the positions whose values need `_canon` (the
    columns a raw table reads untyped: times and amounts); the rest hash as they are."""

    def __init__(self, canon_at: tuple[int, ...] = ()) -> None:
        self.rows = 0
        self.canon_at = canon_at
        self._h = hashlib.blake2b(digest_size=32)

    @classmethod
    def for_table(cls, raw: Table) -> PartDigest:
        return cls(tuple(i for i, c in enumerate(raw.columns) if isinstance(c.type, NullType)))

    def add(self, values: Iterable[Any]) -> None:
        self.rows += 1
        row = list(values)
        for i in self.canon_at:
            row[i] = _canon(row[i])
        # a repr quotes and escapes its strings, so rows cannot run into each other
        self._h.update(repr(row).encode())
        self._h.update(b"\n")

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "digest": self._h.hexdigest()}


@dataclass(frozen=True)
class Checksum:
    parts: dict[str, dict[str, Any]]  # part name -> {"rows": n, "digest": hex}

    @property
    def total(self) -> str:
        h = hashlib.blake2b(digest_size=32)
        for name in sorted(self.parts):
            h.update(f"{name}={self.parts[name]['digest']}\n".encode())
        return h.hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {"algorithm": ALGORITHM, "total": self.total, "parts": self.parts}

    @classmethod
    def from_json(cls, data: Any, where: str) -> Checksum:
        if not isinstance(data, dict) or data.get("algorithm") != ALGORITHM:
            raise InputError(f"{where}: checksum: expected an object with algorithm {ALGORITHM!r}")
        parts = data.get("parts")
        if not isinstance(parts, dict) or set(parts) != set(PARTS) or not all(
                isinstance(p, dict) and isinstance(p.get("digest"), str) and isinstance(p.get("rows"), int)
                for p in parts.values()):
            raise InputError(f"{where}: checksum.parts: expected {', '.join(PARTS)}, each with rows and digest")
        checksum = cls({name: {"rows": parts[name]["rows"], "digest": parts[name]["digest"]} for name in PARTS})
        if data.get("total") != checksum.total:
            raise InputError(f"{where}: checksum.total does not match its parts: the file was edited")
        return checksum

    def changed_parts(self, now: Checksum) -> list[str]:
        return [name for name in PARTS if self.parts[name]["digest"] != now.parts[name]["digest"]]


def run_inputs(ctx: Context, legacy: ConnectionRow, run: MigrationRun | None) -> tuple[list[str], str]:
    """The upstream project ids and the legacy state a run (new or resumed) converts with."""
    if run is not None and run.state != "rolled_back":
        return sorted(run.upstream_projects or ()), run.source_state
    return upstream.project_ids(ctx, legacy), legacy.state


def side_parts(legacy: ConnectionRow, projects: Iterable[str], state: str) -> dict[str, dict[str, Any]]:
    """The two parts that are not legacy rows: upstream project ids and the connection."""
    ids = PartDigest()
    for pid in sorted(projects):
        ids.add((pid,))
    conn = PartDigest()
    conn.add((*(getattr(legacy, f) for f in CONNECTION_FIELDS), state))
    return {PROJECTS: ids.to_json(), CONNECTION: conn.to_json()}


def legacy_checksum(
    ctx: Context, legacy: ConnectionRow, projects: Iterable[str], state: str, *, batch: int = 5000,
    on_batch: Callable[[], None] | None = None,
) -> Checksum:
    """Read the legacy scope in key order (the rows as the driver holds them) and hash it."""
    parts: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        raw = raw_table(kind.table)
        digest = PartDigest.for_table(raw)
        for rows in key_batches(ctx.store, raw, kind.key, {"connection_id": legacy.id}, batch):
            for row in rows:
                digest.add(row)
            if on_batch:
                on_batch()
        parts[kind.name] = digest.to_json()
    return Checksum({**parts, **side_parts(legacy, projects, state)})


def check_plan(
    ctx: Context, legacy: ConnectionRow, run: MigrationRun | None, expected: Checksum, *, batch: int = 5000,
    on_batch: Callable[[], None] | None = None,
) -> list[str]:
    """Refuse (PlanOutdated) unless the legacy state is the plan's; returns the upstream
    project ids read, for a new run to start with (no second read, no window between)."""
    projects, state = run_inputs(ctx, legacy, run)
    now = legacy_checksum(ctx, legacy, projects, state, batch=batch, on_batch=on_batch)
    changed = expected.changed_parts(now)
    if changed:
        detail = "; ".join(_change(name, expected.parts[name]["rows"], now.parts[name]["rows"]) for name in changed)
        raise PlanOutdated(
            f"the legacy state of portal {legacy.portal_id} changed since the plan was made: "
            f"checksum differs for {detail}; nothing was migrated",
            changed, hint="make a new plan (`bpbridge migrate plan --out FILE`), review it, and run that one")
    return projects


def _change(name: str, then: int, now: int) -> str:
    return (f"{name} ({then} row(s) planned, {now} now)" if then != now
            else f"{name} (same {now} row(s), contents differ)")
