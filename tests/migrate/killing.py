"""The kill harness (M5): `migrate run` and `migrate rollback` killed (SIGKILL) at spread
points, then run again, end in the very state an uninterrupted one ends in.

Every attempt starts from its own copy of one saved starting point (the store, the sandbox
and the secrets file), so attempts are independent and all compare with one reference: the
same command, uninterrupted, from another copy. A kill point is either a record count
(`migrate.run.KILL_ENV`: mid-batch, before its commit) or a step (`migrate.faults`: right
after a commit, or inside a transaction before it commits). The attempt runs in a forked
child that SIGKILLs itself there; the command is then run again in this process.

What is compared is `tests.migrate.store_dump.dump()`: every table of the store but the
bookkeeping, made-up ids ranked, the commands' clock instants normalized (each command gets
an instant of its own, apart from the data's times), plus the secrets file's connection keys
and the services' records (a rollback withdraws time in Books). Used by
tests/migrate/test_kill_harness.py (a few points) and bench/kill_harness.py.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import tempfile
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from bridge.clock import FakeClock
from bridge.context import Context
from bridge.modes import open_integration
from bridge.scenarios.driver import run_scenario
from bridge.scenarios.replay import replay, upstream_client
from bridge.secrets import FileSecrets
from bridge.store import Store
from bridge.store.tables import Base
from bridge.targets import scenario_clock
from migrate.faults import STEP_ENV
from migrate.rollback import rollback_migration
from migrate.run import KILL_ENV, run_migration
from migrate.verify import verify_migration
from sandbox import Sandbox
from sandbox.wiring import sandbox_context
from tests.migrate.store_dump import SANDBOX_FILE, SECRETS_FILE, dump, first_differences

T = TypeVar("T")
STORE_FILE = "state.db"


# -- copies of a saved starting point -----------------------------------------------------

class Copies:
    """Copies of a store. SQLite: a file each (the backup API, WAL included). PostgreSQL:
    databases made once from the first source as a template and then reused, each reset to
    the source it is to copy (every table truncated and reloaded, every sequence set as the
    source has it): creating and dropping a database per attempt costs more than the
    attempt."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pg = url.startswith("postgresql")
        self.made: list[str] = []
        self._free: list[str] = []
        self._snapshots: dict[str, _Snapshot] = {}

    def copy(self, src_url: str, dest_dir: Path) -> str:
        if not self.pg:
            dest = dest_dir / STORE_FILE
            _sqlite_copy(Path(make_url(src_url).database or ""), dest)
            url = f"sqlite:///{dest}"
            self.made.append(url)
            return url
        if src_url not in self._snapshots:
            self._snapshots[src_url] = _Snapshot.read(src_url)
        if self._free:
            url = self._free.pop()
            self._snapshots[src_url].load(url)
        else:
            src = make_url(src_url)
            name = f"{src.database}_k{uuid.uuid4().hex[:8]}"
            with self._admin() as c:
                c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{src.database}"'))
            url = src.set(database=name).render_as_string(hide_password=False)
            self.made.append(url)
        return url

    def drop(self, url: str) -> None:
        """Done with a copy (a PostgreSQL one waits for the next `copy`)."""
        if self.pg:
            self._free.append(url)
        elif url in self.made:
            self.made.remove(url)

    def drop_all(self) -> None:
        if self.pg:
            with self._admin() as c:
                for url in self.made:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        self.made.clear()
        self._free.clear()

    @contextmanager
    def _admin(self) -> Iterator[Any]:
        engine = create_engine(make_url(self.url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as c:
                yield c
        finally:
            engine.dispose()


@dataclass
class _Snapshot:
    """A PostgreSQL store's rows and sequences, to load into another database at head."""

    rows: dict[str, list[dict[str, Any]]]
    sequences: dict[str, int | None]

    @classmethod
    def read(cls, url: str) -> _Snapshot:
        engine = create_engine(url)
        try:
            with engine.connect() as c:
                names = set(inspect(c).get_table_names()) - {"alembic_version"}
                unknown = names - set(Base.metadata.tables)
                assert not unknown, f"tables a copy would not carry: {unknown}"
                rows = {t.name: [dict(r._mapping) for r in c.execute(select(t))]
                        for t in Base.metadata.sorted_tables if t.name in names}
                seqs = {name: value for name, value in c.execute(text(
                    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"))}
        finally:
            engine.dispose()
        return cls(rows, seqs)

    def load(self, url: str) -> None:
        engine = create_engine(url)
        try:
            with engine.begin() as c:
                c.execute(text("TRUNCATE " + ", ".join(f'"{name}"' for name in self.rows)))
                for table in Base.metadata.sorted_tables:
                    if self.rows.get(table.name):
                        c.execute(table.insert(), self.rows[table.name])
                for name, value in self.sequences.items():
                    c.execute(text("SELECT setval(:s, :v, :called)"),
                              {"s": name, "v": value or 1, "called": value is not None})
        finally:
            engine.dispose()


def _sqlite_copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(src) as a, sqlite3.connect(dest) as b:
        a.backup(b)
    a.close()
    b.close()


@dataclass
class Place:
    """One copy: a store and a home folder holding the sandbox and the secrets file."""

    url: str
    home: Path
    services_clock: dt.datetime

    @contextmanager
    def context(self, instant: dt.datetime) -> Iterator[Context]:
        """A Context on this copy whose clock stands at `instant` (the services keep theirs)."""
        sandbox = Sandbox(self.home / SANDBOX_FILE, clock=FakeClock(self.services_clock))
        store = Store.open(self.url)
        try:
            yield sandbox_context(sandbox, store, clock=FakeClock(instant),
                                  secrets=FileSecrets(self.home / SECRETS_FILE))
        finally:
            store.close()
            sandbox.close()


@dataclass
class Harness:
    """Kill a command at points, run it again, and compare with an uninterrupted run."""

    start: Place
    work: Path
    copies: Copies
    #: the commands' clock instants: one each, apart from the data's times
    first_instant: dt.datetime
    instants: list[dt.datetime] = field(default_factory=list)

    def instant(self) -> dt.datetime:
        moment = self.first_instant + dt.timedelta(seconds=len(self.instants))
        self.instants.append(moment)
        return moment

    def copy(self, src: Place) -> Place:
        self.work.mkdir(parents=True, exist_ok=True)
        home = Path(tempfile.mkdtemp(dir=self.work, prefix="copy-"))
        shutil.copytree(src.home, home, ignore=shutil.ignore_patterns(f"{STORE_FILE}*", f"{SANDBOX_FILE}*"),
                        dirs_exist_ok=True)
        _sqlite_copy(src.home / SANDBOX_FILE, home / SANDBOX_FILE)
        return Place(self.copies.copy(src.url, home), home, src.services_clock)

    def discard(self, place: Place) -> None:
        self.copies.drop(place.url)
        shutil.rmtree(place.home, ignore_errors=True)

    def run(self, place: Place, command: Callable[[Context], T]) -> T:
        with place.context(self.instant()) as ctx:
            return command(ctx)

    def dump(self, place: Place) -> dict[str, Any]:
        store = Store.open(place.url, upgrade=False)
        try:
            return dump(store, place.home, self.instants)
        finally:
            store.close()

    def killed(self, place: Place, command: Callable[[Context], Any], env: Mapping[str, str]) -> int:
        """Run `command` on `place` in a forked child with `env` set; its exit code (-9 when
        the kill point was reached, 3 when it finished first, 4 when it failed)."""
        instant = self.instant()
        pid = os.fork()
        if pid == 0:  # the child: its own store and sandbox connections, then a real SIGKILL
            code = 3
            try:
                os.environ.update(env)
                with place.context(instant) as ctx:
                    command(ctx)
            except BaseException:  # noqa: BLE001 - the parent sees the code; the error goes to stderr
                traceback.print_exc()
                code = 4
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)


@dataclass
class Figures:
    """What one command's kill points did."""

    command: str
    points: int = 0
    kills: int = 0
    resumes: int = 0
    already: int = 0  # the run again found the command already finished (killed after its end)
    equal: int = 0
    verified: int = 0
    unequal: list[str] = field(default_factory=list)
    #: kill point -> where its dump differed from the reference (first tables)
    differences: dict[str, list[str]] = field(default_factory=dict)

    def line(self) -> str:
        return (f"{self.command}: {self.points} kill points, {self.kills} kills, {self.resumes} resumes "
                f"({self.already} found it already done), {self.equal} equal dumps"
                + (f", {self.verified} verified" if self.command == "run" else "")
                + (f"; UNEQUAL at {', '.join(self.unequal)}" if self.unequal else ""))


def attempt(figures: Figures, harness: Harness, start: Place, reference: dict[str, Any], name: str,
            env: Mapping[str, str], command: Callable[[Context], Any],
            again: Callable[[Context], tuple[bool, bool]], check: Callable[[Context], bool] | None = None) -> int:
    """Copy `start`, kill `command` there at the point `env` names, run `again` (which says
    whether it finished and whether it found the work already done), compare the dump with
    `reference`; the child's exit code (-9 killed, 3 finished before the point)."""
    figures.points += 1
    place = harness.copy(start)
    try:
        code = harness.killed(place, command, env)
        assert code in (-signal.SIGKILL, 3), f"{figures.command} at {name}: the child exited {code}"
        figures.kills += code == -signal.SIGKILL
        finished, already = harness.run(place, again)
        figures.resumes += finished
        figures.already += already
        if check is not None and harness.run(place, check):
            figures.verified += 1
        found = harness.dump(place)
        if found == reference:
            figures.equal += 1
        else:
            figures.unequal.append(name)
            figures.differences[name] = first_differences(reference, found)
        return code
    finally:
        harness.discard(place)


def steps_until_done(attempt_at: Callable[[str, Mapping[str, str]], int], steps: Iterable[int] | None) -> None:
    """The given steps, or (None) every step from the first until one finishes unkilled."""
    if steps is not None:
        for n in steps:
            attempt_at(f"step {n}", {STEP_ENV: str(n)})
        return
    n = 0
    while True:
        n += 1
        if attempt_at(f"step {n}", {STEP_ENV: str(n)}) != -signal.SIGKILL:
            return


# -- the two commands -------------------------------------------------------------------

def build_legacy(url: str, home: Path, scenario: dict[str, Any]) -> Place:
    """A legacy state built as users build one (seed the sandbox, replay the scenario
    through the legacy integration), kept in `url` and `home` (connections closed)."""
    home.mkdir(parents=True, exist_ok=True)
    clock = FakeClock(scenario_clock(scenario))
    sandbox = Sandbox(home / SANDBOX_FILE, clock=clock)
    store = Store.open(url)
    try:
        sandbox.seed(scenario)
        ctx = sandbox_context(sandbox, store, clock=clock, secrets=FileSecrets(home / SECRETS_FILE))
        replay(scenario, open_integration("legacy", ctx), ctx)
    finally:
        store.close()
        sandbox.close()
    return Place(url, home, scenario_clock(scenario))


def kill_run(harness: Harness, start: Place, *, batch: int, records: int | Iterable[int],
             steps: Iterable[int] | None = None) -> Figures:
    """`migrate run` killed at record counts (`records` of them spread over all, or these)
    and at steps, each resumed, verified and compared with an uninterrupted run."""
    def command(ctx: Context) -> None:
        run_migration(ctx, batch=batch, services=False)

    def again(ctx: Context) -> tuple[bool, bool]:
        summary = run_migration(ctx, batch=batch, services=False)
        return summary.state == "done", summary.already_done

    def check(ctx: Context) -> bool:
        return verify_migration(ctx, batch=batch, services=False).ok

    figures = Figures("run")
    ref = harness.copy(start)
    summary = harness.run(ref, lambda ctx: run_migration(ctx, batch=batch, services=False))
    reference = harness.dump(ref)
    harness.discard(ref)
    points = spread(summary.records, records) if isinstance(records, int) else list(records)

    def attempt_at(name: str, env: Mapping[str, str]) -> int:
        return attempt(figures, harness, start, reference, name, env, command, again, check)

    for n in points:
        attempt_at(f"record {n}", {KILL_ENV: str(n)})
    steps_until_done(attempt_at, steps)
    return figures


def afterwards(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the enhanced integration does between the migration and its rollback: the
    scenario's `after_migration` up to its rollback, else re-enable and sync."""
    ops = list(scenario.get("after_migration", ()))
    if ops:
        return [dict(op) for op in ops[:next((i for i, op in enumerate(ops) if op["op"] == "rollback"), len(ops))]]
    portal = next(p["id"] for p in scenario["projects"]["portals"])
    return [{"op": "reenable", "portal_id": portal}, {"op": "sync"}]


def migrated(harness: Harness, start: Place, scenario: dict[str, Any], *, batch: int) -> Place:
    """A copy of `start` migrated, then used by the enhanced integration (`afterwards`)."""
    def go(ctx: Context) -> None:
        run_migration(ctx, batch=batch, services=False)
        run_scenario({**scenario, "operations": afterwards(scenario)}, open_integration("enhanced", ctx),
                     upstream_client(ctx, scenario))

    place = harness.copy(start)
    harness.run(place, go)
    return place


def kill_rollback(harness: Harness, start: Place, *, steps: Iterable[int] | None = None) -> Figures:
    """`migrate rollback` of the migration in `start` killed at steps (these, or every one),
    run again, and compared with an uninterrupted rollback."""
    def again(ctx: Context) -> tuple[bool, bool]:
        out = rollback_migration(ctx)
        return out["state"] == "rolled_back", bool(out["already_rolled_back"])

    figures = Figures("rollback")
    ref = harness.copy(start)
    harness.run(ref, rollback_migration)
    reference = harness.dump(ref)
    harness.discard(ref)

    def attempt_at(name: str, env: Mapping[str, str]) -> int:
        return attempt(figures, harness, start, reference, name, env, rollback_migration, again)

    steps_until_done(attempt_at, steps)
    return figures


def spread(total: int, count: int) -> list[int]:
    """`count` points from 1 to `total`, evenly spread, both ends included."""
    if count >= total:
        return list(range(1, total + 1))
    if count <= 1:
        return [total]
    return sorted({1 + round(i * (total - 1) / (count - 1)) for i in range(count)})
