"""C1, C2: `bpbridge compare` exit codes, --json and --html through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bridge.cli.main import cli
from bridge.compare import drive
from tests.compare.conftest import CLEAN


def test_clean_scenario_exits_0_with_json_C1(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--json", "compare", CLEAN, "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["undeclared"] == [] and data["declared"]
    assert {"reason", "spec", "path"} <= set(data["declared"][0])
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


TARGET = drive.DEFAULT_MODES[-1]


def test_undeclared_difference_exits_1_and_names_it_C2(monkeypatch: pytest.MonkeyPatch) -> None:
    real = drive.view_of

    def injected(scenario: Any, run: drive.ModeRun) -> dict[str, Any]:
        view = real(scenario, run)
        if run.mode == TARGET:  # one side gains a customer nobody declared
            view["books"]["customers"]["Injected Ltd"] = {"currency_code": "USD"}
        return view

    monkeypatch.setattr(drive, "view_of", injected)
    result = CliRunner().invoke(cli, ["compare", CLEAN])
    assert result.exit_code == 1
    assert 'books.customers["Injected Ltd"]' in result.stdout
    assert "1 undeclared difference" in result.stderr


def test_unknown_fixture_is_a_usage_error_C1() -> None:
    result = CliRunner().invoke(cli, ["compare", "no-such-scenario"])
    assert result.exit_code == 2 and "no-such-scenario" in result.stderr


def test_help_C1() -> None:
    result = CliRunner().invoke(cli, ["compare", "--help"])
    assert result.exit_code == 0 and "--html" in result.stdout
