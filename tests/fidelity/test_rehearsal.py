"""Rehearsing a real migration (issue 14): a live profile whose hosts point at the served
sandbox, and the same flow an engineer runs against the real hosts, over HTTP with OAuth:
doctor, connect, migrate plan/run/verify, re-enable, sync, invoice in Books. Every call is
one the public APIs document; no Projects request carries a ZSC key."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.fidelity.live import Live


def _ok(live: Live, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = live.bridge("--json", *args, env=env)
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_a_migration_rehearsed_over_http_runs_as_against_the_real_hosts(live: Live) -> None:
    assert _ok(live, "doctor")["ok"] is True
    key = {"BRIDGE_ZSC_KEY": live.owner["zsc_key"]}
    portal = live.profile.portal_id
    _ok(live, "legacy", "connect", "--email", live.owner["email"], "--portal", portal, env=key)
    # the legacy state to carry: an expense recorded in Books through the legacy integration
    _ok(live, "legacy", "expense", "record", "--project", "1600000000001", "--amount", "42.50",
        "--date", "2026-01-10", "--customer", "2317000000040001", "--side", "books")
    plan = _ok(live, "migrate", "plan", "--no-services")
    assert "42.50" in json.dumps(plan)
    run = _ok(live, "migrate", "run", "--no-services")
    assert run["state"] == "done" and run["carried"]["transactions"] == 1  # type: ignore[index]
    assert _ok(live, "migrate", "verify", "--no-services")["ok"] is True
    _ok(live, "enhanced", "reenable", "--portal", portal)
    synced = _ok(live, "enhanced", "sync")
    assert synced["modules"]["projects"]["created"] == 3  # type: ignore[index]
    invoice = _ok(live, "enhanced", "invoice", "create", "--project", "1600000000001", "--side", "books")
    assert Decimal(invoice["total"]["amount"]) > 0  # type: ignore[index]
    # the served sandbox saw all of it, with OAuth, and never a ZSC key
    seen = live.sandbox.calls()
    assert seen["totals"]["books"] > 10 and seen["totals"]["projects"] > 5
    # a sandbox-only step is refused live before any call, naming what to do instead
    refused = live.bridge("--json", "enhanced", "invoice", "create", "--project", "1600000000001",
                          "--side", "projects")
    assert refused.exit_code == 2 and "--side books" in refused.output
