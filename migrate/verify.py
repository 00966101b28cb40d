"""M3/M4: verify a migration against what the legacy state implies.

Differences are reported record by record (kind, key, field, expected, found); an empty
list is the pass. The M4 invariants and the services' user-visible data are checked too.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
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
from bridge.verify import Difference, DiffStats, keyed_diff, row_diff
from migrate import upstream
from migrate.expected import (
    LEFT_OUT_FIELDS,
    Row,
    actual_batches,
    expected_batches,
    expected_connection,
    expected_left_outs,
    expected_preferences,
    left_out_keys,
    without_keys,
)
from migrate.kinds import BY_NAME, KINDS
from migrate.run import find_migration

MAX_LISTED = 1000
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

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "migration_id": self.migration_id, "difference_count": self.difference_count,
                "differences": [d.to_json() for d in self.differences], "invariants": self.invariants,
                "services": self.services, "stats": self.stats, "seconds": round(self.seconds, 3)}


def verify_migration(ctx: Context, *, batch: int = 5000, services: bool = True,
                     progress: Progress | None = None) -> VerifyReport:
    """`progress` hears of each kind's records compared (of the legacy records expected),
    then of the invariants and the services' snapshot."""
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
    left = left_out_keys(store, src, up)
    recorded = _recorded_left_outs(store, run.id)
    ledgers = Ledger.pair(recorded["transactions"])
    legacy_counts = {}
    for kind in KINDS:
        stats = DiffStats()
        legacy_counts[kind.name] = _count(store, kind.table, src)
        excluded = left.get(kind.name, {})
        src_seen, dst_seen = (ledgers[0].add, ledgers[1].add) if kind.name == "transactions" else (None, None)
        expected = expected_batches(store, kind, src, excluded, batch, run.id, seen=src_seen)
        actual = actual_batches(store, kind, dst, batch, seen=dst_seen)
        counted = _counted(expected, kind.name, legacy_counts[kind.name] - len(excluded), progress)
        # row_diff reads both sides to their end, so the ledgers see every row
        report.add(row_diff(kind.name, counted, actual, key_len=len(kind.key), fields=kind.compared, stats=stats))
        report.stats[kind.name] = stats.__dict__
    report.add(keyed_diff("left_out", expected_left_outs(left), _actual_left_outs(store, run.id)))
    progress(INVARIANTS, 0, 1)
    report.invariants = invariants(store, src, dst, recorded, legacy_counts, ledgers)
    progress(INVARIANTS, 1, 1)
    if services and run.services_before is not None:
        visible = sorted(set(_projects_of(store, src)) & set(up))
        now = upstream.services_snapshot(ctx, legacy, visible, progress)
        diff = DeepDiff(run.services_before, now)
        report.services = {"ok": not diff, "differences": diff.to_dict() if diff else {}}
    report.seconds = time.monotonic() - started
    return report


def _counted(batches: Iterator[list[Row]], task: str, total: int, progress: Progress) -> Iterator[list[Row]]:
    """The batches as they are, telling `progress` how many records went by."""
    done = 0
    progress(task, done, total)
    for records in batches:
        yield records
        done += len(records)
        progress(task, done, total)
    progress(task, done, max(total, done))


#: a transaction row's group (kind, project, customer, currency) and amount (its key is 2 columns)
_GROUP = itemgetter(0, *(2 + BY_NAME["transactions"].compared.index(f)
                         for f in ("project_id", "customer_id", "currency")))
_AMOUNT = itemgetter(2 + BY_NAME["transactions"].compared.index("total"))


@dataclass
class Ledger:
    """What the invariants need of one side's transactions, gathered from the rows the
    comparison reads (no second read): totals per kind, project, customer and currency,
    summed in Decimal (never in SQL), and the invoice ids. `skip`: keys not in the totals
    (the legacy records the run left out), sorted."""

    skip: list[tuple[str, ...]] = field(default_factory=list)
    totals: dict[tuple[str, ...], Decimal] = field(default_factory=dict)
    invoices: list[str] = field(default_factory=list)

    @classmethod
    def pair(cls, left_out: set[str]) -> tuple[Ledger, Ledger]:
        """The legacy side's (without what the run left out) and the target side's."""
        return cls(skip=sorted(tuple(k.split("/", 1)) for k in left_out)), cls()

    def add(self, rows: list[Row]) -> None:
        """A batch: its amounts gathered by group, then each group's summed in one go (in C)."""
        self.invoices.extend([row[1] for row in rows if row[0] == "invoice"])
        kept = without_keys(rows, 2, self.skip)
        amounts: dict[tuple[str, ...], list[str]] = {}
        for group, amount in zip(map(_GROUP, kept), map(_AMOUNT, kept), strict=True):
            amounts.setdefault(group, []).append(amount)
        for group, members in amounts.items():
            self.totals[group] = sum(map(Decimal, members), self.totals.get(group, Decimal()))

    def sums(self) -> dict[str, str]:
        """Totals by "kind|project|customer|currency" (a missing customer as "-")."""
        out: dict[str, Decimal] = {}
        for (kind, project, customer, currency), total in self.totals.items():
            name = f"{kind}|{project}|{customer or '-'}|{currency}"
            out[name] = out.get(name, Decimal()) + total
        return {k: str(v) for k, v in sorted(out.items())}


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


def invariants(store: Store, src: int, dst: int, left_by_kind: dict[str, set[str]], legacy_counts: dict[str, int],
               ledgers: tuple[Ledger, Ledger]) -> dict[str, dict[str, Any]]:
    """M4 over what the comparison gathered (`legacy_counts`, the transactions' `ledgers`),
    the left-outs the run recorded and a few aggregate queries."""
    with store.connect() as c:
        lines = InvoiceLineRow.__table__.c
        twice = c.execute(select(lines.task_id).where(lines.connection_id == dst, lines.task_id.is_not(None))
                          .group_by(lines.task_id).having(func.count(func.distinct(lines.invoice_id)) > 1)
                          ).scalars().all()
    legacy_invoices, target_invoices = set(ledgers[0].invoices), ledgers[1].invoices
    left_invoices = {k.split("/", 1)[1] for k in left_by_kind["transactions"] if k.startswith("invoice/")}
    counts = {}
    for kind in KINDS:
        legacy_n, target_n, left_n = (legacy_counts[kind.name], _count(store, kind.table, dst),
                                      len(left_by_kind[kind.name]))
        counts[kind.name] = {"legacy": legacy_n, "enhanced": target_n, "left_out": left_n,
                             "ok": legacy_n == target_n + left_n}
    before, after = ledgers[0].sums(), ledgers[1].sums()
    totals_diff = DeepDiff(before, after) if before != after else None
    once = (len(target_invoices) == len(set(target_invoices))
            and set(target_invoices) | left_invoices == legacy_invoices
            and not (set(target_invoices) & left_invoices))
    return {
        "every_invoice_exactly_once": {"ok": once, "legacy": len(legacy_invoices),
                                       "enhanced": len(target_invoices), "left_out": len(left_invoices)},
        "totals_unchanged": {"ok": not totals_diff, "groups": len(before),
                             "differences": totals_diff.to_dict() if totals_diff else {}},
        "no_task_billed_twice": {"ok": not twice, "tasks": sorted(twice)[:50]},
        "counts_match": {"ok": all(v["ok"] for v in counts.values()), "kinds": counts},
    }
