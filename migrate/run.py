"""M1/M5: carry the legacy state over in batches, each one transaction with its journal.

One migration at a time (a cross-process lock). A run that was killed is resumed by running
again: the journal says which kinds are done and the last key carried of the one under way;
inserts ignore rows already there, so a batch repeated after a kill changes nothing.

The rows never pass through Python: a batch is a key range of the legacy scope, copied into
the target scope by the store (INSERT ... SELECT, on SQLite and PostgreSQL alike) with the
converter's rules as SQL conditions (`migrate.convert.SqlRules`); the left-outs are written
the same way, with their reasons.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Select, String, Table, case, func, literal, not_, or_, select, update

from bridge.billing.claims import require_no_claims_in_flight
from bridge.context import Context
from bridge.errors import InputError, NotConnected
from bridge.progress import Progress, no_progress
from bridge.secrets import connection_key_name
from bridge.store.bulk import copy_rows, refresh_statistics
from bridge.store.keyset import key_range, next_range
from bridge.store.locks import NamedLock, lock_alive
from bridge.store.repo import (
    LIVE_STATES,
    key_fingerprint,
    latest_connection,
    new_connection,
    set_state,
)
from bridge.store.tables import (
    ConnectionRow,
    MigrationJournal,
    MigrationLeftOut,
    MigrationRun,
    Preferences,
)
from legacy.ledger import claim_of
from migrate import journal, upstream
from migrate.checksum import Checksum, check_plan
from migrate.convert import SqlRules
from migrate.faults import Steps
from migrate.kinds import KINDS, Kind

LOCK_NAME = "migration"
#: Fault injection for the kill tests: SIGKILL this process once N records were converted
#: (in the batch that holds the Nth: written, before its commit). Never set in normal use.
#: Its steps (`migrate.faults`): the start committed, the key stored, all carried, the
#: finish before and after its commit.
KILL_ENV = "BRIDGE_FAULT_KILL_AFTER_RECORDS"
DEFAULT_MODULES = ["projects", "users", "tasks", "bugs", "timesheets", "user_rates"]



@dataclass
class RunSummary:
    migration_id: str
    state: str
    portal_id: str
    target_connection: int | None
    carried: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, dict[str, int]] = field(default_factory=dict)
    records: int = 0
    seconds: float = 0.0
    resumed: bool = False
    already_done: bool = False

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "records_per_second": round(self.records / self.seconds) if self.seconds else None}


def find_migration(ctx: Context) -> tuple[ConnectionRow, MigrationRun | None]:
    """The legacy connection to migrate and its latest migration run (if any)."""
    with ctx.store.session() as s:
        legacy = latest_connection(s, "legacy")
        if legacy is None:
            raise NotConnected("there is no legacy integration in this store to migrate",
                               hint="connect one with `bpbridge legacy connect`, or point --db at its store")
        # At most one run of a source is not rolled back; it is the one that counts.
        runs = s.execute(select(MigrationRun).where(MigrationRun.source_connection_id == legacy.id)
                         .order_by(MigrationRun.started_at.desc())).scalars().all()
        live = [r for r in runs if r.state != "rolled_back"]
        chosen = live or list(runs)
        return legacy, chosen[0] if chosen else None


def run_migration(
    ctx: Context, *, batch: int = 2000, services: bool = True, progress: Progress | None = None,
    expected: Checksum | None = None,
) -> RunSummary:
    """Migrate, or resume; with `expected` (a saved plan's checksum) only if the legacy state
    is still the one planned, checked under the lock before anything is written.
    `progress` hears of each kind as it starts and after each committed batch (records of
    that kind carried or left out so far, of its total), and of the services' snapshot."""
    progress = progress or no_progress
    # the services' snapshot reads the Finance tab, which only the sandbox has: refused live
    ctx.require("migrate: run --services" if services else "migrate: run")
    started = time.monotonic()
    steps = Steps()
    with NamedLock(ctx.store, LOCK_NAME, ctx.clock) as lock:
        legacy, run = find_migration(ctx)
        projects = None
        if expected is not None:
            projects = check_plan(ctx, legacy, run, expected, on_batch=lock.heartbeat)
        resumed = run is not None and run.state == "running"
        if run is not None and run.state == "done":
            if run.reenabled_at is None:  # finished by a version that could lose the key
                _carry_key(ctx, legacy, run)
            summary = summarize(ctx, run, legacy)
            summary.already_done = True
            return summary
        if run is not None and run.state == "rolling_back":
            raise InputError(f"migration {run.id} is half rolled back",
                             hint="finish it with `bpbridge migrate rollback`, then migrate again")
        if run is None or run.state == "rolled_back":
            run = _start(ctx, legacy, services, projects, progress)
            steps.step()
        _carry_key(ctx, legacy, run)
        steps.step()
        # no new legacy claim passes the gate now; one still in flight must end before its
        # task marks are carried, or they would cross half-made
        require_no_claims_in_flight(ctx, legacy.id, claim_of)
        kill_after = int(os.environ.get(KILL_ENV, "0") or 0)
        done_records = 0
        tables = [kind.table for kind in KINDS]
        refresh_statistics(ctx.store, tables)  # the legacy rows may have just been bulk-loaded
        for kind in KINDS:
            done_records = _carry(ctx, run, legacy, kind, batch, lock, progress, kill_after, done_records)
        refresh_statistics(ctx.store, tables)  # verify reads what was just copied
        steps.step()
        _finish(ctx, run, legacy, steps)
        steps.step()
        summary = summarize(ctx, run, legacy)
        summary.resumed, summary.seconds = resumed, time.monotonic() - started
        summary.records = sum(summary.carried.values()) + sum(sum(v.values()) for v in summary.left_out.values())
        return summary


def _start(ctx: Context, legacy: ConnectionRow, services: bool, projects: list[str] | None = None,
           progress: Progress = no_progress) -> MigrationRun:
    if legacy.state not in LIVE_STATES:
        raise InputError(f"the legacy integration is {legacy.state}; only a connected or disabled one migrates")
    if projects is None:  # a plan's check has just read them otherwise
        projects = upstream.project_ids(ctx, legacy)
    before = None
    if services:
        # a project deleted upstream has no Finance view left to compare
        visible = sorted(set(_legacy_projects(ctx, legacy)) & set(projects))
        before = upstream.services_snapshot(ctx, legacy, visible, progress)
    now = ctx.clock.now()
    with ctx.store.session() as s:
        # the legacy connection's row is locked first: a legacy invoice claiming at this moment
        # either committed before (and is carried) or sees this run and refuses (billing_gate)
        s.execute(select(ConnectionRow.id).where(ConnectionRow.id == legacy.id).with_for_update())
        target = new_connection(
            s, mode="enhanced", organization_id=legacy.organization_id, portal_id=legacy.portal_id,
            email=legacy.email, key="", shared_name=legacy.shared_name, shared_email=legacy.shared_email,
            now=now, migrated_from=legacy.id,
        )
        # M6: the migrated integration starts disabled; it is re-enabled with the legacy portal.
        set_state(target, "disabled", now)
        target.key_fingerprint = legacy.key_fingerprint
        s.add(Preferences(connection_id=target.id, modules=DEFAULT_MODULES, general_timesheets=False,
                          cutoff_date=None, updated_at=now))
        run = MigrationRun(id=str(uuid.uuid4()), source_connection_id=legacy.id, target_connection_id=target.id,
                           state="running", started_at=now, source_state=legacy.state,
                           upstream_projects=projects, services_before=before)
        s.add(run)
        s.flush()
        s.add_all([MigrationJournal(migration_id=run.id, step=k.name, updated_at=now) for k in KINDS])
    return run


def _carry_key(ctx: Context, legacy: ConnectionRow, run: MigrationRun) -> None:
    """The target connection's key is the legacy one (M6: re-enabling needs it). It lives in
    the secrets file, outside the store's transactions, so it is written after the run's
    start commits (the target's id is known only then) and again by every run that finds it
    missing: a run stopped in between (killed, or the secrets file not writable) is repaired
    when it is resumed, never finished without it. A key that matches the target's
    fingerprint is kept (the user may have set it since, with `enhanced credentials`); one
    that does not belongs to an earlier connection of the same id (SQLite reuses the id of
    a deleted last row) and is replaced."""
    if run.target_connection_id is None:
        return
    with ctx.store.session() as s:
        target = s.get(ConnectionRow, run.target_connection_id)
    if target is None:
        return
    name = connection_key_name("enhanced", target.id)
    stored = ctx.secrets.get(name)
    if stored and key_fingerprint(stored) == target.key_fingerprint:
        return
    key = ctx.secrets.get(connection_key_name("legacy", legacy.id))
    if key and key != stored:
        ctx.secrets.put(name, key)


def _legacy_projects(ctx: Context, legacy: ConnectionRow) -> list[str]:
    from bridge.store.tables import TransactionRow

    with ctx.store.session() as s:
        return sorted(s.execute(select(TransactionRow.project_id).where(
            TransactionRow.connection_id == legacy.id).distinct()).scalars())


def _carry(
    ctx: Context, run: MigrationRun, legacy: ConnectionRow, kind: Kind, batch: int, lock: NamedLock,
    progress: Progress, kill_after: int, done_records: int,
) -> int:
    """Copy one kind batch by batch, each batch one transaction with its journal entry. The
    store copies the rows itself (INSERT ... SELECT, the rules as SQL conditions): a batch is
    a key range of the legacy scope, its carried rows and its left-outs two statements."""
    with ctx.store.session() as s:
        entry = journal.entries(s, run.id)[kind.name]
        if entry.done:
            return done_records
        total = s.execute(select(func.count()).select_from(kind.table)
                          .where(kind.table.c.connection_id == legacy.id)).scalar_one()
    done = entry.rows  # a resumed kind goes on from its journal
    progress(kind.name, done, total)
    assert run.target_connection_id is not None
    scope = {"connection_id": legacy.id}
    carry, leave = _copies(kind, SqlRules(run.id, run.upstream_projects or ()), run.target_connection_id)
    after = journal.decode_key(entry.last_key)
    while True:
        with ctx.store.session() as s:
            found = next_range(s.connection(), kind.table, kind.key, scope, batch, after)
            if found is None:
                break
            upto, rows = found
            where = key_range(kind.table, kind.key, scope, ctx.store.dialect, after, upto)
            copy_rows(s, kind.table, carry[0], carry[1].where(*where), ("connection_id", *kind.key))
            if leave is not None:
                copy_rows(s, _LEFT_OUTS, leave[0], leave[1].where(*where), ("migration_id", "kind", "key"))
            s.execute(update(MigrationJournal).where(
                MigrationJournal.migration_id == run.id, MigrationJournal.step == kind.name,
            ).values(last_key=journal.encode_key(upto), rows=MigrationJournal.rows + rows,
                     updated_at=ctx.clock.now()))
            done_records += rows
            if kill_after and done_records >= kill_after:  # a kill mid-batch: written, not committed
                os.kill(os.getpid(), signal.SIGKILL)
        lock.heartbeat()
        after = upto
        done += rows
        progress(kind.name, done, total)
    with ctx.store.session() as s:
        s.execute(update(MigrationJournal).where(
            MigrationJournal.migration_id == run.id, MigrationJournal.step == kind.name).values(done=True))
    return done_records


_LEFT_OUTS: Table = MigrationLeftOut.__table__  # type: ignore[assignment]
Copy = tuple[list[str], Select[Any]]


def _copies(kind: Kind, rules: SqlRules, target: int) -> tuple[Copy, Copy | None]:
    """The two INSERT ... SELECTs of a kind (columns, SELECT without its key range): every
    column of the rows the rules carry, into the target scope with the run's id; and, when
    the kind has rules, a left-out row (key, code, reason) for each row they leave out."""
    t = kind.table
    rules_of = rules.rules(kind)
    run_values: dict[str, Any] = {"connection_id": literal(target, Integer),
                                  "migration_id": literal(rules.migration_id, String)}
    columns = [c.name for c in t.columns]
    carried = select(*(run_values.get(name, t.c[name]) for name in columns))
    if not rules_of:
        return (columns, carried), None
    left_when = or_(*(cond for cond, _ in rules_of))
    left = select(literal(rules.migration_id, String), literal(kind.name, String), SqlRules.key_text(kind),
                  case(*((cond, literal(rule.code, String)) for cond, rule in rules_of)),
                  case(*((cond, rule.reason_sql(t)) for cond, rule in rules_of))).where(left_when)
    return (columns, carried.where(not_(left_when))), (["migration_id", "kind", "key", "reason_code", "reason"], left)


def _finish(ctx: Context, run: MigrationRun, legacy: ConnectionRow, steps: Steps) -> None:
    now = ctx.clock.now()
    with ctx.store.session() as s:
        row = s.get(ConnectionRow, legacy.id)
        assert row is not None
        set_state(row, "migrated", now)
        s.execute(update(MigrationRun).where(MigrationRun.id == run.id).values(state="done", finished_at=now))
        steps.step()
    run.state = "done"


def summarize(ctx: Context, run: MigrationRun, legacy: ConnectionRow) -> RunSummary:
    with ctx.store.session() as s:
        entries = journal.entries(s, run.id)
        left = s.execute(select(MigrationLeftOut.kind, MigrationLeftOut.reason_code).where(
            MigrationLeftOut.migration_id == run.id)).all()
        state = s.get(MigrationRun, run.id)
    counts: dict[str, Counter[str]] = {}
    for kind_name, code in left:
        counts.setdefault(kind_name, Counter())[code] += 1
    carried = {k.name: entries[k.name].rows - sum(counts.get(k.name, Counter()).values()) for k in KINDS
               if k.name in entries}
    return RunSummary(
        migration_id=run.id, state=state.state if state else run.state, portal_id=legacy.portal_id,
        target_connection=run.target_connection_id, carried=carried,
        left_out={k: dict(v) for k, v in counts.items()},
    )


#: stored states a process is working on: shown as such only while it holds the lock
UNDER_WAY = ("running", "rolling_back")


def shown_state(ctx: Context, run: MigrationRun) -> str:
    """The run's state as status shows it. `running` and `rolling_back` are stored when the
    work starts and replaced when it ends, so they hold only while a live process holds the
    migration lock; once that process is gone (a Ctrl-C, a kill) the run is `interrupted`,
    and running the same command again goes on from where it stopped."""
    if run.state in UNDER_WAY and not lock_alive(ctx.store, LOCK_NAME, ctx.clock):
        return "interrupted"
    return run.state


def records_so_far(ctx: Context, run: MigrationRun, legacy: ConnectionRow) -> tuple[int, int]:
    """(legacy records the journal says were carried or left out, legacy records in all)."""
    with ctx.store.session() as s:
        done = sum(e.rows for e in journal.entries(s, run.id).values())
        total = sum(s.execute(select(func.count()).select_from(k.table)
                              .where(k.table.c.connection_id == legacy.id)).scalar_one() for k in KINDS)
    return done, total
