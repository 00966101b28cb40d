"""`sync --plan`: what a sync would meet, read-only. Per module: upstream records, how many
are new to Books (no mapping: at least one create each) and how many are already mapped
(written only if changed); and the calls the sync would make per service, with how long
they take under a Books plan's limits. Nothing is written to Books or the store."""

from __future__ import annotations

from typing import Any

from bridge.context import Context
from enhanced import preferences
from enhanced.budget import sync_budget
from enhanced.setup import connection_row
from enhanced.sync import maps
from enhanced.sync.maps import MapWriter
from enhanced.sync.state import SyncState


def plan_sync(ctx: Context, plan: str = "premium") -> dict[str, Any]:
    row = connection_row(ctx)
    with ctx.store.session() as s:
        prefs = preferences.load(s, row.id)
    now = ctx.clock.now()
    # the sync's own state, so the budget takes the sync's decisions; its writer is never flushed
    st = SyncState(ctx=ctx, conn=row, prefs=prefs, projects=ctx.projects_of(row), today=now.date(),
                   writer=MapWriter(ctx.store, row.id, now))
    listed: dict[str, list[str]] = {}
    budget = sync_budget(st, prefs, listed)
    upstream = [str(p["id"]) for p in st.upstream_projects()]
    for kind, lister in (("task", st.projects.list_tasks), ("bug", st.projects.list_bugs),
                         ("time_entry", st.projects.list_timelogs)):
        if kind not in listed:  # a module the preferences leave out: read it here
            listed[kind] = [str(r["id"]) for pid in upstream for r in lister(pid)]
    out: dict[str, Any] = {}
    for module, kind, ids in (("projects", "project", upstream), ("tasks", "task", listed["task"]),
                              ("bugs", "bug", listed["bug"]), ("timesheets", "time_entry", listed["time_entry"])):
        mapped = maps.load(ctx.store, row.id, kind)
        new = sum(1 for i in ids if i not in mapped)
        out[module] = {"upstream": len(ids), "new": new, "mapped": len(ids) - new}
    calls = budget.describe(plan)
    return {"modules": out, "read_calls_at_least": budget.projects, "calls": calls}
