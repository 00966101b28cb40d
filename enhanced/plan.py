"""`sync --plan`: what a sync would meet, read-only. Per module: upstream records, how many
are new to Books (no mapping: at least one create each) and how many are already mapped
(written only if changed). Nothing is written to Books or the store."""

from __future__ import annotations

from typing import Any

from bridge.context import Context
from enhanced.setup import connection_row
from enhanced.sync import maps


def plan_sync(ctx: Context) -> dict[str, Any]:
    row = connection_row(ctx)
    projects = ctx.projects_of(row)
    upstream = [str(p["id"]) for p in projects.list_projects()]
    children: dict[str, list[str]] = {"task": [], "bug": [], "time_entry": []}
    reads = 1
    for pid in upstream:
        children["task"] += [str(t["id"]) for t in projects.list_tasks(pid)]
        children["bug"] += [str(b["id"]) for b in projects.list_bugs(pid)]
        children["time_entry"] += [str(log["id"]) for log in projects.list_timelogs(pid)]
        reads += 3
    out: dict[str, Any] = {}
    for module, kind, ids in (("projects", "project", upstream), ("tasks", "task", children["task"]),
                              ("bugs", "bug", children["bug"]), ("timesheets", "time_entry", children["time_entry"])):
        mapped = maps.load(ctx.store, row.id, kind)
        new = sum(1 for i in ids if i not in mapped)
        out[module] = {"upstream": len(ids), "new": new, "mapped": len(ids) - new}
    return {"modules": out, "read_calls_at_least": reads}
