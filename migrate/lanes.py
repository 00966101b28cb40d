"""Verify's record comparison, cut by key into lanes that run side by side.

Verify reads both sides whole, and at a million records most of its time is the database
driver handing rows to Python, which one process does on one core. So each kind's keys are
cut into `lanes` ranges of about equal legacy counts; lane 0 runs in this process, every
other lane in a process of its own (a fresh interpreter, nothing inherited: each opens the
store by its URL and only reads). A lane compares its range of every kind exactly as one
process compares the whole (`bridge.verify.row_diff`) and sends back its differences,
statistics and the transactions' ledgers. The ranges partition each kind's keys on both sides, so the merged
result is the one-process result: the same differences in the same order (every record,
missing and extra ones included, falls in exactly one range).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Self

from sqlalchemy import select

from bridge.errors import BridgeError, InputError
from bridge.progress import Progress
from bridge.store import Store
from bridge.store.keyset import ordered
from bridge.verify import Difference, DiffStats, row_diff
from migrate.expected import WHOLE, Row, Span, actual_batches, expected_batches
from migrate.kinds import KINDS, Kind
from migrate.ledger import Ledger

#: differences listed per kind and lane (all are counted); the report keeps this many in all
MAX_LISTED = 1000
#: automatic lanes: one per core, at most this many, and at least this many records per lane
#: (a lane's process takes about half a second to start)
MAX_AUTO_LANES = 4
RECORDS_PER_LANE = 200_000

#: a lane hears of each batch of legacy rows it compared: (kind, rows)
Tell = Callable[[str, int], None]


@dataclass(frozen=True)
class Job:
    """One lane's share of the comparison, as a process receives it (picklable)."""

    src: int
    dst: int
    migration_id: str
    batch: int
    #: kind -> the legacy keys the run must have left out (and why)
    excluded: dict[str, dict[tuple[Any, ...], str]]
    #: the transaction keys the run recorded as left out ("kind/books_id"): not in the ledger
    left_transactions: set[str]
    #: kind -> the keys this lane compares; a kind absent here has no record in this lane
    spans: dict[str, Span]


@dataclass
class KindResult:
    differences: list[Difference] = field(default_factory=list)
    count: int = 0
    stats: DiffStats = field(default_factory=DiffStats)


@dataclass
class LaneResult:
    kinds: dict[str, KindResult]
    ledgers: tuple[Ledger, Ledger]


def lane_count(store: Store, records: int, workers: int | None) -> int:
    """`workers` if given, else one lane per core (at most MAX_AUTO_LANES) while each gets at
    least RECORDS_PER_LANE records. A store only this process can open has one lane."""
    if not _shared(store):
        if workers is not None and workers > 1:
            raise InputError(f"--workers {workers}: the store is in this process's memory, which no "
                             "other process can read", hint="give --db a file or a server, or use --workers 1")
        return 1
    if workers is not None:
        return max(1, workers)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_AUTO_LANES, records // RECORDS_PER_LANE))


def _shared(store: Store) -> bool:
    url = store.engine.url
    if store.dialect != "sqlite":
        return True
    return url.database not in (None, "", ":memory:") and url.query.get("mode") != "memory"


