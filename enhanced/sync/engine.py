"""E4: one sync = the chosen modules in dependency order (MODULE_ORDER), one SyncRun each.

All module runs are written `in_progress` (holder host:pid) before the first starts, so any
process asking for status sees "Sync in Progress" (E5). A cross-process lock keeps two syncs
of one connection apart; whoever takes it knows any `in_progress` run left over belongs to
a process that died, marks it interrupted (ended_at empty), and lets the modules of that
run look for records it created but never mapped (see common.Finder).

A module that completes settles its errors (new ones added, fixed ones resolved). A module
that raises flushes the mappings of what it already wrote, is marked failed, and the sync
stops: later modules depend on it. A Ctrl-C (KeyboardInterrupt) flushes the same way and
marks the module it stopped `interrupted`; the runs of the modules it never reached are
dropped, so they keep showing what their last real run left.

`sync_state` and `run_module` are the sync itself, shared with `sync --plan`
(enhanced/plan.py), which runs them with a writer that writes nothing; everything else
here (the lock, the module runs, the errors) is a run's bookkeeping, which a plan skips.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import delete, select, update

from bridge.context import Context
from bridge.domain import MODULE_ORDER, Module, ModuleState, SyncFailure, SyncReport
from bridge.progress import Progress, no_progress
from bridge.store import repo
from bridge.store.locks import NamedLock
from bridge.store.tables import ConnectionRow, SyncRun
from enhanced import preferences, sync_errors
from enhanced.status import holder_name, latest_runs
from enhanced.sync import bugs, projects, tasks, timesheets, user_rates, users
from enhanced.sync.common import Counts
from enhanced.sync.state import SyncState
from enhanced.sync.writer import BooksWriter, Writer

MODE = "enhanced"
#: the status of a module run a Ctrl-C stopped, or whose process died (enhanced.status)
INTERRUPTED = ModuleState.INTERRUPTED.value

ModuleRun = Callable[[SyncState, Counts], list[SyncFailure]]
MODULES: dict[Module, ModuleRun] = {
    Module.PROJECTS: projects.run,
    Module.USERS: users.run,
    Module.TASKS: tasks.run,
    Module.BUGS: bugs.run,
    Module.TIMESHEETS: timesheets.run,
    Module.USER_RATES: user_rates.run,
}
#: the id-map kinds each module creates Books records for
KINDS: dict[Module, tuple[str, ...]] = {
    Module.PROJECTS: ("customer", "project"),
    Module.USERS: ("user", "project_user"),
    Module.TASKS: ("task",),
    Module.BUGS: ("bug",),
    Module.TIMESHEETS: ("user", "project_user", "general_task", "time_entry"),
    Module.USER_RATES: ("user_rate",),
}


def lock_name(connection_id: int) -> str:
    return f"enhanced-sync:{connection_id}"


def modules_of(prefs: preferences.Prefs) -> list[Module]:
    """The modules a sync runs: the chosen ones, in dependency order (E4)."""
    return [m for m in MODULE_ORDER if prefs.wants(m)]


def sync_state(ctx: Context, row: ConnectionRow, prefs: preferences.Prefs, writer: Writer,
               previous: Mapping[str, str], today: dt.date) -> SyncState:
    """The state one sync carries; `previous`: each module's last run status. A run whose
    process died (left `in_progress`) or that was interrupted is reconciled, as a failed one."""
    st = SyncState(ctx=ctx, conn=row, prefs=prefs, projects=ctx.projects_of(row), today=today, writer=writer)
    st.reconcile = {k for m in MODULE_ORDER for k in KINDS[m]
                    if previous.get(m.value) in (ModuleState.FAILED, ModuleState.IN_PROGRESS, INTERRUPTED)}
    return st


def run_module(st: SyncState, module: Module, counts: Counts) -> list[SyncFailure]:
    """One module; then the next ones see the ids it wrote and the records it failed."""
    failures = MODULES[module](st, counts)
    st.writer.flush()
    st.failed[module.value] = {f.record_id: f.reason_code for f in failures}
    return failures


def run_sync(ctx: Context, progress: Progress | None = None) -> SyncReport:
    with ctx.store.session() as s:
        row = repo.live_connection(s, MODE)
        repo.require_enabled(row)
        prefs = preferences.load(s, row.id)
    with NamedLock(ctx.store, lock_name(row.id), ctx.clock), rare_collections():
        return _locked(ctx, row, prefs, progress)


#: the cyclic collector's first threshold during a sync (Python's default: 700)
SYNC_GC_THRESHOLD = 10_000


class _RareCollections:
    """The process's cyclic-collector thresholds, raised while at least one sync runs: syncs
    on several threads (a fleet worker's organizations) share them, so the first to start
    saves them and the last to end puts them back, whatever order they end in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._running == 0:
                self._saved = gc.get_threshold()
                first, second, third = self._saved
                gc.set_threshold(max(first, SYNC_GC_THRESHOLD), second, third)
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    gc.set_threshold(*self._saved)


#: The cyclic garbage collector runs far less often while a sync runs. What a sync
#: allocates either dies by reference count (pages, payloads) or lives for the whole sync
#: (id maps of up to hundreds of thousands of rows, listings), so each collection re-scans
#: live objects and frees next to nothing: about a tenth of a re-sync's CPU at portal size
#: (scale 0.1: 0.2 s of collections in each sync, 0.02 s this way).
rare_collections = _RareCollections()


def _locked(ctx: Context, row: ConnectionRow, prefs: preferences.Prefs, progress: Progress | None) -> SyncReport:
    now = ctx.clock.now()
    modules = modules_of(prefs)
    with ctx.store.session() as s:
        # we hold the lock: an in_progress run is one whose process died
        s.execute(update(SyncRun).where(SyncRun.connection_id == row.id,
                                        SyncRun.status == ModuleState.IN_PROGRESS.value)
                  .values(status=INTERRUPTED))
        previous = latest_runs(s, row.id)
        runs = {m: SyncRun(connection_id=row.id, module=m.value, started_at=now, status=ModuleState.IN_PROGRESS.value,
                           holder=holder_name()) for m in modules}
        s.add_all(runs.values())
        s.flush()
        run_ids = {m: r.id for m, r in runs.items()}
    st = sync_state(ctx, row, prefs, BooksWriter(ctx.books, ctx.store, row.id, now),
                    {m: r.status for m, r in previous.items()}, now.date())
    shown: dict[str, tuple[int, int | None]] = {}
    st.progress = _remembered(progress or no_progress, shown)
    report_counts: dict[str, dict[str, int]] = {}
    report_errors: list[SyncFailure] = []
    for i, module in enumerate(modules):
        counts = Counts()
        _mark_started(ctx, run_ids[module])
        st.progress(module.value, 0, None)  # shown as it starts, before its first project
        try:
            failures = run_module(st, module, counts)
        except BaseException as exc:
            _abort(ctx, st, [run_ids[m] for m in modules[i:]], counts, interrupted=isinstance(exc, KeyboardInterrupt))
            raise
        _finish(ctx, row.id, module, run_ids[module], counts, failures)
        done, total = shown.get(module.value, (0, None))
        if total is None:  # it never said how many: it is done with what it had
            st.progress(module.value, done, done)
        report_counts[module.value] = {**counts.as_dict(), "failed": len(failures)}
        report_errors.extend(failures)
    return SyncReport(counts=report_counts, errors=tuple(report_errors))


def _mark_started(ctx: Context, run_id: int) -> None:
    with ctx.store.session() as s:
        s.execute(update(SyncRun).where(SyncRun.id == run_id).values(started_at=ctx.clock.now()))


def _finish(ctx: Context, connection_id: int, module: Module, run_id: int, counts: Counts,
            failures: list[SyncFailure]) -> None:
    now = ctx.clock.now()
    with ctx.store.session() as s:
        sync_errors.settle(s, connection_id, module.value, run_id, failures, now)
        s.execute(update(SyncRun).where(SyncRun.id == run_id).values(
            status=ModuleState.SYNCED.value, ended_at=now, failed=len(failures), **counts.as_dict()))


def _abort(ctx: Context, st: SyncState, run_ids: list[int], counts: Counts, *, interrupted: bool = False) -> None:
    """Keep the mappings of what was written, and say which runs did not complete: after an
    error, the module's and the later ones' (failed); after a Ctrl-C, the module's
    (interrupted), the later ones never having started (their runs are dropped)."""
    try:
        st.writer.flush()
    finally:
        now = ctx.clock.now()
        with ctx.store.session() as s:
            s.execute(update(SyncRun).where(SyncRun.id == run_ids[0]).values(
                status=INTERRUPTED if interrupted else ModuleState.FAILED.value, ended_at=now, **counts.as_dict()))
            later = SyncRun.id.in_(run_ids[1:])
            if interrupted:
                s.execute(delete(SyncRun).where(later))
            else:
                s.execute(update(SyncRun).where(later).values(status=ModuleState.FAILED.value, ended_at=now))


def _remembered(progress: Progress, shown: dict[str, tuple[int, int | None]]) -> Progress:
    """`progress`, remembering the last count of each module in `shown`."""
    def report(task: str, done: int, total: int | None) -> None:
        shown[task] = (done, total)
        progress(task, done, total)
    return report


def running(ctx: Context, connection_id: int) -> list[SyncRun]:
    with ctx.store.session() as s:
        return list(s.execute(select(SyncRun).where(
            SyncRun.connection_id == connection_id, SyncRun.status == ModuleState.IN_PROGRESS.value)).scalars())
