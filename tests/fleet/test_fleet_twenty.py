"""Issue 18's fleet test, on the embedded sandboxes: 20 organizations (every shipped scenario
twice), one of them over a rehearsed Books daily cap on its own (fake) clock, 3 worker
processes, one SIGKILLed mid-migration. Every organization ends migrated, verified and
synced; the capped one on a later day; and each ends with exactly the Books records of its
twin (the same scenario): no record twice."""

from __future__ import annotations

import datetime as dt
import signal
from pathlib import Path
from typing import Any

import pytest

from migrate.run import KILL_ENV
from sandbox.wiring import embedded_sandbox
from tests.conftest import SCENARIOS
from tests.fleet.conftest import FleetCli, stop, write_manifest

SCENARIO_NAMES = sorted(p.stem for p in SCENARIOS.glob("*.json"))


def _books_counts(home: Path) -> dict[str, int]:
    books: dict[str, Any] = embedded_sandbox(home).state()["books"]
    return {name: len(v) for name, v in books.items() if isinstance(v, list | dict)}


@pytest.mark.slow
def test_twenty_organizations_three_workers_one_killed_one_capped(fleet_cli: FleetCli, tmp_path: Path) -> None:
    orgs = [{"name": f"{s}-{i}", "scenario": s, "action": "sync", "options": {"batch": 3}}
            for s in SCENARIO_NAMES for i in (1, 2)]
    assert len(orgs) == 20
    capped_name = "multi-currency-2"
    next(o for o in orgs if o["name"] == capped_name)["options"]["books_daily_cap"] = 15
    fleet_cli("submit", str(write_manifest(tmp_path / "fleet.json", orgs)))

    options = ["--concurrency", "2", "--stalled-after", "3"]
    doomed = fleet_cli.worker(*options, env={KILL_ENV: "5"})  # SIGKILLs itself 5 records into a migration
    workers = [fleet_cli.worker(*options) for _ in range(2)]
    try:
        doomed.communicate(timeout=180)
        assert doomed.returncode == -signal.SIGKILL
        status = fleet_cli.wait_until(lambda s: all(
            r["state"] == "done" or (r["name"] == capped_name and r["state"] == "waiting") for r in s.values()))
        capped = status[capped_name]
        assert capped["step"] == "sync" and "code 45" in capped["last_error"], capped
        sandbox = embedded_sandbox(tmp_path / "fleet" / "orgs" / capped_name)
        days = 1
        while capped["state"] == "waiting" and days < 8:  # its next days come, on its own clock
            org_now = sandbox.now()
            sandbox.set_clock(dt.datetime.combine(org_now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
                              + dt.timedelta(minutes=5))
            fleet_cli("retry", capped_name)
            status = fleet_cli.wait_until(lambda s: s[capped_name]["state"] in ("waiting", "done"))
            capped = status[capped_name]
            days += 1
    finally:
        outputs = [stop(w) for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    assert days >= 2
    assert {r["state"] for r in status.values()} == {"done"}, status
    assert all(r["attempts"] == 0 and r["last_error"] is None for r in status.values()), status
    assert all(r["results"]["verify"] == {"ok": True, "differences": 0} for r in status.values())
    assert any(r["results"]["migrate"]["resumed"] for r in status.values())  # the killed one, resumed
    for s in SCENARIO_NAMES:
        one, two = (_books_counts(tmp_path / "fleet" / "orgs" / f"{s}-{i}") for i in (1, 2))
        assert one == two, (s, one, two)
