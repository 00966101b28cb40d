"""The `bpbridge enhanced` commands: --help on each, and a connect/sync/status/errors round."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from bridge.cli.enhanced import enhanced


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    out = [prefix]
    for name, cmd in group.commands.items():
        out += _commands(cmd, [*prefix, name]) if isinstance(cmd, click.Group) else [[*prefix, name]]
    return out


@pytest.mark.parametrize("path", _commands(enhanced, []), ids=lambda p: " ".join(p) or "enhanced")
def test_help_on_every_command(path: list[str]) -> None:
    result = CliRunner().invoke(enhanced, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_E1_E5_E8_cli_round_with_json(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.cli.main import cli
    from tests.conftest import load_scenario_file

    monkeypatch.setenv("BRIDGE_HOME", str(tmp_path))
    runner = CliRunner()
    data = load_scenario_file("broken-data")
    owner = next(u for u in data["projects"]["users"] if u.get("zsc_key"))
    seed = runner.invoke(cli, ["sandbox", "seed", "broken-data"])
    assert seed.exit_code == 0, seed.output
    monkeypatch.setenv("BRIDGE_ZSC_KEY", owner["zsc_key"])
    r = runner.invoke(cli, ["--json", "enhanced", "connect", "--email", owner["email"], "--portal", "64600001"])
    assert r.exit_code == 0, r.output
    assert owner["zsc_key"] not in r.output
    r = runner.invoke(cli, ["enhanced", "preferences", "--general-timesheets", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["general_timesheets"] is True
    r = runner.invoke(cli, ["enhanced", "sync", "--json"])
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)["errors"]) == len(data["expect"]["errors"])
    r = runner.invoke(cli, ["enhanced", "status", "--json"])
    assert json.loads(r.output)["badge"] == "Active"
    r = runner.invoke(cli, ["enhanced", "errors", "--details", "--json"])
    assert ({e["reason_code"] for e in json.loads(r.output)["errors"]}
            == {e["reason_code"] for e in data["expect"]["errors"]})
    r = runner.invoke(cli, ["enhanced", "reenable", "--portal", "64600002"])
    assert r.exit_code == 1 and "E11" in r.output


def test_E9_estimate_and_bill_from_the_cli_with_json(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.cli.main import cli
    from tests.conftest import load_scenario_file

    monkeypatch.setenv("BRIDGE_HOME", str(tmp_path))
    runner = CliRunner()
    data = load_scenario_file("small-agency")
    owner = next(u for u in data["projects"]["users"] if u.get("zsc_key"))
    portal = data["projects"]["portals"][0]["id"]
    assert runner.invoke(cli, ["sandbox", "seed", "small-agency"]).exit_code == 0
    monkeypatch.setenv("BRIDGE_ZSC_KEY", owner["zsc_key"])
    r = runner.invoke(cli, ["enhanced", "connect", "--email", owner["email"], "--portal", portal])
    assert r.exit_code == 0, r.output
    assert runner.invoke(cli, ["enhanced", "sync", "--json"]).exit_code == 0
    done = {t["id"] for t in data["projects"]["tasks"] if t.get("completed")}
    project = next(log["project_id"] for log in data["projects"]["timelogs"] if log.get("task_id") in done)

    r = runner.invoke(cli, ["enhanced", "estimate", "create", "--project", project, "--side", "projects", "--json"])
    assert r.exit_code == 0, r.output
    est = json.loads(r.output)
    assert est["kind"] == "estimate" and est["origin"] == "projects" and float(est["total"]["amount"]) > 0

    r = runner.invoke(cli, ["enhanced", "bill", "record", "--project", project, "--vendor", est["customer_id"],
                            "--amount", "75", "--date", "2026-02-03", "--json"])
    assert r.exit_code == 2 and "not a vendor" in r.output  # bad input: exit 2
    r = runner.invoke(cli, ["enhanced", "bill", "record", "--project", project, "--vendor", "1",
                            "--amount", "lots", "--date", "2026-02-03"])
    assert r.exit_code == 2 and "Invalid value for '--amount': 'lots' is not a number" in r.output

    r = runner.invoke(cli, ["enhanced", "transactions", "--project", project, "--json"])
    assert [(t["kind"], t["transaction_id"], t["origin"]) for t in json.loads(r.output)["transactions"]] == [
        ("estimate", est["transaction_id"], "projects")]
