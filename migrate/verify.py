"""M3/M4: verify a migration against what the legacy state implies.

Differences are reported record by record (kind, key, field, expected, found); an empty
list is the pass. The M4 invariants and the services' user-visible data are checked too.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from deepdiff import DeepDiff
from sqlalchemy import Table, func, select

from bridge.context import Context
from bridge.errors import InputError
from bridge.progress import Progress, no_progress
from bridge.secrets import connection_key_name
from bridge.store import Store
from bridge.store.repo import key_fingerprint
from bridge.store.tables import (
    ConnectionRow,
    InvoiceLineRow,
    MigrationLeftOut,
    MigrationRun,
    Preferences,
    TransactionRow,
)
from bridge.verify import Difference, DiffStats, keyed_diff
from migrate import upstream
from migrate.expected import (
    LEFT_OUT_FIELDS,
    expected_connection,
    expected_left_outs,
    expected_preferences,
    left_out_keys,
)
from migrate.kinds import KINDS
from migrate.lanes import MAX_LISTED, Job, Lanes, lane_count, spans
from migrate.ledger import IdSum, Ledger
from migrate.run import find_migration

#: the progress task of the M4 checks (one step: they are a few aggregate queries)
INVARIANTS = "invariants"


@dataclass
class VerifyReport:
    migration_id: str
    differences: list[Difference] = field(default_factory=list)
    difference_count: int = 0
    invariants: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.difference_count == 0 and all(i["ok"] for i in self.invariants.values())
                and self.services.get("ok", True))

    def add(self, diffs: Iterator[Difference]) -> None:
        for d in diffs:
            self.difference_count += 1
            if len(self.differences) < MAX_LISTED:
                self.differences.append(d)

    def add_listed(self, listed: list[Difference], count: int) -> None:
        """`count` differences found, of which the first `listed`."""
        self.difference_count += count
        self.differences.extend(listed[:max(0, MAX_LISTED - len(self.differences))])

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "migration_id": self.migration_id, "difference_count": self.difference_count,
                "differences": [d.to_json() for d in self.differences], "invariants": self.invariants,
                "services": self.services, "stats": self.stats, "seconds": round(self.seconds, 3)}


def verify_migration(ctx: Context, *, batch: int = 5000, services: bool = True,
                     progress: Progress | None = None, workers: int | None = None) -> VerifyReport:
    """`progress` hears of each kind's records compared (of the legacy records expected),
    then of the invariants and the services' snapshot. `workers`: the processes that compare
    the records side by side (None: as migrate.lanes.lane_count judges)."""
    ctx.require("migrate: verify --services" if services else "migrate: verify")
    progress = progress or no_progress
    started = time.monotonic()
    legacy, run = find_migration(ctx)
    if run is None or run.state == "rolled_back" or run.target_connection_id is None:
        raise InputError("there is no migration to verify", hint="run `bpbridge migrate run` first")
    report = VerifyReport(run.id)
    store, src, dst = ctx.store, legacy.id, run.target_connection_id
    up = list(run.upstream_projects or [])
    report.add(_connection_diffs(store, legacy, run))
    report.add(_key_diffs(ctx, run))
    legacy_counts = {kind.name: _count(store, kind.table, src) for kind in KINDS}
    with Lanes(store, lane_count(store, sum(legacy_counts.values()), workers)) as lanes:
        # while the lanes' processes start: what the comparison needs, and the invariants' queries
        left = left_out_keys(store, src, up)
        recorded = _recorded_left_outs(store, run.id)
        target = target_facts(store, dst)
        ledgers = _compare_records(lanes, report, run.id, (src, dst), batch, left, recorded["transactions"],
                                   legacy_counts, progress)
    report.add(keyed_diff("left_out", expected_left_outs(left), _actual_left_outs(store, run.id)))
    progress(INVARIANTS, 0, 1)
    report.invariants = invariants(target, recorded, legacy_counts, ledgers)
    progress(INVARIANTS, 1, 1)
    if services and run.services_before is not None:
        visible = sorted(set(_projects_of(store, src)) & set(up))
        now = upstream.services_snapshot(ctx, legacy, visible, progress)
        diff = DeepDiff(run.services_before, now)
        report.services = {"ok": not diff, "differences": diff.to_dict() if diff else {}}
    report.seconds = time.monotonic() - started
    return report


def _compare_records(lanes: Lanes, report: VerifyReport, migration_id: str, scopes: tuple[int, int], batch: int,
                     left: dict[str, dict[tuple[Any, ...], str]], left_transactions: set[str],
                     legacy_counts: dict[str, int], progress: Progress) -> tuple[Ledger, Ledger]:
    """Every carried kind compared record by record, in `lanes` (migrate.lanes); the
    differences, statistics and the transactions' ledgers merged in key order."""
    n = lanes.count
    cut = {kind.name: spans(lanes.store, kind, scopes[0], legacy_counts[kind.name], n) for kind in KINDS}
    jobs = [Job(*scopes, migration_id, batch, left, left_transactions,
                {name: span for name, lane_spans in cut.items() if (span := lane_spans[i]) is not None})
            for i in range(n)]
    totals = {kind.name: legacy_counts[kind.name] - len(left.get(kind.name, {})) for kind in KINDS}
    results = lanes.compare(jobs, totals, progress)
    for kind in KINDS:
        stats = DiffStats()
        for lane in results:
            if kind.name in lane.kinds:
                part = lane.kinds[kind.name]
                report.add_listed(part.differences, part.count)
                for name, value in vars(part.stats).items():
                    setattr(stats, name, getattr(stats, name) + value)
        report.stats[kind.name] = {**stats.__dict__, "lanes": n}
    ledgers = results[0].ledgers
    for lane in results[1:]:
        ledgers[0].merge(lane.ledgers[0])
        ledgers[1].merge(lane.ledgers[1])
    return ledgers


