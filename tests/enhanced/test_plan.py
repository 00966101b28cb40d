"""`sync --plan` writes nothing: not to Books, not to the store (id maps, sync runs, errors,
status), whatever the sync it plans would do: create everything, settle errors, update an
edited record. (That its counts are the run's: tests/fidelity/test_call_budget.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bridge.store import Store
from bridge.store.tables import Base
from enhanced.plan import plan_sync
from enhanced.setup import connection_row
from enhanced.sync import maps
from tests.enhanced.conftest import Control, connect

pytestmark = pytest.mark.store


def _store_dump(store: Store) -> dict[str, list[str]]:
    """Every row of every table of the store."""
    with store.engine.connect() as c:
        return {t.name: sorted(repr(tuple(row)) for row in c.execute(select(t))) for t in Base.metadata.sorted_tables}


def _plan_writes_nothing(world: Any) -> dict[str, Any]:
    store_before, books_before = _store_dump(world.ctx.store), world.sandbox.state()
    writes_before = world.sandbox.calls()["writes"]
    plan = plan_sync(world.ctx)
    assert world.sandbox.calls()["writes"] == writes_before
    assert world.sandbox.state() == books_before
    assert _store_dump(world.ctx.store) == store_before
    return plan


def _planned_writes(plan: dict[str, Any]) -> int:
    return sum(n for what, n in plan["calls"]["detail"].items()
               if what.startswith("books:") and not what.startswith("books:GET "))


@pytest.mark.parametrize("name", ["small-agency", "broken-data"])
def test_a_plan_writes_nothing_to_books_or_the_store(make_world: Any, name: str) -> None:
    world = make_world(name)
    integ = connect(world)
    first = _plan_writes_nothing(world)  # a first sync: everything new, errors to record
    assert _planned_writes(first) > 0
    integ.sync()
    synced = maps.load(world.ctx.store, connection_row(world.ctx).id, "task")
    task = next(t for t in world.scenario["projects"]["tasks"] if t["id"] in synced)
    Control(world.sandbox).patch("projects", "tasks", task["id"], {"name": task["name"] + " (renamed)"})
    again = _plan_writes_nothing(world)  # an incremental sync: one update, errors still open
    assert again["calls"]["detail"].get("books:update task") == 1
    report = integ.sync()
    assert report.counts["tasks"]["updated"] == 1
