"""`sync --plan`: what the next sync would do, writing nothing.

The plan runs the sync itself (enhanced/sync: the same modules in the same order, taking the
same decisions) with a `CountingWriter` in place of the Books writes and the store's id
maps (see enhanced/sync/writer.py). Reads of Projects and Books are real, and each call
they make is counted as it goes out. So the plan's calls are the run's calls: its reads
made, its writes counted. Nothing is written to Books or to the store (no id maps, sync
runs, errors or status).

Per module: the upstream records, how many are new to Books (no mapping yet: at least one
create each) and how many are already mapped (written only if changed); and the calls per
service, with how long they take under a Books plan's limits (bridge.call_budget).
"""

from __future__ import annotations

import re
from typing import Any

from bridge.call_budget import CallBudget
from bridge.clients import CallEvent
from bridge.context import Context
from bridge.domain import Module
from enhanced import preferences
from enhanced.setup import connection_row
from enhanced.status import latest_runs
from enhanced.sync import engine, maps
from enhanced.sync.common import Counts
from enhanced.sync.state import SyncState
from enhanced.sync.writer import CountingWriter

_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")


def plan_sync(ctx: Context, plan: str = "premium") -> dict[str, Any]:
    row = connection_row(ctx)
    with ctx.store.session() as s:
        prefs = preferences.load(s, row.id)
        previous = {m: r.status for m, r in latest_runs(s, row.id).items()}
    writer = CountingWriter(ctx.store, row.id)
    st = engine.sync_state(ctx, row, prefs, writer, previous, ctx.clock.now().date())
    st.seen = {}
    modules = engine.modules_of(prefs)
    budget = CallBudget()

    def count(event: CallEvent) -> None:
        if event.outcome != "found":  # a guard's find follows an attempt already counted
            budget.add(event.service.lower(), _ID_SEGMENT.sub("/{id}", event.call), 1)

    with ctx.books.http.recording(count), st.projects.http.recording(count):
        for module in modules:
            engine.run_module(st, module, Counts())
    for what, n in (writer.writes + writer.reads).items():
        budget.add("books", what, n)
    return {"modules": _records(ctx, st, modules), "read_calls_at_least": budget.projects,
            "calls": budget.describe(plan)}


def _records(ctx: Context, st: SyncState, modules: list[Module]) -> dict[str, dict[str, int]]:
    """Upstream, new and mapped records per module. The lists the sync read are reused; a
    module the preferences leave out is read here (calls the sync would not make: uncounted)."""
    assert st.seen is not None
    upstream = [str(p["id"]) for p in st.upstream_projects()]
    ids = {
        "project": upstream,
        "task": [str(t["id"]) for pid in upstream for t in st.tasks_of(pid)],
        "bug": st.seen.get("bug", []) if Module.BUGS in modules
        else [str(b["id"]) for pid in upstream for b in st.projects.list_bugs(pid)],
        "time_entry": st.seen.get("time_entry", []) if Module.TIMESHEETS in modules
        else [str(log["id"]) for pid in upstream for log in st.projects.list_timelogs(pid)],
    }
    out: dict[str, dict[str, int]] = {}
    for module, kind in (("projects", "project"), ("tasks", "task"), ("bugs", "bug"), ("timesheets", "time_entry")):
        mapped = maps.load(ctx.store, st.cid, kind)
        new = sum(1 for i in ids[kind] if i not in mapped)
        out[module] = {"upstream": len(ids[kind]), "new": new, "mapped": len(ids[kind]) - new}
    return out