#: Connection columns a re-enable through the gate frees: E10 disables and re-enables it,
#: E6 changes its key or email. Everything else stays as the migration made it, the portal
#: above all (M6, E11). Preferences are freed as a whole (E3).
FREED_BY_GATE = frozenset({"state", "email", "key_fingerprint"})
AFTER_GATE_STATES = ("connected", "disabled")


def _connection_diffs(store: Store, legacy: ConnectionRow, run: MigrationRun) -> Iterator[Difference]:
    """The target connection and its preferences against what the legacy state and the run
    imply; until the gate was passed (M6), it must still be as the migration left it."""
    with store.session() as s:
        target = s.get(ConnectionRow, run.target_connection_id)
        source = s.get(ConnectionRow, legacy.id)
        prefs = s.get(Preferences, run.target_connection_id)
    assert source is not None
    if run.state == "done" and source.state != "migrated":
        yield Difference("connection", (source.id,), "changed", "state", "migrated", source.state)
    if target is None:
        yield Difference("connection", (run.target_connection_id,), "missing")
        return
    gate = run.reenabled_at is not None
    if gate:
        yield from _gate_diffs(run)
    for name, want in expected_connection(source, run).items():
        found = getattr(target, name)
        if gate and name in FREED_BY_GATE:
            if name == "state" and found not in AFTER_GATE_STATES:
                yield Difference("connection", (target.id,), "changed", name, " or ".join(AFTER_GATE_STATES), found)
            continue
        if found != want:
            yield Difference("connection", (target.id,), "changed", name, want, found)
    if prefs is None:
        yield Difference("preferences", (target.id,), "missing")
    elif not gate:
        for name, want in expected_preferences().items():
            if getattr(prefs, name) != want:
                yield Difference("preferences", (target.id,), "changed", name, want, getattr(prefs, name))


def _key_diffs(ctx: Context, run: MigrationRun) -> Iterator[Difference]:
    """M6: the target re-enables only with its key, which the store does not hold (only its
    fingerprint): the secrets file must hold a key with that fingerprint."""
    with ctx.store.session() as s:
        target = s.get(ConnectionRow, run.target_connection_id)
    if target is None or not target.key_fingerprint:
        return
    key = ctx.secrets.get(connection_key_name(target.mode, target.id))
    if not key or key_fingerprint(key) != target.key_fingerprint:
        yield Difference("connection", (target.id,), "changed", "key",
                         f"a stored key with fingerprint {target.key_fingerprint}",
                         f"a key with fingerprint {key_fingerprint(key)}" if key else "no key stored")


