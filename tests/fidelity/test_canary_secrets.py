"""No secret ever leaves: a live profile with recognisable fake secrets (client secret,
refresh token) and a recognisable ZSC key drives every command with --json and --debug
against the served sandbox, including failing runs (bad key, unknown ids, faults on). The
canaries must appear in no stdout, stderr, log record, report file or the state store."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

from bridge.cli.main import cli
from bridge.clients import _http
from bridge.clients._backoff import RetryPolicy
from tests.fidelity.live import Live, make_live

SECRET, REFRESH, ZSC = "CANARY-SECRET-7f3a", "CANARY-REFRESH-9b1c", "CANARY-ZSC-4d2e"
CANARIES = (SECRET, REFRESH, ZSC)
#: blocks until stopped: serving is covered by the served sandbox every other command talks to
NOT_RUN = {"sandbox serve"}


@pytest.fixture
def canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    # live mode waits on the real clock: the same retries, with waits short enough for a test
    fast = functools.partial(RetryPolicy, backoff_base=0.01, backoff_cap=0.02, minute_limit_wait=0.02)
    monkeypatch.setattr(_http, "RetryPolicy", fast)
    yield from make_live(tmp_path, monkeypatch, client_id="canary-client", secret=SECRET, refresh=REFRESH,
                         zsc_key=ZSC)


def _leaves() -> set[str]:
    found: set[str] = set()

    def walk(cmd: click.Command, path: list[str]) -> None:
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None:
                    walk(sub, [*path, name])
        else:
            found.add(" ".join(path))

    walk(cli, [])
    return found


def _steps(live: Live) -> list[tuple[list[str], dict[str, str]]]:
    """Every command, in an order that builds state: legacy, migration, enhanced, the rest."""
    sc = live.scenario
    p = sc["projects"]["projects"][0]["id"]
    customer = sc["books"]["contacts"][0]["contact_id"]
    vendor = next(c["contact_id"] for c in sc["books"]["contacts"] if c.get("contact_type") == "vendor")
    email, portal = live.owner["email"], live.profile.portal_id
    key, bad = {"BRIDGE_ZSC_KEY": ZSC, "BRIDGE_EMAIL": email}, {"BRIDGE_ZSC_KEY": "WRONG-KEY"}
    home = str(live.tmp / "demo")
    html = str(live.tmp / "report.html")
    none: dict[str, str] = {}
    return [
        (["doctor"], none), (["doctor"], key), (["doctor"], bad),
        (["db", "upgrade"], none), (["db", "current"], none), (["db", "check"], none),
        (["fixtures", "check"], none), (["fixtures", "check", "/no/such.json"], none),
        (["--mode", "legacy", "legacy", "portals", "--email", email], key),
        (["--mode", "legacy", "legacy", "portals", "--email", email], bad),
        (["--mode", "legacy", "legacy", "connect", "--email", email, "--portal", "999"], key),
        (["--mode", "legacy", "legacy", "connect", "--email", email, "--portal", portal], bad),
        (["--mode", "legacy", "legacy", "connect", "--email", email, "--portal", portal], key),
        (["--mode", "legacy", "legacy", "status"], none),
        (["--mode", "legacy", "legacy", "sync"], none),
        (["--mode", "legacy", "legacy", "invoice", "create", "--project", p, "--customer", customer], none),
        (["--mode", "legacy", "legacy", "invoice", "create", "--project", "999"], none),
        (["--mode", "legacy", "legacy", "invoice", "finalize", "999", "--customer", customer], none),
        (["--mode", "legacy", "legacy", "expense", "record", "--project", p, "--amount", "12.50",
          "--date", "2026-01-02", "--customer", customer], none),
        (["--mode", "legacy", "legacy", "expense", "record", "--project", p, "--amount", "x",
          "--date", "2026-01-02"], none),
        (["--mode", "legacy", "legacy", "report"], none),
        (["--mode", "legacy", "legacy", "report", "--project", "999"], none),
        (["--mode", "legacy", "legacy", "transactions", "--project", p], none),
        (["--mode", "legacy", "legacy", "transactions", "--project", "999"], none),
        (["--mode", "legacy", "legacy", "disable", "--yes"], none),
        (["--mode", "legacy", "legacy", "reenable", "--portal", "999"], none),
        (["--mode", "legacy", "legacy", "reenable", "--portal", portal], none),
        (["migrate", "plan"], none), (["migrate", "run"], none), (["migrate", "verify"], none),
        (["migrate", "status"], none), (["migrate", "rollback", "--yes"], none), (["migrate", "run"], none),
        (["--mode", "legacy", "legacy", "disconnect", "--yes"], none),
        (["migrate", "demo", "small-agency", "--home", home], none),
        (["enhanced", "reenable", "--portal", "999"], none), (["enhanced", "reenable", "--portal", portal], none),
        (["enhanced", "credentials", "--email", email], bad), (["enhanced", "credentials", "--email", email], key),
        (["enhanced", "connect", "--email", email, "--portal", portal], key),
        (["enhanced", "preferences"], none), (["enhanced", "preferences", "--cutoff", "soon"], none),
        (["enhanced", "preferences", "--general-timesheets"], none),
        (["enhanced", "sync", "--plan"], none), (["enhanced", "sync"], none),
        (["enhanced", "status"], none), (["enhanced", "history"], none),
        (["enhanced", "errors"], none), (["enhanced", "errors", "--details", "--all"], none),
        (["enhanced", "invoice", "create", "--project", p], none),
        (["enhanced", "invoice", "create", "--project", "999", "--side", "projects"], none),
        (["enhanced", "expense", "record", "--project", p, "--amount", "7", "--date", "2026-01-02"], none),
        (["enhanced", "expense", "record", "--project", "999", "--amount", "7", "--date", "2026-01-02"], none),
        (["enhanced", "estimate", "create", "--project", p], none),
        (["enhanced", "estimate", "create", "--project", "999", "--side", "projects"], none),
        (["enhanced", "bill", "record", "--project", p, "--vendor", vendor, "--amount", "9",
          "--date", "2026-01-02"], none),
        (["enhanced", "bill", "record", "--project", p, "--vendor", customer, "--amount", "9",
          "--date", "2026-01-02"], none),
        (["enhanced", "transactions", "--project", p], none), (["enhanced", "transactions", "--project", "999"], none),
        ("FAULTS", none),
        (["enhanced", "sync"], none), (["enhanced", "invoice", "create", "--project", p], none),
        (["enhanced", "bill", "record", "--project", p, "--vendor", vendor, "--amount", "9",
          "--date", "2026-01-02"], none),
        (["--mode", "legacy", "legacy", "status"], none), (["doctor"], key),
        ("NO FAULTS", none),
        (["enhanced", "disable", "--yes"], none),
        (["scenario", "run", "small-agency", "--mode", "enhanced"], none),
        (["compare", "small-agency", "--html", html], none),
        (["sandbox", "load", "small-agency"], none), (["sandbox", "seed", "small-agency"], none),
        (["sandbox", "state"], none),
        (["sandbox", "faults", "--rate", "0.2", "--kind", "500"], none), (["sandbox", "faults", "--off"], none),
        (["sandbox", "reset"], none),
        # the fleet without its queue database (tests/fleet runs it on PostgreSQL): refusals
        (["fleet", "submit", "/no/such.json"], none), (["fleet", "status"], none), (["fleet", "worker"], none),
        (["fleet", "retry", "x"], none), (["fleet", "cancel", "x"], none),
    ]


def _leaks(text: str) -> list[str]:
    return [c for c in CANARIES if c in text]


def test_no_command_leaks_a_canary(canary: Live, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    steps = _steps(canary)
    missing = {leaf for leaf in _leaves() - NOT_RUN if not any(_covers(args, leaf) for args, _ in steps)}
    assert not missing, f"commands with no argument set here: {sorted(missing)}"
    leaks: list[str] = []
    codes: dict[int, int] = {}
    for args, env in steps:
        if args == "FAULTS":
            canary.sandbox.set_faults(rate=0.5, kinds=["500", "429"], seed=3)
            continue
        if args == "NO FAULTS":
            canary.sandbox.clear_faults()
            continue
        assert isinstance(args, list)
        result = canary.bridge("--json", "--debug", *args, env=env)
        codes[result.exit_code] = codes.get(result.exit_code, 0) + 1
        for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            leaks += [f"{' '.join(args)}: {stream}: {c}" for c in _leaks(text)]
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            leaks += [f"{' '.join(args)}: exception: {c}" for c in _leaks(repr(result.exception))]
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        leaks += [f"log {record.name}: {c}" for c in _leaks(text)]
    for path in _written_files(canary):
        leaks += [f"file {path}: {c}" for c in _leaks(path.read_bytes().decode("latin-1"))]
    assert not leaks, "\n".join(leaks)
    assert codes.get(0, 0) > 20 and codes.get(1, 0) + codes.get(2, 0) > 10, codes  # both kinds really ran
    assert canary.sandbox.calls()["totals"].get("books", 0) > 0


def _covers(args: Any, leaf: str) -> bool:
    if not isinstance(args, list):
        return False
    words = [a for a in args if not a.startswith("-")]
    parts = leaf.split()
    return any(words[i:i + len(parts)] == parts for i in range(len(words)))


def _written_files(live: Live) -> list[Path]:
    """What the toolkit wrote: the store, reports, the demo's folder; not the 0600 secrets
    file (its job is to hold the key and tokens) nor the sandboxes (they are the services)."""
    out = []
    for path in live.tmp.rglob("*"):
        if not path.is_file() or path.name.startswith("secrets.json") or path.name.startswith("sandbox.db"):
            continue
        if path.parent.name == "profiles":
            continue  # the profile is the user's own copy of the secrets
        out.append(path)
    # no HTML report: `compare` is a sandbox tool and refuses --target live (issue 14)
    assert any(p.name == "state.db" for p in out)
    return out
