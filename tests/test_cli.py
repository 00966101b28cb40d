"""The CLI as a user meets it: --help everywhere, exit codes that mean something, one-line
errors, and the sandbox served over real HTTP answering as it does in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from bridge.cli.main import AREAS, LazyGroup, cli

REPO = Path(__file__).resolve().parents[1]


def _all_commands() -> list[list[str]]:
    found: list[list[str]] = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        found.append(path)
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None:
                    walk(sub, [*path, name])

    walk(cli, [])
    return found


def test_every_area_is_importable() -> None:
    for name in AREAS:
        assert LazyGroup._load(name) is not None, f"command area {name} is missing"


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p) or "bridge")
def test_help_on_every_command(path: list[str]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_usage_errors_exit_2_and_input_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate", "frobnicate"]).exit_code == 2
    result = runner.invoke(cli, ["scenario", "run", "no-such-scenario"], env={"BRIDGE_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert "no shipped scenario" in result.output
    assert "Traceback" not in result.output


def test_a_refusal_is_one_line_and_json_on_stdout_with_json(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"BRIDGE_HOME": str(tmp_path), "BRIDGE_DB": str(tmp_path / "s.db")}
    assert runner.invoke(cli, ["sandbox", "load", "small-agency"], env=env).exit_code == 0
    assert runner.invoke(cli, ["db", "upgrade"], env=env).exit_code == 0  # status only reads a store
    result = runner.invoke(cli, ["--json", "migrate", "status"], env=env)
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["error"]["type"] == "NotConnected" and payload["error"]["exit_code"] == 1
    assert result.stderr.startswith("error: there is no legacy integration")
    assert "Traceback" not in result.output


def test_db_commands_report_versions(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "x.db")
    assert runner.invoke(cli, ["--db", db, "db", "upgrade"]).exit_code == 0
    current = json.loads(runner.invoke(cli, ["--db", db, "--json", "db", "current"]).stdout)
    assert current["current"] == current["head"]
    assert runner.invoke(cli, ["--db", db, "db", "check"]).exit_code == 0


def test_sandbox_serve_answers_real_http_like_the_in_process_transport(tmp_path: Path) -> None:
    env = {**os.environ, "BRIDGE_HOME": str(tmp_path)}
    seeded = subprocess.run([sys.executable, "-m", "bridge.cli.main", "sandbox", "load", "small-agency"],
                            env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert seeded.returncode == 0, seeded.stderr
    server = subprocess.Popen([sys.executable, "-m", "bridge.cli.main", "--json", "sandbox", "serve", "--port", "0"],
                              env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        lines = []
        while not "".join(lines).strip().endswith("}"):
            lines.append(server.stdout.readline())
        url = json.loads("".join(lines))["url"]
        assert url.startswith("http://127.0.0.1:")
        from sandbox import (
            SANDBOX_CLIENT_ID,
            SANDBOX_CLIENT_SECRET,
            SANDBOX_REFRESH_TOKEN,
            Sandbox,
        )

        form = {"grant_type": "refresh_token", "refresh_token": SANDBOX_REFRESH_TOKEN,
                "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}

        def ask(client: httpx.Client) -> dict[str, object]:
            token = client.post("/oauth/v2/token", data=form).json()["access_token"]
            headers = {"Authorization": f"Zoho-oauthtoken {token}"}
            orgs = client.get("/books/v3/organizations", headers=headers).json()
            org = orgs["organizations"][0]["organization_id"]
            contacts = client.get("/books/v3/contacts", params={"organization_id": org}, headers=headers)
            missing = client.get("/books/v3/contacts/1", params={"organization_id": org}, headers=headers)
            return {"orgs": orgs, "contacts": contacts.json(), "missing": [missing.status_code, missing.json()]}

        with httpx.Client(base_url=url, timeout=10) as real:
            over_http = ask(real)
        in_process_box = Sandbox(tmp_path / "sandbox.db")
        with httpx.Client(transport=in_process_box.transport(), base_url="http://sandbox") as local:
            in_process = ask(local)
        assert over_http == in_process
        assert over_http["missing"][0] == 404
    finally:
        server.terminate()
        server.wait(timeout=10)
