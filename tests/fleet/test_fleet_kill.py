"""A worker SIGKILLed mid-job leaves a job another worker picks up (procrastinate's stalled
job retry, on the dead worker's stale heartbeat) and finishes with nothing done twice: the
migration resumes from its journal and verifies clean."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from migrate.run import KILL_ENV
from tests.fleet.conftest import FleetCli, write_manifest


def test_a_worker_killed_mid_migration_leaves_a_job_another_worker_finishes(
        fleet_cli: FleetCli, tmp_path: Path) -> None:
    fleet_cli("submit", str(write_manifest(tmp_path / "fleet.json", [
        {"name": "agency", "scenario": "small-agency", "action": "migrate+reenable", "options": {"batch": 3}}])))
    # the migrator's own kill point: SIGKILL after 5 records, mid-batch (one batch committed)
    doomed = fleet_cli.worker("--concurrency", "1", "--stalled-after", "3", env={KILL_ENV: "5"})
    doomed.communicate(timeout=180)
    assert doomed.returncode == -signal.SIGKILL
    org = fleet_cli.status()["agency"]
    assert org["state"] == "running" and org["step"] == "migrate" and org["done"] == ["seed"], org
    time.sleep(4)  # the dead worker's heartbeat is now older than --stalled-after
    rescuer = fleet_cli.worker("--until-idle", "--concurrency", "1", "--stalled-after", "3")
    _, err = rescuer.communicate(timeout=180)
    assert rescuer.returncode == 0, err
    org = fleet_cli.status()["agency"]
    assert org["state"] == "done" and org["attempts"] == 0, org
    assert org["results"]["migrate"]["resumed"] is True, org  # resumed, not started again
    assert org["results"]["verify"] == {"ok": True, "differences": 0}
