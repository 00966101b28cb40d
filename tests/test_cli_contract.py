"""The CLI's output contract, walked over the whole click tree (issue 15).

Every leaf command runs once where it succeeds and once where it fails, in a world that
moves through a whole legacy -> enhanced life (connect, invoice, mirror, migrate, sync,
roll back). Under --json each answer, success or failure, must be one JSON object on stdout
(a failure `{"error": {"type", "message", "exit_code"}}`); in human mode no Python repr
(`{'`, `None`) may reach the user; never a traceback or an `internal error`; the ZSC key
never appears. A command added to the tree without a case here fails the walk.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from bridge.cli.main import cli

REPO = Path(__file__).resolve().parents[1]
DANA_EMAIL, DANA_KEY = "dana@northwind.example", "5f1c2a9e8b7d4c3a9e0f6b2d1c8a7e4f"
PORTAL, OTHER_PORTAL = "64000001", "64000002"
ACME, GLOBEX, VENDOR = "2317000000040001", "2317000000040002", "2317000000040005"
WEBSITE, MOBILE, BRAND, INTRANET = "1600000000001", "1600000000002", "1600000000003", "1600000000004"
WRONG_KEY = "ffffffffffffffffffffffffffffffff"


@dataclass
class Case:
    """A command's success and failure invocations (args after the command path); a callable
    gets the world first (for ids made earlier in the walk)."""

    path: str
    ok: list[str] | Callable[[World], list[str]] | None
    fail: list[str]
    fail_code: int = 2
    env: dict[str, str] | None = None
    fail_env: dict[str, str] | None = None


class World:
    def __init__(self, tmp: Path, as_json: bool) -> None:
        self.tmp, self.as_json = tmp, as_json
        self.env = {"BRIDGE_HOME": str(tmp / "home"), "BRIDGE_ZSC_KEY": DANA_KEY,
                    "BRIDGE_CONFIG_DIR": str(tmp / "config")}
        self.ids: dict[str, str] = {}

    def invoke(self, args: list[str], env: dict[str, str] | None = None, json_flag: bool | None = None) -> Result:
        flag = self.as_json if json_flag is None else json_flag
        return CliRunner().invoke(cli, [*args, "--json"] if flag else args, env={**self.env, **(env or {})})


def _draft(world: World) -> list[str]:
    made = world.invoke(["legacy", "invoice", "create", "--project", MOBILE], json_flag=True)
    assert made.exit_code == 0, made.output
    return [json.loads(made.stdout)["invoice_id"], "--customer", GLOBEX]


def _nonempty_folder(world: World) -> list[str]:
    folder = world.tmp / "precious"
    folder.mkdir(exist_ok=True)
    (folder / "thesis.txt").write_text("keep me")
    return ["small-agency", "--home", str(folder)]


CASES = [
    Case("fixtures check", [], [str(REPO / "no-such-scenario.json")]),
    Case("scenario run", ["small-agency", "--mode", "legacy"], ["no-such-scenario"],
         env={"BRIDGE_DB": "scenario.db"}),
    Case("sandbox reset", [], ["--bogus"]),
    Case("sandbox seed", ["small-agency"], ["no-such-scenario"]),
    Case("sandbox load", ["small-agency"], ["no-such-scenario"]),
    Case("sandbox faults", ["--off"], ["--kind", "999"]),
    Case("sandbox state", [], ["extra-argument"]),
    Case("sandbox serve", None, ["--host", "8.8.8.8"]),  # success: test_sandbox_serve_success_is_json
    Case("db upgrade", [], [], fail_env={"BRIDGE_DB": "foo://bar"}),
    Case("db current", [], [], fail_env={"BRIDGE_DB": "mysql://u@h/d"}),
    Case("db check", [], [], fail_env={"BRIDGE_DB": "postgresql+psycopg://u:p@h:port/d"}),
    Case("legacy portals", ["--email", DANA_EMAIL], ["--email", DANA_EMAIL], fail_code=1,
         fail_env={"BRIDGE_ZSC_KEY": WRONG_KEY}),
    Case("legacy connect", ["--email", DANA_EMAIL, "--portal", PORTAL],
         ["--email", DANA_EMAIL, "--portal", "999"], fail_code=1),
    Case("legacy status", [], ["--bogus"]),
    Case("legacy sync", [], ["--bogus"]),
    Case("legacy invoice create", ["--project", WEBSITE, "--customer", ACME],
         ["--project", WEBSITE, "--customer", ACME], fail_code=1),
    Case("legacy invoice finalize", _draft, ["local-999", "--customer", GLOBEX]),
    Case("legacy expense record", ["--project", MOBILE, "--amount", "85.40", "--date", "2026-01-13",
                                   "--customer", GLOBEX, "--description", "Courier"],
         ["--project", MOBILE, "--amount", "lots", "--date", "2026-01-13"]),
    Case("legacy report", [], ["--bogus"]),
    Case("legacy transactions", ["--project", MOBILE], []),
    Case("legacy disable", ["--yes"], []),
    Case("legacy reenable", ["--portal", PORTAL], ["--portal", OTHER_PORTAL], fail_code=1),
    Case("migrate plan", [], ["--plan", "bogus"]),
    Case("migrate run", [], ["--batch", "0"]),
    Case("migrate verify", [], ["--batch", "0"]),
    Case("migrate status", [], [], fail_code=1, fail_env={"BRIDGE_DB": "missing/state.db"}),
    Case("enhanced reenable", ["--portal", PORTAL], ["--portal", OTHER_PORTAL], fail_code=1),
    Case("enhanced preferences", ["--general-timesheets"], ["--cutoff", "someday"]),
    Case("enhanced sync", [], ["--books-plan", "bogus"]),
    Case("enhanced status", [], ["--bogus"]),
    Case("enhanced history", [], ["--limit", "0"]),
    Case("enhanced errors", ["--details"], ["--bogus"]),
    Case("enhanced estimate create", ["--project", BRAND], ["--project", "999"], fail_code=1),
    Case("enhanced invoice create", ["--project", BRAND], ["--project", "999"], fail_code=1),
    Case("enhanced expense record", ["--project", BRAND, "--amount", "12.50", "--date", "2026-01-14",
                                     "--customer", ACME], ["--project", BRAND, "--amount", "12.50", "--date", "soon"]),
    Case("enhanced bill record", ["--project", BRAND, "--vendor", VENDOR, "--amount", "75", "--date", "2026-01-14"],
         ["--project", BRAND, "--vendor", ACME, "--amount", "75", "--date", "2026-01-14"]),
    Case("enhanced transactions", ["--project", BRAND], []),
    Case("enhanced credentials", ["--email", DANA_EMAIL], ["--email", DANA_EMAIL], fail_code=1,
         fail_env={"BRIDGE_ZSC_KEY": WRONG_KEY}),
    Case("enhanced connect", ["--email", DANA_EMAIL, "--portal", PORTAL], ["--email", DANA_EMAIL],
         env={"BRIDGE_DB": "connect.db"}),
    Case("enhanced disable", ["--yes"], []),
    Case("migrate rollback", ["--yes"], ["--yes"], fail_code=1, fail_env={"BRIDGE_DB": "never-migrated.db"}),
    Case("legacy disconnect", ["--yes"], []),
    Case("compare", ["small-agency"], ["no-such-scenario"]),
    Case("migrate demo", ["small-agency", "--home", "demo"], [], ),
    Case("doctor", None, [], ),  # success: tests/fidelity/test_doctor.py (a served sandbox and profile)
    # the fleet's successes need a PostgreSQL queue: tests/fleet/test_fleet_cli.py (skipped without one)
    Case("fleet submit", None, [str(REPO / "pyproject.toml")]),  # not JSON: refused before the queue
    Case("fleet worker", None, ["--concurrency", "0"]),
    Case("fleet status", None, [], fail_env={"BRIDGE_FLEET_DB": ""}),  # no queue named
    Case("fleet retry", None, []),  # no ORG
    Case("fleet cancel", None, ["acme"], fail_env={"BRIDGE_FLEET_DB": "mysql://u@h/d"}),  # not PostgreSQL
]
# `migrate demo` and `doctor` fail on what the walk sets up for them
FAILURE_ARGS: dict[str, Callable[[World], list[str]]] = {"migrate demo": _nonempty_folder}
#: the failures above that must leave an exit code other than 2
NOT_SERVED = {"sandbox serve": "blocks until Ctrl-C: test_sandbox_serve_success_is_json",
              "doctor": "needs a live profile: tests/fidelity/test_doctor.py"}


def _leaves(command: Any, path: tuple[str, ...] = ()) -> set[str]:
    subs = getattr(command, "commands", None)
    if not subs:
        return {" ".join(path)}
    return set().union(*(_leaves(c, (*path, n)) for n, c in subs.items()))


def test_every_command_has_a_case() -> None:
    tree = set().union(*(_leaves(cli.get_command(None, n), (n,)) for n in cli.list_commands(None)))  # type: ignore[arg-type]
    assert tree == {c.path for c in CASES}


def _check(world: World, case: Case, result: Result, expect_ok: bool) -> None:
    where = f"{case.path} ({'ok' if expect_ok else 'fail'}): {result.output[-2000:]}"
    text = result.stdout + result.stderr
    assert "Traceback" not in text and "internal error" not in text, where
    assert DANA_KEY not in text, where
    if expect_ok:
        assert result.exit_code == 0, where
    else:
        assert result.exit_code != 0, where
        if case.fail_code == 2:
            assert result.exit_code == 2, where
    if world.as_json:
        payload = json.loads(result.stdout)
        assert isinstance(payload, dict), where
        if not expect_ok and "ok" not in payload:  # a failed check answers its report, with "ok": false
            assert {"type", "message", "exit_code"} <= set(payload["error"]), where
            assert payload["error"]["exit_code"] == result.exit_code, where
    else:
        for repr_mark in ("{'", "None", "Decimal(", "datetime."):
            assert repr_mark not in result.stdout, f"{repr_mark!r} in {where}"


@pytest.mark.parametrize("output", ["json", "human"])
def test_walk_every_command_success_and_failure(output: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    world = World(tmp_path, as_json=output == "json")
    for case in CASES:
        if case.ok is not None and case.path not in NOT_SERVED:
            args = case.ok(world) if callable(case.ok) else case.ok
            _check(world, case, world.invoke([*case.path.split(), *args], case.env), expect_ok=True)
        fail_args = FAILURE_ARGS[case.path](world) if case.path in FAILURE_ARGS else case.fail
        fail_env = {**(case.env or {}), **(case.fail_env or {})}
        _check(world, case, world.invoke([*case.path.split(), *fail_args], fail_env), expect_ok=False)
    assert (tmp_path / "precious" / "thesis.txt").read_text() == "keep me"
    assert not (tmp_path / "missing").exists()  # a read-only command made no store


def test_a_usage_error_under_json_is_the_json_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--json", "migrate", "run", "--batch", "zero"],
                                env={"BRIDGE_HOME": str(tmp_path)})
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "UsageError" and "--batch" in error["message"] and error["exit_code"] == 2
    assert "migrate run --help" in error["hint"]


def test_sandbox_serve_success_is_json(tmp_path: Path) -> None:
    env = {**os.environ, "BRIDGE_HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "--json", "sandbox", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while (not lines or lines[-1].rstrip() != "}") and time.monotonic() < deadline:
            lines.append(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    payload = json.loads("".join(lines))
    assert payload["url"].startswith("http://127.0.0.1:") and proc.returncode == 0, err


def test_secrets_are_removed_from_the_structure_not_the_text() -> None:
    from bridge.cli.present import scrub

    data = {"key": ["invoice", "1"], "zsc_key": "s3cr3t-value", "note": "token s3cr3t-value used",
            "rows": [{"access_token": "x", "name": "ok"}]}
    assert scrub(data, ["s3cr3t-value"]) == {"key": ["invoice", "1"], "note": "token *** used",
                                             "rows": [{"name": "ok"}]}


def _commands(command: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    out = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        out += _commands(sub, (*path, name))
    return out


ALL_COMMANDS = [item for n in cli.list_commands(None)  # type: ignore[arg-type]
                for item in _commands(cli.get_command(None, n), (n,))]  # type: ignore[arg-type]


@pytest.mark.parametrize("path, command", ALL_COMMANDS, ids=[" ".join(p) for p, _ in ALL_COMMANDS])
def test_every_help_page_has_an_example_and_every_option_a_description(path: tuple[str, ...], command: Any) -> None:
    page = CliRunner().invoke(cli, [*path, "--help"])
    assert page.exit_code == 0 and re.search(r"Example: `[^`]*bpbridge ", page.stdout), page.stdout
    undescribed = [p.opts[0] for p in command.params if isinstance(p, click.Option) and not p.help]
    assert not undescribed, f"options without a description: {undescribed}"
