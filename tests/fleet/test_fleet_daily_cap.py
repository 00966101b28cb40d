"""The Books daily cap in a fleet, on the organization's own (sandbox) clock: the capped
organization waits for its next UTC day without blocking the others, then resumes from its
checkpoint and ends with the very Books records an uncapped twin has (nothing twice)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from sandbox.wiring import embedded_sandbox
from tests.fleet.conftest import FleetCli, write_manifest

FLEET = [
    {"name": "capped", "scenario": "multi-currency", "action": "sync", "options": {"books_daily_cap": 15}},
    {"name": "twin", "scenario": "multi-currency", "action": "sync"},
    {"name": "agency", "scenario": "small-agency", "action": "migrate"},
]


def _books_counts(home: Path) -> dict[str, int]:
    books: dict[str, Any] = embedded_sandbox(home).state()["books"]
    return {name: len(v) for name, v in books.items() if isinstance(v, list | dict)}


def _run_until_idle(fleet_cli: FleetCli) -> None:
    worker = fleet_cli.worker("--until-idle", "--concurrency", "2")
    _, err = worker.communicate(timeout=300)
    assert worker.returncode == 0, err


def test_a_capped_organization_waits_for_its_next_day_and_resumes(fleet_cli: FleetCli, tmp_path: Path) -> None:
    fleet_cli("submit", str(write_manifest(tmp_path / "fleet.json", FLEET)))
    _run_until_idle(fleet_cli)  # stops once only the capped organization's tomorrow is left
    orgs = fleet_cli.status()
    assert orgs["twin"]["state"] == "done" and orgs["agency"]["state"] == "done", orgs  # not blocked
    capped = orgs["capped"]
    assert capped["state"] == "waiting" and capped["step"] == "sync", capped
    assert capped["done"] == ["seed", "migrate", "verify", "reenable"] and capped["attempts"] == 0, capped
    assert "code 45" in capped["last_error"], capped

    # rescheduled for the organization's next UTC day: its sandbox lives on its scenario's
    # day, so the job waits (on the real clock) as long as that day has left
    home = tmp_path / "fleet" / "orgs" / "capped"
    sandbox = embedded_sandbox(home)
    org_now = sandbox.now()
    midnight = dt.datetime.combine(org_now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    next_attempt = dt.datetime.fromisoformat(capped["next_attempt"])
    expected = dt.datetime.now(dt.UTC) + (midnight - org_now)
    assert abs((next_attempt - expected).total_seconds()) < 120, (next_attempt, expected)
    engine = create_engine(fleet_cli.url)
    with engine.connect() as c:
        scheduled = c.execute(text("SELECT scheduled_at, status FROM procrastinate_jobs WHERE id = :id"),
                              {"id": capped["job_id"]}).one()
    engine.dispose()
    assert scheduled.status == "todo" and abs((scheduled.scheduled_at - next_attempt).total_seconds()) < 1

    # each next day comes (its sandbox clock moved), and the operator runs it now rather than
    # wait for the real night: it goes on from where the cap stopped it, a day's budget a day
    days = 1
    while capped["state"] == "waiting" and days < 8:
        org_now = sandbox.now()
        sandbox.set_clock(dt.datetime.combine(org_now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
                          + dt.timedelta(minutes=5))
        assert fleet_cli("retry", "capped") == {"name": "capped", "was": "waiting", "now": "queued"}
        _run_until_idle(fleet_cli)
        capped = fleet_cli.status()["capped"]
        days += 1
        assert capped["attempts"] == 0, capped  # a cap is no failure
    assert capped["state"] == "done" and capped["last_error"] is None, capped
    assert days >= 2
    assert capped["results"]["sync"]["record_errors"] == 0
    # resumed, not redone: the same Books records as the twin that synced in one go
    twin = _books_counts(tmp_path / "fleet" / "orgs" / "twin")
    print(f"capped organization: {days} days; Books records: {twin}")
    assert _books_counts(home) == twin and sum(twin.values()) > 20, twin
