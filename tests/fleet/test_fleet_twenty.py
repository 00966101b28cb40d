"""Issue 18's fleet test, on served sandboxes: 20 organizations (small generated legacy
portals of different sizes, each reached over real HTTP on 127.0.0.1), one of them on a
free plan over a rehearsed Books daily cap on its own (fake) clock, 3 worker processes, one
SIGKILLed mid-migration. Every organization ends migrated, verified and synced; the capped
one on a later day; and each organization's Books holds exactly one record per record of
its portal (projects, tasks and bugs, time logs, its legacy invoices): nothing twice."""

from __future__ import annotations

import datetime as dt
import signal
from pathlib import Path
from typing import Any

import pytest

from fleet.manifest import Organization
from fleet.steps import org_scenario
from migrate.run import KILL_ENV
from sandbox.wiring import embedded_sandbox
from tests.fleet.conftest import FleetCli, stop, write_manifest

CAPPED = "portal-07"


def _size(i: int) -> dict[str, int]:
    """Every project invoiced (each has logged time): each migration carries 8 records or
    more, so the worker that kills itself 5 records into a migration does so in the first
    one it takes."""
    projects = 2 + i % 3
    return {"projects": projects, "tasks": 2 * projects + i % 4, "bugs": i % 2, "logs": 2 * projects + i % 5,
            "invoices": projects}


def _org(i: int) -> dict[str, Any]:
    options: dict[str, Any] = {"batch": 3, "served": True}
    if f"portal-{i:02d}" == CAPPED:
        options.update(plan="free", books_daily_cap=20)
    return {"name": f"portal-{i:02d}", "synthetic": _size(i), "action": "sync", "options": options}


def _books_counts(home: Path) -> dict[str, int]:
    books: dict[str, Any] = embedded_sandbox(home).state()["books"]
    return {name: len(books.get(name, [])) for name in ("projects", "tasks", "time_entries", "invoices")}


@pytest.mark.slow
def test_twenty_organizations_three_workers_one_killed_one_capped(fleet_cli: FleetCli, tmp_path: Path) -> None:
    orgs = [_org(i) for i in range(20)]
    fleet_cli("submit", str(write_manifest(tmp_path / "fleet.json", orgs)))

    options = ["--concurrency", "2", "--stalled-after", "3"]
    doomed = fleet_cli.worker(*options, env={KILL_ENV: "5"})  # SIGKILLs itself 5 records into a migration
    workers = [fleet_cli.worker(*options) for _ in range(2)]
    try:
        doomed.communicate(timeout=180)
        assert doomed.returncode == -signal.SIGKILL
        status = fleet_cli.wait_until(lambda s: all(
            r["state"] == "done" or (r["name"] == CAPPED and r["state"] == "waiting") for r in s.values()))
        capped = status[CAPPED]
        assert capped["step"] == "sync" and "code 45" in capped["last_error"], capped
        sandbox = embedded_sandbox(tmp_path / "fleet" / "orgs" / CAPPED)
        days = 1
        while capped["state"] == "waiting" and days < 8:  # its next days come, on its own clock
            org_now = sandbox.now()
            sandbox.set_clock(dt.datetime.combine(org_now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
                              + dt.timedelta(minutes=5))
            fleet_cli("retry", CAPPED)
            status = fleet_cli.wait_until(lambda s: s[CAPPED]["state"] in ("waiting", "done"))
            capped = status[CAPPED]
            days += 1
    finally:
        outputs = [stop(w) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    assert days >= 2
    assert {r["state"] for r in status.values()} == {"done"}, status
    assert all(r["attempts"] == 0 and r["last_error"] is None for r in status.values()), status
    assert all(r["results"]["verify"] == {"ok": True, "differences": 0} for r in status.values())
    assert any(r["results"]["migrate"]["resumed"] for r in status.values())  # the killed one, resumed
    for i, org in enumerate(orgs):
        size = _size(i)
        invoices = sum(op["op"] == "create_invoice" for op in org_scenario(Organization.from_json(org))["operations"])
        assert invoices == size["invoices"]
        want = {"projects": size["projects"], "tasks": size["tasks"] + size["bugs"], "time_entries": size["logs"],
                "invoices": invoices}
        assert _books_counts(tmp_path / "fleet" / "orgs" / org["name"]) == want, org
