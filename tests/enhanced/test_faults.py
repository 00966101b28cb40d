"""Faults: a sync under 10% 429/500 answers ends in the same Books state as a clean one, and
a sync killed midway then re-run creates nothing twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from deepdiff import DeepDiff

from tests.enhanced.conftest import Control, connect

pytestmark = pytest.mark.store

VOLATILE = ("created_time", "last_modified_time")


def _books_view(world: Any) -> dict[str, Any]:
    """What a Books user sees of the sync, keyed by natural keys (ids differ between runs)."""
    books = world.ctx.books
    projects = {p["project_id"]: p["project_name"] for p in books.list_projects()}
    tasks: dict[str, str] = {}
    out: dict[str, Any] = {"contacts": sorted((c["contact_name"], c.get("currency_code"))
                                              for c in books.list_contacts()),
                           "users": sorted((u["email"], u["user_role"], u.get("status")) for u in books.list_users()),
                           "projects": sorted(projects.values())}
    task_rows = []
    for pid, name in projects.items():
        for t in books.list_tasks(pid):
            tasks[t["task_id"]] = t["task_name"]
            task_rows.append((name, t["task_name"], t.get("is_billable"), str(t.get("rate"))))
        members = books.get_project(pid).get("users", [])
        out.setdefault("members", []).extend(sorted((name, m.get("email"), str(m.get("rate"))) for m in members))
    out["tasks"] = sorted(task_rows)
    out["entries"] = sorted((projects.get(e["project_id"]), e["task_name"], e["user_name"], e["log_date"],
                             e["log_time"], e["billed_status"], e.get("notes")) for e in books.list_time_entries())
    out["members"] = sorted(out.get("members", []))
    return out


def _sync_until_done(integ: Any, attempts: int = 5) -> None:
    for i in range(attempts):
        try:
            integ.sync()
            return
        except Exception:
            if i == attempts - 1:
                raise


@pytest.mark.slow
def test_faults_sync_converges_to_the_clean_books_state(make_world: Any) -> None:
    clean = make_world("small-agency")
    connect(clean).sync()
    faulty = make_world("small-agency")
    integ = connect(faulty)
    Control(faulty.sandbox).faults(rate=0.1, kinds=["429", "500"], seed=7)
    _sync_until_done(integ)
    Control(faulty.sandbox).no_faults()
    integ.sync()
    assert DeepDiff(_books_view(clean), _books_view(faulty), ignore_order=True) == {}


class Killer:
    """Wraps the Books client: raises after `n` create calls, as a crash mid-sync would."""

    def __init__(self, books: Any, n: int) -> None:
        self.books, self.left = books, n

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.books, name)
        if not name.startswith(("create_", "add_", "update_", "mark_")):
            return attr

        def counted(*a: Any, **k: Any) -> Any:
            if self.left <= 0:
                raise KeyboardInterrupt("killed mid-sync")
            self.left -= 1
            return attr(*a, **k)
        return counted


@pytest.mark.parametrize("after,hard", [(3, False), (9, False), (4, True), (11, True)])
def test_kill_midway_and_rerun_creates_no_duplicates(make_world: Any, monkeypatch: pytest.MonkeyPatch,
                                                     after: int, hard: bool) -> None:
    """hard: the kill also loses the id-map rows not yet written (as kill -9 would), so the
    re-run must find the Books records the killed run made instead of making them again."""
    clean = make_world("small-agency")
    connect(clean).sync()
    world = make_world("small-agency")
    integ = connect(world)
    real = world.ctx.books
    world.ctx.books = Killer(real, after)
    with monkeypatch.context() as m:
        if hard:  # no flush, runs left in_progress: what kill -9 leaves behind
            m.setattr("enhanced.sync.engine._abort",
                      lambda ctx, st, run_ids, counts, **_: st.writer.maps.pending.clear())
        with pytest.raises(KeyboardInterrupt):
            integ.sync()
    world.ctx.books = real
    if not hard:  # a hard kill leaves runs in_progress under this (live) test process's pid
        assert integ.status().badge != "Sync in Progress"
    integ.sync()
    assert integ.status().badge == "Active"
    view = _books_view(world)
    for key in ("projects", "tasks", "entries", "contacts"):
        dupes = [k for k, n in Counter(map(str, view[key])).items() if n > 1]
        assert not dupes, (key, dupes)
    assert DeepDiff(_books_view(clean), view, ignore_order=True) == {}