def _gate_diffs(run: MigrationRun) -> Iterator[Difference]:
    """The run's record of the gate must fit the run: the gate opens only once the run is
    done (enhanced.setup.reenable refuses before). The re-enabled portal is the target's,
    which is compared with the legacy portal whatever the gate says."""
    assert run.reenabled_at is not None
    if run.finished_at is None or run.reenabled_at < run.finished_at:
        yield Difference("migration", (run.id,), "changed", "reenabled_at",
                         f"at or after the run finished ({run.finished_at})", run.reenabled_at)


def _actual_left_outs(store: Store, migration_id: str) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    t: Table = MigrationLeftOut.__table__  # type: ignore[assignment]
    with store.connect() as c:
        rows = c.execute(select(t.c.kind, t.c.key, *(t.c[f] for f in LEFT_OUT_FIELDS))
                         .where(t.c.migration_id == migration_id)).all()
    return iter(sorted(((r[0], r[1]), dict(zip(LEFT_OUT_FIELDS, r[2:], strict=True))) for r in rows))


def _projects_of(store: Store, connection_id: int) -> list[str]:
    with store.session() as s:
        return sorted(set(s.execute(select(TransactionRow.project_id).where(
            TransactionRow.connection_id == connection_id)).scalars()))


def _count(store: Store, table: Any, connection_id: int) -> int:
    with store.connect() as c:
        n: int = c.execute(select(func.count()).select_from(table)
                           .where(table.c.connection_id == connection_id)).scalar_one()
        return n


def _recorded_left_outs(store: Store, migration_id: str) -> dict[str, set[str]]:
    """kind -> the keys the run recorded as left out."""
    out: dict[str, set[str]] = defaultdict(set)
    with store.connect() as c:
        for kind_name, key in c.execute(select(MigrationLeftOut.kind, MigrationLeftOut.key)
                                        .where(MigrationLeftOut.migration_id == migration_id)):
            out[kind_name].add(key)
    return out


@dataclass(frozen=True)
class TargetFacts:
    """What the invariants ask the store of the target scope: its tasks on more than one
    invoice, and its record count per kind."""

    billed_twice: list[str]
    counts: dict[str, int]


def target_facts(store: Store, dst: int) -> TargetFacts:
    with store.connect() as c:
        lines = InvoiceLineRow.__table__.c
        twice = c.execute(select(lines.task_id).where(lines.connection_id == dst, lines.task_id.is_not(None))
                          .group_by(lines.task_id).having(func.count(func.distinct(lines.invoice_id)) > 1)
                          ).scalars().all()
    return TargetFacts(sorted(twice), {kind.name: _count(store, kind.table, dst) for kind in KINDS})


def invariants(target: TargetFacts, left_by_kind: dict[str, set[str]], legacy_counts: dict[str, int],
               ledgers: tuple[Ledger, Ledger]) -> dict[str, dict[str, Any]]:
    """M4 over what the comparison gathered (`legacy_counts`, the transactions' `ledgers`),
    the left-outs the run recorded and the `target`'s facts."""
    legacy_invoices, target_invoices = ledgers[0].invoices, ledgers[1].invoices
    left_invoices = IdSum.of(k.split("/", 1)[1] for k in left_by_kind["transactions"] if k.startswith("invoice/"))
    counts = {}
    for kind in KINDS:
        legacy_n, target_n, left_n = (legacy_counts[kind.name], target.counts[kind.name],
                                      len(left_by_kind[kind.name]))
        counts[kind.name] = {"legacy": legacy_n, "enhanced": target_n, "left_out": left_n,
                             "ok": legacy_n == target_n + left_n}
    before, after = ledgers[0].sums(), ledgers[1].sums()
    totals_diff = DeepDiff(before, after) if before != after else None
    # the target's and the left-out invoices together are the legacy ones: none lost, none twice
    once = target_invoices + left_invoices == legacy_invoices
    return {
        "every_invoice_exactly_once": {"ok": once, "legacy": legacy_invoices.count,
                                       "enhanced": target_invoices.count, "left_out": left_invoices.count},
        "totals_unchanged": {"ok": not totals_diff, "groups": len(before),
                             "differences": totals_diff.to_dict() if totals_diff else {}},
        "no_task_billed_twice": {"ok": not target.billed_twice, "tasks": target.billed_twice[:50]},
        "counts_match": {"ok": all(v["ok"] for v in counts.values()), "kinds": counts},
    }
