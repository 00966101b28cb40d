"""One organization's steps, each a plain call into the library on the organization's own
store scope: the folder HOME = FLEET_DIR/orgs/NAME holds its SQLite store, its secrets and,
for a sandbox organization, its own embedded sandbox. Nothing is shared between two
organizations but the queue, so one failing (or capped for the day) never touches another.

Every step may run again after a crash or a retry and does nothing twice: `seed` rebuilds
the rehearsal from scratch (it is setup, not an organization's data), `migrate` resumes
from its journal, `verify` and `plan` only read, `reenable` of an enabled portal is a
no-op and `sync` writes only what is not mapped yet.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.errors import RateLimited
from bridge.progress import Progress, no_progress
from bridge.scenarios.fixtures import SCENARIOS_DIR
from fleet.manifest import Organization

if TYPE_CHECKING:
    from bridge.context import Context


#: a worker runs several organizations on threads of one process; opening a store runs its
#: schema migrations through Alembic, whose `op`/`context` are process-wide: one at a time
_OPENING = threading.Lock()


class Capped(Exception):
    """A step stopped at a service's limit (Books' daily cap: code 45). `wait` is the time
    until the organization's services take calls again, measured on the organization's own
    clock (a sandbox organization lives on its scenario's day), so the queue can reschedule
    it on the real one: now + wait."""

    def __init__(self, cause: RateLimited, wait: dt.timedelta) -> None:
        super().__init__(cause.message)
        self.cause, self.wait = cause, wait


def org_home(fleet_dir: Path, name: str) -> Path:
    return fleet_dir / "orgs" / name


@contextmanager
def _served(org: Organization, home: Path) -> Iterator[tuple[object | None, str | None]]:
    """(the sandbox, its root) when the organization's sandbox is to be reached over real
    HTTP: served on 127.0.0.1 (a free port) for as long as the step runs; else (None, None)."""
    if org.target == "live" or not org.options.get("served"):
        yield None, None
        return
    from bridge.targets import sandbox_wiring

    with _OPENING:
        world = sandbox_wiring().embedded_sandbox(home)
    with world.serve() as handle:
        yield world, handle.url


@contextmanager
def org_context(org: Organization, home: Path) -> Iterator[Context]:
    """The organization's Context on its own folder (its store made if absent)."""
    from bridge.store import Store, default_url
    from bridge.targets import build_context

    home.mkdir(parents=True, exist_ok=True)
    profile = None
    if org.profile is not None:
        from bridge.profile import load_profile

        profile = load_profile(org.profile)
    with _OPENING:
        store = Store.open(default_url(home))
    try:
        with _served(org, home) as (world, root):
            yield build_context(org.target, store, home, profile=profile, sandbox=world, root=root,
                                pace=bool(org.options.get("pace", False)), plan=org.options.get("plan"))
    finally:
        store.close()


def org_scenario(org: Organization) -> dict[str, Any]:
    """A sandbox organization's scenario: a shipped one, or a generated legacy portal."""
    from bridge.scenarios.fixtures import load_scenario, validate_scenario
    from bridge.scenarios.synthetic import legacy_scenario

    if org.synthetic is not None:
        size = org.synthetic
        generated = legacy_scenario(org.name, projects=size["projects"], tasks=size["tasks"],
                                    bugs=size.get("bugs", 0), logs=size.get("logs", 0),
                                    invoices=size.get("invoices"))
        return validate_scenario(generated, f"{org.name} (synthetic)")
    return load_scenario(SCENARIOS_DIR / f"{org.scenario}.json")


def _seed(org: Organization, home: Path) -> dict[str, Any]:
    """A sandbox organization's legacy state, built from its scenario in a fresh folder."""
    from bridge.modes import open_integration
    from bridge.scenarios.replay import replay, seed_sandbox
    from bridge.targets import sandbox_wiring

    data = org_scenario(org)
    if home.exists():
        shutil.rmtree(home)  # a seed cut short leaves a half-built rehearsal: start it again
    home.mkdir(parents=True)
    with _OPENING:
        sandbox = sandbox_wiring().embedded_sandbox(home)
    seed_sandbox(sandbox, data)
    with org_context(org, home) as ctx:
        steps = replay(data, open_integration("legacy", ctx), ctx)
    cap = org.options.get("books_daily_cap")
    if cap is not None:  # from here on, the rehearsal's Books refuses calls past `cap` a UTC day
        sandbox.set_limits(True, books_daily=dict.fromkeys(("free", "standard", "professional", "premium"), cap))
    return {"scenario": data["name"], "operations": len(steps.steps)}


def _plan(org: Organization, ctx: Context, progress: Progress) -> dict[str, Any]:
    from migrate.plan import plan_migration

    result = plan_migration(ctx, plan=org.options.get("plan", "premium"),
                            services=org.options.get("services", True), limit=0)
    data = result.to_json()
    return {"create": data["create"], "calls": data["calls"]["summary"]}


def _migrate(org: Organization, ctx: Context, progress: Progress) -> dict[str, Any]:
    from migrate.run import run_migration

    summary = run_migration(ctx, batch=org.options.get("batch", 2000), services=org.options.get("services", True),
                            progress=progress)
    data = summary.to_json()
    return {"migration_id": data["migration_id"], "portal_id": data["portal_id"], "records": data["records"],
            "already_done": data["already_done"], "resumed": data["resumed"]}


def _verify(org: Organization, ctx: Context, progress: Progress) -> dict[str, Any]:
    from migrate.verify import verify_migration

    # one process: a fleet worker already runs several organizations side by side
    report = verify_migration(ctx, services=org.options.get("services", True), progress=progress, workers=1)
    if not report.ok:
        from bridge.errors import CheckFailed

        raise CheckFailed(f"{org.name}: verification found {report.difference_count} difference(s)")
    return {"ok": True, "differences": 0}


def _reenable(org: Organization, ctx: Context, progress: Progress) -> dict[str, Any]:
    from bridge.modes import open_integration
    from migrate.run import find_migration

    legacy, _ = find_migration(ctx)
    conn = open_integration("enhanced", ctx).reenable(legacy.portal_id)
    return {"portal_id": conn.portal_id}


def _sync(org: Organization, ctx: Context, progress: Progress) -> dict[str, Any]:
    from bridge.modes import open_integration

    # records a sync cannot bring over are the organization's to fix (`bpbridge enhanced
    # errors`), not a reason to run the sync again: counted, not raised
    report = open_integration("enhanced", ctx).sync(progress)
    return {"counts": report.counts, "record_errors": len(report.errors)}


STEPS: dict[str, Callable[[Organization, Any, Progress], dict[str, Any]]] = {
    "plan": _plan, "migrate": _migrate, "verify": _verify, "reenable": _reenable, "sync": _sync,
}


def books_calls_today(org: Organization, fleet_dir: Path) -> dict[str, Any] | None:
    """The Books calls the organization's limiter counted on its current UTC day (its own
    clock), or None before it has a store. Counted when calls are paced: always live; on the
    sandbox with the `pace` option."""
    from sqlalchemy import func, select

    from bridge.store.tables import ApiUsage

    home = org_home(fleet_dir, org.name)
    if not (home / "state.db").is_file():
        return None
    with org_context(org, home) as ctx:
        day = ctx.clock.now().astimezone(dt.UTC).date()
        with ctx.store.session() as s:
            calls = s.scalar(select(func.coalesce(func.sum(ApiUsage.calls), 0))
                             .where(ApiUsage.service == "Books", ApiUsage.day == day))
    return {"day": day.isoformat(), "calls": int(calls or 0)}


def run_step(org: Organization, step: str, fleet_dir: Path, progress: Progress = no_progress) -> dict[str, Any]:
    """Run one step of `org`, telling `progress` how far it is; returns a small JSON
    summary, raises a BridgeError on failure."""
    home = org_home(fleet_dir, org.name)
    if step == "seed":
        return _seed(org, home)
    with org_context(org, home) as ctx:
        try:
            return STEPS[step](org, ctx, progress)
        except RateLimited as exc:
            if exc.resume_at is None:
                raise
            raise Capped(exc, max(exc.resume_at - ctx.clock.now(), dt.timedelta(0))) from exc
