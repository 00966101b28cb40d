"""`--target live` against the served sandbox standing in for the real hosts (profile
base_url): the enhanced flow works, an expired token is re-minted once, and the toolkit never
mints more than 10 tokens per 10 minutes."""

from __future__ import annotations

import json

from tests.fidelity.live import Live


def _connect(live: Live) -> None:
    result = live.bridge("--json", "enhanced", "connect", "--email", live.owner["email"],
                         "--portal", live.profile.portal_id, env={"BRIDGE_ZSC_KEY": live.owner["zsc_key"]})
    assert result.exit_code == 0, result.output


def test_live_target_runs_the_enhanced_flow_over_http(live: Live) -> None:
    _connect(live)
    result = live.bridge("--json", "enhanced", "sync")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["modules"]["projects"]["created"] == 3
    assert live.sandbox.calls()["totals"]["books"] > 10  # the served sandbox saw it all
    assert live.mints() == 1  # one token for all three CLI processes (cached, 0600 file)


def test_an_expired_token_is_reminted_once_and_the_call_succeeds(live: Live) -> None:
    _connect(live)
    assert live.mints() == 1
    live.sandbox.advance(3700)  # the service's clock: the cached token is now expired there
    result = live.bridge("--json", "enhanced", "sync")
    assert result.exit_code == 0, result.output
    assert live.mints() == 2
    result = live.bridge("--json", "enhanced", "status")
    assert result.exit_code == 0, result.output
    assert live.mints() == 2  # the new token is cached and reused


def test_never_more_than_10_mints_per_10_minutes(live: Live) -> None:
    _connect(live)
    refused = None
    for _ in range(14):
        # the service's clock moves on: every run finds its token expired there and must
        # re-mint, while ten minutes have not passed on the toolkit's own clock
        live.sandbox.advance(3700)
        result = live.bridge("--json", "enhanced", "sync")
        if result.exit_code != 0:
            refused = result
            break
    assert refused is not None, "the 11th mint within 10 minutes was not refused"
    assert live.mints() == 10
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["error"]["type"] == "RateLimited"
    assert "10 access tokens minted" in refused.stderr and "the next is allowed at" in refused.stderr
