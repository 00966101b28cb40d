"""`bpbridge legacy ...` end to end on the embedded sandbox seeded with small-agency: connect,
invoice both ways, mirror expenses, report; --json output parsed; the key never printed."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bridge.cli.legacy import legacy as legacy_group
from bridge.cli.main import cli

pytestmark = pytest.mark.store

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
DANA_EMAIL, DANA_KEY = "dana@northwind.example", "5f1c2a9e8b7d4c3a9e0f6b2d1c8a7e4f"


@pytest.fixture
def run(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch):
    from bridge.scenarios.fixtures import load_scenario
    from sandbox.wiring import embedded_sandbox

    monkeypatch.setenv("BRIDGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BRIDGE_DB", store_url)
    monkeypatch.delenv("BRIDGE_MODE", raising=False)
    embedded_sandbox(tmp_path / "home").seed(load_scenario(SCENARIOS / "small-agency.json"))
    runner = CliRunner()

    def invoke(*args: str, key: str | None = DANA_KEY, code: int = 0) -> Result:
        env = {"BRIDGE_ZSC_KEY": key} if key else {}
        result = runner.invoke(cli, list(args), env=env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        assert DANA_KEY not in result.stdout and DANA_KEY not in result.stderr
        return result

    return invoke


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def test_L1_to_L9_the_whole_flow_from_the_cli(run):
    portals = _json(run("--json", "legacy", "portals", "--email", DANA_EMAIL))
    assert [p["portal_id"] for p in portals["portals"]] == ["64000001"]  # L2

    conn = _json(run("--json", "legacy", "connect", "--email", DANA_EMAIL, "--portal", "64000001"))
    assert conn["portal_id"] == "64000001" and conn["state"] == "connected"
    assert conn["shared"] == {"name": "Northwind Studio", "email": "billing@northwind.example"}  # L10

    synced = _json(run("--json", "legacy", "sync"))  # L7
    assert synced["counts"]["expenses"]["created"] == 3 and synced["errors"] == []

    books_inv = _json(run("--json", "legacy", "invoice", "create", "--project", "1600000000001",
                          "--customer", "2317000000040001"))  # L4, L5
    assert Decimal(books_inv["lines"][0]["rate"]["amount"]) > 0 and books_inv["origin"] == "books"
    assert {li["expense_id"] for li in books_inv["lines"] if li["expense_id"]} == {"2000000000001"}

    proj_inv = _json(run("--json", "legacy", "invoice", "create", "--project", "1600000000003",
                         "--customer", "2317000000040003", "--side", "projects"))  # L6
    assert proj_inv["origin"] == "projects" and not proj_inv["invoice_id"].startswith("local-")

    refused = run("--json", "legacy", "invoice", "create", "--project", "1600000000001",
                  "--customer", "2317000000040001", "--side", "projects", code=1)  # L8
    assert _json(refused)["error"]["type"] == "AlreadyInvoiced"
    assert "already invoiced" in refused.stderr

    draft = _json(run("--json", "legacy", "invoice", "create", "--project", "1600000000002"))
    assert draft["status"] == "draft" and draft["customer_id"] is None
    final = _json(run("--json", "legacy", "invoice", "finalize", draft["invoice_id"],
                      "--customer", "2317000000040002"))
    assert final["customer_id"] == "2317000000040002"

    exp = _json(run("--json", "legacy", "expense", "record", "--project", "1600000000002",
                    "--amount", "85.40", "--date", "2026-01-13", "--customer", "2317000000040002",
                    "--description", "Courier for test devices"))
    assert exp["amount"] == {"amount": "85.40", "currency": "USD"} and exp["side"] == "projects"

    report = _json(run("--json", "legacy", "report"))  # L9
    by_project = {p["project_id"]: p for p in report["projects"]}
    assert by_project["1600000000001"]["totals"]["invoices"] == [{"amount": "1710.00", "currency": "USD"}]
    assert by_project["1600000000003"]["totals"]["invoices"] == [{"amount": "475.00", "currency": "USD"}]
    assert by_project["1600000000001"]["project_name"]  # names beside ids
    assert set(report["totals"]) == {"invoices", "expenses"}

    txns = _json(run("--json", "legacy", "transactions", "--project", "1600000000002"))
    assert {t["kind"] for t in txns["transactions"]} == {"invoice", "expense"}

    status = _json(run("--json", "legacy", "status"))  # L3
    assert status["connection"]["portal_id"] == "64000001" and status["badge"] == "Active"

    run("--json", "legacy", "disable", "--yes")
    mismatch = run("--json", "legacy", "reenable", "--portal", "64000002", code=1)
    assert _json(mismatch)["error"]["type"] == "PortalMismatch"
    assert _json(run("--json", "legacy", "reenable", "--portal", "64000001"))["state"] == "connected"
    run("--json", "legacy", "disconnect", "--yes")
    assert _json(run("--json", "legacy", "status"))["connection"]["state"] == "disconnected"


def test_L1_a_wrong_key_from_the_cli_is_refused_and_not_echoed(run):
    wrong = "ffffffffffffffffffffffffffffffff"
    result = run("legacy", "connect", "--email", DANA_EMAIL, "--portal", "64000001", key=wrong, code=1)
    assert "ZSC key" in result.stderr and wrong not in result.stderr + result.stdout


def test_human_output_shows_tables(run):
    run("legacy", "connect", "--email", DANA_EMAIL, "--portal", "64000001")
    run("legacy", "invoice", "create", "--project", "1600000000001", "--customer", "2317000000040001")
    out = run("legacy", "report").stdout
    assert "(1600000000001)" in out and "1710.00 USD" in out
    assert "Portals you own" in run("legacy", "portals", "--email", DANA_EMAIL).stdout


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [path]
    for name, cmd in getattr(group, "commands", {}).items():
        out += _commands(cmd, (*path, name))
    return out


@pytest.mark.parametrize("path", _commands(legacy_group), ids=lambda p: " ".join(p) or "legacy")
def test_help_on_every_legacy_command(path):
    result = CliRunner().invoke(cli, ["legacy", *path, "--help"])
    assert result.exit_code == 0 and "Usage" in result.stdout
