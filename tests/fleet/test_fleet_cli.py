"""The fleet on a real PostgreSQL queue: submit is idempotent, cancel and retry, and a small
fleet run by two worker processes ends with every organization migrated and verified."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import create_engine, text

from bridge.store import Store, default_url
from bridge.targets import build_context
from migrate.verify import verify_migration
from tests.fleet.conftest import FleetCli, stop, write_manifest

SMALL_FLEET = [
    {"name": "agency", "scenario": "small-agency", "action": "migrate+reenable", "options": {"pace": True}},
    {"name": "multi", "scenario": "multi-currency", "action": "sync"},
    {"name": "broken", "scenario": "broken-data", "action": "migrate"},
    {"name": "timesheets", "scenario": "general-timesheets", "action": "migrate"},
    {"name": "agency-two", "scenario": "small-agency", "action": "sync", "options": {"batch": 3}},
]


def _jobs(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as c:
        n = int(c.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'fleet.run_organization'"))
                .scalar_one())
    engine.dispose()
    return n


def test_submitting_twice_queues_nothing_new(fleet_cli: FleetCli, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "fleet.json", SMALL_FLEET[:3])
    first = fleet_cli("submit", str(manifest))
    assert first["queued"] == ["agency", "multi", "broken"] and first["kept"] == []
    again = fleet_cli("submit", str(manifest))
    assert again["queued"] == [] and again["kept"] == ["agency", "multi", "broken"]
    assert _jobs(fleet_cli.url) == 3
    assert {o["state"] for o in fleet_cli.status().values()} == {"queued"}


def test_cancel_then_retry_then_a_worker_finishes_it(fleet_cli: FleetCli, tmp_path: Path) -> None:
    fleet_cli("submit", str(write_manifest(tmp_path / "fleet.json", SMALL_FLEET[:1])))
    assert fleet_cli("cancel", "agency") == {"name": "agency", "was": "queued", "now": "cancelled"}
    assert fleet_cli("cancel", "agency", code=2)["error"]["type"] == "InputError"
    assert fleet_cli("retry", "nobody", code=2)["error"]["type"] == "InputError"
    assert fleet_cli("retry", "agency") == {"name": "agency", "was": "cancelled", "now": "queued"}
    worker = fleet_cli.worker("--until-idle", "--concurrency", "1")
    _, err = worker.communicate(timeout=180)
    assert worker.returncode == 0, err
    org = fleet_cli.status()["agency"]
    assert org["state"] == "done" and org["done"] == ["seed", "migrate", "verify", "reenable"], org


def test_a_small_fleet_on_two_workers_ends_migrated_and_verified(fleet_cli: FleetCli, tmp_path: Path) -> None:
    fleet_cli("submit", str(write_manifest(tmp_path / "fleet.json", SMALL_FLEET)))
    workers = [fleet_cli.worker("--concurrency", "2") for _ in range(2)]
    try:
        orgs = fleet_cli.wait_until(lambda o: all(r["state"] in ("done", "failed") for r in o.values()))
    finally:
        outputs = [stop(w) for w in workers]
    assert {n: o["state"] for n, o in orgs.items()} == {o["name"]: "done" for o in SMALL_FLEET}, orgs
    assert all(o["attempts"] == 0 and o["last_error"] is None for o in orgs.values()), orgs
    assert all(w.returncode == 0 for w in workers), outputs
    assert orgs["multi"]["results"]["sync"]["record_errors"] == 0
    # paced as live mode is: its own limiter counted its Books calls on its own day
    assert orgs["agency"]["books_calls_today"]["calls"] > 0 and orgs["multi"]["books_calls_today"]["calls"] == 0
    # each organization is its own: its own store and sandbox, migrated and verified there
    # (verified by its job before any re-enable or sync; again here where nothing came after)
    portals = set()
    for spec in SMALL_FLEET:
        assert orgs[spec["name"]]["results"]["verify"] == {"ok": True, "differences": 0}
        portals.add((spec["scenario"], orgs[spec["name"]]["results"]["migrate"]["portal_id"]))
        if spec["action"] != "migrate":
            continue
        home = tmp_path / "fleet" / "orgs" / spec["name"]
        store = Store.open(default_url(home))
        try:
            report = verify_migration(build_context("sandbox", store, home))
        finally:
            store.close()
        assert report.ok, (spec["name"], report.to_json())
    assert len(portals) == 4  # the two small-agency organizations migrated the same portal, each in its own sandbox


def test_the_human_answers_show_no_python_values(fleet_cli: FleetCli, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bridge.cli.main import cli

    manifest = write_manifest(tmp_path / "fleet.json", SMALL_FLEET[:2])
    said = []
    for args in (["submit", str(manifest)], ["submit", str(manifest)], ["status"], ["cancel", "multi"],
                 ["status"], ["retry", "multi"]):
        result = CliRunner().invoke(cli, ["fleet", *args], env=fleet_cli.env)
        assert result.exit_code == 0, result.output
        said.append(result.stdout)
        for repr_mark in ("{'", "None", "datetime."):
            assert repr_mark not in result.stdout, (args, result.stdout)
    assert "queued 2 organization(s): agency, multi" in said[0] and "already submitted" in said[1]
    assert "agency" in said[2] and "2 queued" in said[2] and "1 cancelled, 1 queued" in said[4]


def test_status_shows_how_far_a_running_step_is(fleet_cli: FleetCli, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bridge.cli.main import cli

    big = {"name": "big", "synthetic": {"projects": 4, "tasks": 40, "logs": 400}, "action": "sync",
           "options": {"batch": 20}}
    fleet_cli("submit", str(write_manifest(tmp_path / "fleet.json", [big])))
    worker = fleet_cli.worker("--until-idle", "--concurrency", "1")
    seen: list[dict[str, object]] = []
    shown = None
    try:
        while worker.poll() is None and shown is None:
            org = fleet_cli.status()["big"]
            if org["state"] == "running" and org["within"]:
                seen.append(org["within"])
                # wide enough that the table keeps each organization on one line
                table = CliRunner().invoke(cli, ["fleet", "status"], env={**fleet_cli.env, "COLUMNS": "250"}).stdout
                # after the state, step and steps done: the task and its count ("timesheets 120/400")
                shown = re.search(r"running +\w+ +\d+/\d+ +([a-z][a-z_ ]*? [\d,]+(?:/[\d,]+)?) ", table)
    finally:
        stop(worker)
    assert seen, "never saw a running step's progress"
    within = seen[-1]
    assert set(within) == {"task", "done", "total"} and isinstance(within["done"], int), within
    assert shown is not None, seen


def test_step_progress_writes_each_task_edge_and_at_most_once_a_second() -> None:
    from fleet.queue import StepProgress

    written: list[dict[str, object]] = []
    progress = StepProgress(written.append, every=3600.0)
    progress("transactions", 0, 100)  # a task starts: written
    for done in range(10, 100, 10):
        progress("transactions", done, 100)  # within the second: not written
    progress("transactions", 100, 100)  # its end: written
    progress("invoice_lines", 0, None)  # the next task: written
    assert written == [{"task": "transactions", "done": 0, "total": 100},
                       {"task": "transactions", "done": 100, "total": 100},
                       {"task": "invoice_lines", "done": 0, "total": None}]


def test_a_worker_shows_each_step_s_progress_as_the_other_commands_do(fleet_cli: FleetCli, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    org = {"name": "shown", "synthetic": {"projects": 2, "tasks": 4, "logs": 10}, "action": "migrate"}
    fleet_cli("submit", str(write_manifest(tmp_path / "fleet.json", [org])))
    done = subprocess.run([sys.executable, "-m", "bridge", "--progress", "plain", "fleet", "worker", "--until-idle"],
                          env={**os.environ, **fleet_cli.env, "PYTHONPATH": str(REPO)}, cwd=tmp_path,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    # the organization's steps, one line as each starts, and their tasks as `--progress plain` shows them
    assert any(line.endswith("shown: migrate ...") for line in lines), lines
    assert any(line.startswith("progress: shown migrate: transactions 1/1 (100%)") for line in lines), lines
    assert any(line.startswith("progress: shown verify: invoice_lines ") for line in lines), lines