def spans(store: Store, kind: Kind, source: int, records: int, lanes: int) -> list[Span | None]:
    """`lanes` consecutive key ranges of `kind`, cut at legacy keys so that each holds about
    `records / lanes` legacy records; the first and last are open, so the target's records
    outside the legacy keys fall in one of them too. None: a lane with nothing of the kind."""
    if lanes == 1 or records < lanes:
        return [WHOLE, *([None] * (lanes - 1))]
    cols = ordered(kind.table, kind.key, store.dialect)
    cuts: list[tuple[Any, ...]] = []
    with store.connect() as c:
        for i in range(1, lanes):
            q = (select(*cols).where(kind.table.c.connection_id == source).order_by(*cols)
                 .offset(records * i // lanes - 1).limit(1))
            row = c.execute(q).first()
            if row is None:  # fewer records than counted: the lanes cut so far cover the rest
                break
            cuts.append(tuple(row))
    bounds = [None, *cuts, None]
    found: list[Span | None] = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    return found + [None] * (lanes - len(found))


class Lanes:
    """`count` lanes: this process, and `count - 1` processes started at once, so that their
    interpreters load while the caller works out the jobs. Stops them on leaving."""

    def __init__(self, store: Store, count: int) -> None:
        self.store = store
        self.others: list[_Lane] = []
        try:
            for _ in range(count - 1):
                self.others.append(_start())
        except BaseException:
            self.__exit__()
            raise

    @property
    def count(self) -> int:
        return 1 + len(self.others)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        for lane in self.others:
            lane.stop()

    def compare(self, jobs: list[Job], totals: dict[str, int], progress: Progress) -> list[LaneResult]:
        """Run one job per lane (the first here) and return their results in lane order.
        `progress` hears, per kind, of the legacy records compared by all lanes together, of
        `totals` expected."""
        done = dict.fromkeys(totals, 0)

        def tell(kind: str, rows: int) -> None:
            done[kind] += rows
            progress(kind, done[kind], max(totals[kind], done[kind]))

        def tell_here(kind: str, rows: int) -> None:
            tell(kind, rows)
            _hear(self.others, tell, block=False)

        for kind, total in totals.items():
            progress(kind, 0, total)
        # the URL may hold a password: it goes through the pipe, never on a command line
        url = self.store.engine.url.render_as_string(hide_password=False)
        for lane, job in zip(self.others, jobs[1:], strict=True):
            lane.send(url, job)
        results = [run_lane(self.store, jobs[0], tell_here)]
        while any(lane.result is None for lane in self.others):
            _hear(self.others, tell, block=True)
        results.extend(lane.result for lane in self.others if lane.result is not None)
        return results


def run_lane(store: Store, job: Job, tell: Tell) -> LaneResult:
    """Compare this lane's range of every kind, kind after kind."""
    ledgers = Ledger.pair(job.left_transactions)
    kinds: dict[str, KindResult] = {}
    for kind in KINDS:
        span = job.spans.get(kind.name)
        if span is None:
            continue
        seen = (ledgers[0].add, ledgers[1].add) if kind.name == "transactions" else (None, None)
        expected = expected_batches(store, kind, job.src, job.excluded.get(kind.name, {}), job.batch,
                                    job.migration_id, seen=seen[0], span=span)
        actual = actual_batches(store, kind, job.dst, job.batch, seen=seen[1], span=span)
        result = kinds[kind.name] = KindResult()
        # row_diff reads both sides to their end, so the ledgers see every row
        for diff in row_diff(kind.name, _told(expected, kind.name, tell), actual, key_len=len(kind.key),
                             fields=kind.compared, stats=result.stats):
            result.count += 1
            if len(result.differences) < MAX_LISTED:
                result.differences.append(diff)
    return LaneResult(kinds, ledgers)


def _told(batches: Iterator[list[Row]], kind: str, tell: Tell) -> Iterator[list[Row]]:
    for rows in batches:
        yield rows
        tell(kind, len(rows))


class _Lane:
    """A lane in a process of its own (`python -m migrate.lane_process`), and the read end of
    the pipe it answers on. Not multiprocessing's spawn: that runs the caller's main module
    again in the child, which a script without a `__main__` guard cannot survive."""

    def __init__(self, process: subprocess.Popen[bytes], pipe: Connection) -> None:
        self.process, self.pipe = process, pipe
        self.result: LaneResult | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait()
        self.pipe.close()

    def send(self, url: str, job: Job) -> None:
        assert self.process.stdin is not None
        try:
            with self.process.stdin:
                self.process.stdin.write(pickle.dumps((url, job)))
        except BrokenPipeError:
            raise self.died() from None

    def died(self) -> BridgeError:
        return BridgeError(f"a verify lane's process ended without an answer (exit code {self.process.wait()})",
                           hint="run `bpbridge migrate verify --workers 1` to verify in this process")


def _start() -> _Lane:
    read, write = os.pipe()
    here = str(Path(__file__).resolve().parent.parent)  # the folder `migrate` is imported from
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (here, os.environ.get("PYTHONPATH"))))}
    try:
        process = subprocess.Popen([sys.executable, "-m", "migrate.lane_process", str(write)],
                                   stdin=subprocess.PIPE, pass_fds=(write,), env=env)
    finally:
        os.close(write)
    return _Lane(process, Connection(read, writable=False))


def _hear(lanes: list[_Lane], tell: Tell, *, block: bool) -> None:
    """Take in what the lanes have sent: progress, a result, or an error (raised here)."""
    waiting = [lane for lane in lanes if lane.result is None]
    if not waiting:
        return
    ready = wait([lane.pipe for lane in waiting], timeout=None if block else 0)
    for lane in (lane for lane in waiting if lane.pipe in ready):
        _take(lane, tell)
        while lane.result is None and lane.pipe.poll():
            _take(lane, tell)


def _take(lane: _Lane, tell: Tell) -> None:
    try:
        message = lane.pipe.recv()
    except EOFError:
        raise lane.died() from None
    match message:
        case ("seen", str(kind), int(rows)):
            tell(kind, rows)
        case ("done", LaneResult() as result):
            lane.result = result
        case ("error", BaseException() as error):
            raise error
        case _:  # never sent: waiting on would hang
            raise BridgeError(f"a verify lane sent what no lane sends: {type(message).__name__}")


def serve(answer: Connection, url: str, job: Job) -> None:
    """A lane's process: open the store (no schema change, no new file), compare, answer on
    `answer`, close."""
    try:
        store = Store.open(url, upgrade=False, create=False)
        try:
            result = run_lane(store, job, lambda kind, rows: answer.send(("seen", kind, rows)))
        finally:
            store.close()
        answer.send(("done", result))
    except BaseException as exc:  # noqa: BLE001 -- every failure goes back to the parent, which raises it
        answer.send(("error", _portable(exc)))
    finally:
        answer.close()


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives the pipe, else one that says what it was."""
    try:
        copy: BaseException = pickle.loads(pickle.dumps(exc))  # our own object, just made
        return copy
    except Exception:  # noqa: BLE001 -- any exception that does not pickle
        return BridgeError(f"a verify lane failed: {type(exc).__name__}: {exc}")
