"""E3, E4, E14: what a sync brings into Books, in what order, and that it is incremental."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bridge.domain import MODULE_ORDER
from bridge.store.tables import IdMap, SyncRun
from tests.enhanced.conftest import Control, books_writes, connect

pytestmark = pytest.mark.store


def _id_map(world: Any) -> list[tuple[Any, ...]]:
    with world.ctx.store.session() as s:
        return sorted(s.execute(select(IdMap.kind, IdMap.projects_id, IdMap.books_id, IdMap.fingerprint,
                                       IdMap.updated_at)).all())


def test_E4_sync_brings_projects_tasks_bugs_timesheets_in_module_order(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    report = integ.sync()
    assert list(report.counts) == [m.value for m in MODULE_ORDER]
    assert [e.reason_code for e in report.errors] == ["timesheet_not_billable"]  # the one non-billable log
    full = world.scenario["projects"]
    portal = full["portals"][0]["id"]
    pids = {p["id"] for p in full["projects"] if p["portal_id"] == portal}
    sc = {"projects": [p for p in full["projects"] if p["id"] in pids],
          "tasks": [t for t in full["tasks"] if t["project_id"] in pids],
          "bugs": [b for b in full.get("bugs", []) if b["project_id"] in pids],
          "timelogs": [t for t in full["timelogs"] if t["project_id"] in pids]}
    books = world.ctx.books
    projects = list(books.list_projects())
    assert {p["project_name"] for p in projects} == {p["name"] for p in sc["projects"]}
    names = {t["task_name"] for p in projects for t in books.list_tasks(p["project_id"])}
    assert {t["name"] for t in sc["tasks"]} <= names
    assert {f"[Bug] {b['title']}" for b in sc.get("bugs", [])} <= names
    wanted = [log for log in sc["timelogs"] if log.get("billable", True)
              and log.get("approval_status", "Approved") == "Approved" and (log.get("task_id") or log.get("bug_id"))]
    entries = list(books.list_time_entries())
    assert len(entries) == len(wanted)
    with world.ctx.store.session() as s:
        runs = s.execute(select(SyncRun.module).order_by(SyncRun.id)).scalars().all()
    assert runs == [m.value for m in MODULE_ORDER]


def test_E4_timesheet_users_not_in_books_arrive_as_inactive_timesheet_staff(make_world: Any) -> None:
    world = make_world("small-agency")
    connect(world).sync()
    sc = world.scenario
    books_emails = {u["email"].lower() for u in sc["books"]["users"]}
    loggers = {log["user_id"] for log in sc["projects"]["timelogs"]}
    outsiders = {u["email"].lower() for u in sc["projects"]["users"]
                 if u["id"] in loggers and u["email"].lower() not in books_emails}
    users = {u["email"].lower(): u for u in world.ctx.books.list_users()}
    for email in outsiders:
        assert users[email]["user_role"] == "timesheetstaff"
        assert users[email]["status"] == "inactive"


def test_E3_general_timesheets_and_cutoff_take_effect_at_next_sync(make_world: Any) -> None:
    world = make_world("general-timesheets")
    integ = connect(world)
    general = [log for log in world.scenario["projects"]["timelogs"]
               if not log.get("task_id") and not log.get("bug_id")]
    first = integ.sync()
    # switch off: general logs are not even listed (v3 lists one module type per call)
    assert general and not [e for e in world.ctx.books.list_time_entries() if e["task_name"] == "General"]
    assert first.counts["timesheets"]["fetched"] == len(world.scenario["projects"]["timelogs"]) - len(general)
    entries_before = len(list(world.ctx.books.list_time_entries()))
    import datetime as dt
    cutoff = dt.date(2025, 12, 1)
    integ.set_preferences(general_timesheets=True, cutoff_date=cutoff)
    assert len(list(world.ctx.books.list_time_entries())) == entries_before  # nothing until the sync
    integ.sync()
    entries = list(world.ctx.books.list_time_entries())
    assert len(entries) >= entries_before + len([g for g in general if g.get("billable", True)
                                                and g.get("approval_status", "Approved") == "Approved"])
    general_entries = [e for e in entries if e["task_name"] == "General"]
    assert general_entries


def test_E14_second_sync_writes_nothing(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    control = Control(world.sandbox)
    before_calls = books_writes(control.calls())
    before_rows = _id_map(world)
    report = integ.sync()
    assert books_writes(control.calls()) == before_calls
    assert _id_map(world) == before_rows
    assert all(c["created"] == 0 and c["updated"] == 0 for c in report.counts.values())


def test_E14_one_upstream_edit_updates_that_record_only(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    control = Control(world.sandbox)
    task = world.scenario["projects"]["tasks"][0]
    control.patch("projects", "tasks", task["id"], {"name": task["name"] + " (renamed)"})
    before = books_writes(control.calls())
    report = integ.sync()
    assert books_writes(control.calls()) == before + 1
    changed = {m: (c["created"], c["updated"]) for m, c in report.counts.items() if c["created"] or c["updated"]}
    assert changed == {"tasks": (0, 1)}


def _time_entries(world: Any) -> dict[str, str]:
    with world.ctx.store.session() as s:
        rows = s.execute(select(IdMap.projects_id, IdMap.books_id).where(IdMap.kind == "time_entry")).all()
    return {str(p): str(b) for p, b in rows}


def test_E14_one_log_edit_updates_that_time_entry_only(make_world: Any) -> None:
    """A re-sync tells an unchanged log by its fingerprint alone (it names the log): an edited
    log still gets its update, and only it."""
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    entries = _time_entries(world)
    log_id = min(entries)
    control = Control(world.sandbox)
    control.patch("projects", "timelogs", log_id, {"notes": "edited upstream"})
    before = books_writes(control.calls())
    report = integ.sync()
    assert books_writes(control.calls()) == before + 1
    changed = {m: (c["created"], c["updated"]) for m, c in report.counts.items() if c["created"] or c["updated"]}
    assert changed == {"timesheets": (0, 1)}
    books_entry = world.ctx.books.get_time_entry(entries[log_id])
    assert books_entry["notes"] == f"edited upstream [plog:{log_id}]"

