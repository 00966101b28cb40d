"""The Books daily cap on a fake clock: a first sync needing more Books calls than the plan's
day allows stops at the cap with a RateLimited naming when it can resume, leaves nothing
half-written, resumes the next UTC day and ends as a sync that never met the cap; no minute
ever carries more than 100 Books calls.

Scale: in the suite, the free plan's real cap (1,000 a day) against a job of about 1,200
Books calls. The same test at the premium plan's 10,000 against about 12,000 calls runs with
BRIDGE_FIDELITY_FULL=1 (about 2-3 minutes: too slow for every run).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from deepdiff import DeepDiff
from sqlalchemy import select

from bridge.clients.limits import BOOKS_PLANS
from bridge.clock import Clock, FakeClock
from bridge.domain import Credentials
from bridge.errors import RateLimited
from bridge.scenarios.synthetic import PORTAL, owner_email, owner_key, portal_scenario
from bridge.store import Store
from bridge.store.tables import IdMap, SyncError
from bridge.targets import scenario_clock
from enhanced.integration import EnhancedIntegration
from sandbox import Sandbox
from sandbox.wiring import sandbox_context

NAME = "fidelity"

FULL_ENV = "BRIDGE_FIDELITY_FULL"
# what a Books record's state may differ in between a run on one day and a run over two
VOLATILE = re.compile(r"(_time|_date_long|time_long|created|modified)'\]$")


@dataclass
class Sent:
    at: dt.datetime
    path: str
    status: int


class Recording(httpx.BaseTransport):
    """What the services received, and when (on the shared clock)."""

    def __init__(self, inner: httpx.BaseTransport, clock: Clock) -> None:
        self.inner, self.clock = inner, clock
        self.sent: list[Sent] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        at = self.clock.now()
        response = self.inner.handle_request(request)
        self.sent.append(Sent(at, request.url.path, response.status_code))
        return response


@dataclass
class Job:
    sandbox: Sandbox
    integ: EnhancedIntegration
    store: Store
    wire: Recording
    clock: FakeClock
    errors: list[RateLimited] = field(default_factory=list)

    def books(self) -> list[Sent]:
        return [s for s in self.wire.sent if s.path.startswith("/books/")]


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[Any]:
    made: list[Job] = []

    def make(data: dict[str, Any], *, capped: bool) -> Job:
        clock = FakeClock(scenario_clock(data))
        sandbox = Sandbox(tmp_path / f"sandbox-{len(made)}.db", clock=clock)
        sandbox.seed(data)
        if capped:
            sandbox.set_limits(enabled=True)  # the real numbers: 100/min, 10 in flight, the plan's cap
        wire = Recording(sandbox.transport(), clock)
        store = Store.open(f"sqlite:///{tmp_path / f'state-{len(made)}.db'}")
        plan = data["books"]["organization"]["plan"]
        ctx = sandbox_context(sandbox, store, clock=clock, transport=wire, pace=capped, plan=plan,
                              organization_id=data["books"]["organization"]["organization_id"])
        integ = EnhancedIntegration(ctx)
        integ.connect(Credentials(owner_email(NAME), owner_key(NAME)), PORTAL)
        job = Job(sandbox, integ, store, wire, clock)
        made.append(job)
        return job

    yield make
    for j in made:
        j.store.close()
        j.sandbox.close()


def books_state(sandbox: Sandbox) -> Any:
    """Books as a user sees it; a project's members in user order (the order they were added
    in is not something Books shows as meaningful, and a resumed sync adds them in another)."""
    state = sandbox.state()["books"]
    for project in (state.get("projects", {}).values() if isinstance(state.get("projects"), dict)
                    else state.get("projects", [])):
        if isinstance(project.get("users"), list):
            project["users"] = sorted(project["users"], key=lambda u: str(u.get("user_id")))
    return state


def store_rows(store: Store) -> Any:
    with store.session() as s:
        maps = sorted(s.execute(select(IdMap.kind, IdMap.projects_id, IdMap.books_id, IdMap.fingerprint)).all())
        errs = sorted(s.execute(select(SyncError.module, SyncError.record_id, SyncError.reason_code,
                                       SyncError.resolved_at.is_(None))).all())
    return {"id_map": [tuple(r) for r in maps], "errors": [tuple(r) for r in errs]}


def _run(data: dict[str, Any], jobs: Any) -> None:
    plan = data["books"]["organization"]["plan"]
    cap = BOOKS_PLANS[plan]
    reference = jobs(data, capped=False)
    reference.integ.sync()
    needed = len(reference.books())
    print(f"job: {needed} Books calls against a cap of {cap}")
    assert needed > cap * 1.15, f"the job needs only {needed} Books calls; make it bigger than {cap}"

    job = jobs(data, capped=True)
    start = job.clock.now()
    with pytest.raises(RateLimited) as stopped:
        job.integ.sync()
    midnight = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(0), dt.UTC)
    err = stopped.value
    assert err.resume_at == midnight
    assert f"daily budget of {cap} calls" in err.message and f"resume at {midnight.isoformat()}" in err.message
    day_one = job.books()
    assert len(day_one) == cap  # every call the day allows, and not one more sent
    assert all(s.status != 429 for s in job.wire.sent)  # paced: the service never had to refuse

    # nothing half-written: every Books record the sync made is mapped, so a resume adopts
    # rather than re-creates (the records' count equals the id map's, kind by kind)
    state = books_state(job.sandbox)
    rows = store_rows(job.store)["id_map"]
    mapped = {k: sum(1 for r in rows if r[0] == k) for k in ("project", "time_entry")}
    assert len(state.get("time_entries", {})) == mapped["time_entry"]
    assert len(state.get("projects", {})) == mapped["project"]

    job.clock.set(midnight + dt.timedelta(minutes=5))
    job.integ.sync()
    assert all(s.status != 429 for s in job.wire.sent)
    assert len(job.books()) - cap <= cap  # the rest fits in day two

    diff = DeepDiff(books_state(reference.sandbox), books_state(job.sandbox), exclude_regex_paths=[VOLATILE])
    assert not diff, diff.to_dict()
    assert store_rows(job.store) == store_rows(reference.store)
    assert job.integ.sync().counts["timesheets"]["created"] == 0  # and nothing left to do

    times = sorted(s.at for s in job.books())
    for i in range(len(times) - 100):  # any 101 calls span at least a minute
        assert times[i + 100] - times[i] >= dt.timedelta(seconds=60), f"101 calls within a minute at {times[i]}"
    per_minute: dict[dt.datetime, int] = {}
    for t in times:
        m = t.replace(second=0, microsecond=0)
        per_minute[m] = per_minute.get(m, 0) + 1
    assert max(per_minute.values()) <= 100


def test_daily_cap_free_plan_1000_with_a_1200_call_sync(jobs: Any) -> None:
    _run(portal_scenario(NAME, projects=4, tasks=60, bugs=16, logs=1075, plan="free"), jobs)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get(FULL_ENV), reason=f"the real-numbers run: set {FULL_ENV}=1")
def test_daily_cap_premium_10000_with_a_12000_call_sync(jobs: Any) -> None:
    _run(portal_scenario(NAME, projects=40, tasks=800, bugs=200, logs=10800, plan="premium"), jobs)
