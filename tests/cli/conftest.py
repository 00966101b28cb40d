"""The CLI as a user runs it, in-process: a home folder with the embedded sandbox seeded with
small-agency, and a sandbox clock that records its waits instead of sleeping them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pytest
from click.testing import CliRunner, Result

from bridge.cli.main import cli
from bridge.scenarios.fixtures import load_scenario
from sandbox.wiring import SandboxDayClock, embedded_sandbox
from tests.conftest import SCENARIOS

EMAIL, KEY, PORTAL = "dana@northwind.example", "5f1c2a9e8b7d4c3a9e0f6b2d1c8a7e4f", "64000001"


class Run(Protocol):
    def __call__(self, *args: str, code: int = 0) -> Result: ...


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the sandbox's clock was asked for (retries, pacing): none is slept."""
    waits: list[float] = []
    monkeypatch.setattr(SandboxDayClock, "sleep", lambda self, seconds: waits.append(seconds))
    return waits


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slept: list[float]) -> Run:
    """`bpbridge ARGS` in-process; asserts the exit code (0 unless `code`)."""
    home = tmp_path / "home"
    monkeypatch.setenv("BRIDGE_HOME", str(home))
    monkeypatch.setenv("BRIDGE_ZSC_KEY", KEY)
    for name in ("BRIDGE_DB", "BRIDGE_MODE", "BRIDGE_TARGET", "BRIDGE_PROFILE", "BRIDGE_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    embedded_sandbox(home).seed(load_scenario(SCENARIOS / "small-agency.json"))
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(cli, list(args))
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        return result

    return invoke


def legacy_state(run: Run) -> None:
    """small-agency replayed through the legacy integration: a state to migrate (26 records)."""
    run("scenario", "run", "small-agency", "--mode", "legacy")


def enhanced_connected(run: Run) -> None:
    run("enhanced", "connect", "--email", EMAIL, "--portal", PORTAL)


def raise_after(calls: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a function so that its `calls`-th call (and any later one) raises KeyboardInterrupt
    once it has returned: a Ctrl-C arriving just after that point."""
    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        seen = [0]

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = real(*args, **kwargs)
            seen[0] += 1
            if seen[0] >= calls:
                raise KeyboardInterrupt
            return result
        return wrapped
    return wrap
