"""E5, E7: per-module status (also from another process while a sync runs) and history."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import Any

import pytest

from bridge.domain import MODULE_ORDER
from tests.enhanced.conftest import connect

pytestmark = pytest.mark.store

STATUS_SCRIPT = """
import sys
from bridge.store import Store, repo
from enhanced.status import module_statuses
store = Store.open(sys.argv[1])
with store.session() as s:
    row = repo.latest_connection(s, "enhanced")
    print(",".join(f"{m.module}={m.state}" for m in module_statuses(s, row.id)))
"""


def _other_process_status(url: str) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-c", STATUS_SCRIPT, url], capture_output=True, text=True,
                         check=True, timeout=60, cwd=os.getcwd())
    return dict(item.split("=") for item in out.stdout.strip().split(","))


class Gate:
    """Wraps the Books client so that the sync stops on its first task write until released."""

    def __init__(self, books: Any) -> None:
        self.books, self.reached, self.go = books, threading.Event(), threading.Event()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.books, name)
        if name != "create_task":
            return attr

        def gated(*a: Any, **k: Any) -> Any:
            self.reached.set()
            assert self.go.wait(30)
            return attr(*a, **k)
        return gated


def test_E5_status_shows_sync_in_progress_from_another_process(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    gate = Gate(world.ctx.books)
    world.ctx.books = gate
    failure: list[BaseException] = []

    def run() -> None:
        try:
            integ.sync()
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            failure.append(exc)

    t = threading.Thread(target=run)
    t.start()
    try:
        assert gate.reached.wait(30)
        assert integ.status().badge == "Sync in Progress"
        seen = _other_process_status(world.store_url)
        assert seen["projects"] == "synced" and seen["tasks"] == "in_progress"
    finally:
        gate.go.set()
        t.join(60)
    assert not failure
    assert integ.status().badge == "Active"
    assert all(m.state in ("synced", "failed") for m in integ.status().modules)
    assert {m.module for m in integ.status().modules if m.state == "failed"} <= {"timesheets"}  # one bad log


def test_E5_dead_holder_shows_interrupted_and_next_sync_takes_over(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    from sqlalchemy import update

    from bridge.store.tables import SyncRun
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    import socket
    with world.ctx.store.session() as s:
        s.execute(update(SyncRun).where(SyncRun.module == "timesheets").values(
            status="in_progress", holder=f"{socket.gethostname()}:{proc.pid}"))
    states = {m.module: m.state for m in integ.status().modules}
    assert states["timesheets"] == "interrupted" and integ.status().badge == "Active"
    integ.sync()
    assert all(m.state != "in_progress" for m in integ.status().modules)
    assert next(r["status"] for r in integ.history() if r["module"] == "timesheets") == "synced"


def test_E7_history_lists_each_module_run_with_counts(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    integ.sync()
    rows = integ.history()
    assert len(rows) == 2 * len(MODULE_ORDER)
    latest, first = rows[: len(MODULE_ORDER)], rows[len(MODULE_ORDER):]
    assert {r["module"] for r in latest} == {m.value for m in MODULE_ORDER}
    by_module = {r["module"]: r for r in first}
    portal = world.scenario["projects"]["portals"][0]["id"]
    assert by_module["projects"]["created"] == len(
        [p for p in world.scenario["projects"]["projects"] if p["portal_id"] == portal])
    assert all(r["started_at"] and r["ended_at"] and r["status"] == "synced" for r in rows)
    assert all(r["created"] == 0 and r["updated"] == 0 for r in latest)
