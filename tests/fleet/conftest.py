"""Fleet fixtures: each test gets its own empty PostgreSQL database for the queue (made and
dropped by the suite's `pg_databases`, so skipped with a reason without
BRIDGE_TEST_DATABASE_URL) and its own fleet folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bridge.cli.main import cli
from tests.conftest import REPO, PgDatabases


@pytest.fixture(params=["postgresql"])  # the id puts these tests in CI's `-k postgresql` pass
def queue_url(pg_databases: PgDatabases) -> Iterator[str]:
    url = pg_databases.empty()
    yield url
    pg_databases.drop(url)


def write_manifest(path: Path, orgs: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"organizations": orgs}), encoding="utf-8")
    return path


class FleetCli:
    """`bpbridge fleet ...` in-process, on one queue and one fleet folder."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.url, self.tmp = url, tmp
        self.env = {"BRIDGE_HOME": str(tmp / "home"), "BRIDGE_FLEET_DB": url,
                    "BRIDGE_FLEET_DIR": str(tmp / "fleet")}

    def __call__(self, *args: str, code: int = 0) -> dict[str, Any]:
        result: Result = CliRunner().invoke(cli, ["--json", "fleet", *args], env=self.env)
        assert result.exit_code == code, result.output
        payload: dict[str, Any] = json.loads(result.stdout)
        return payload

    def status(self) -> dict[str, dict[str, Any]]:
        return {o["name"]: o for o in self("status")["organizations"]}

    def worker(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """A worker in a process of its own, as on another machine."""
        return subprocess.Popen(
            [sys.executable, "-m", "bridge", "--quiet", "fleet", "worker", *args],
            env={**os.environ, **self.env, "PYTHONPATH": str(REPO), **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.tmp)

    def wait_until(self, done: Callable[[dict[str, dict[str, Any]]], bool], timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            orgs = self.status()
            if done(orgs):
                return orgs
            assert time.monotonic() < deadline, f"fleet not there after {timeout}s: {orgs}"
            time.sleep(0.5)


def stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # procrastinate's graceful stop
    try:
        return proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


@pytest.fixture
def fleet_cli(queue_url: str, tmp_path: Path) -> FleetCli:
    return FleetCli(queue_url, tmp_path)
