"""`bpbridge doctor` on a live profile pointed at the served sandbox: one line per check, --json,
exit 0 all good, 1 a check failed, 2 the profile is unusable."""

from __future__ import annotations

import json
import os

from bridge.profile import profile_path, save_profile
from tests.fidelity.live import Live

CHECKS = ["permissions", "required fields", "reach accounts", "reach Books", "reach Projects",
          "token", "scopes", "organization", "portal"]


def _doctor(live: Live, *extra: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    result = live.bridge("--json", "doctor", *extra, env=env)
    return result.exit_code, json.loads(result.stdout)


def test_all_good_exits_0_one_line_per_check(live: Live) -> None:
    result = live.bridge("doctor")
    assert result.exit_code == 0, result.output
    # the checks, then (after a blank line) the capability matrix
    lines = result.stdout.split("\n\n")[0].strip().splitlines()[1:]
    assert [line.split(":")[0][5:] for line in lines] == CHECKS
    assert all(line.startswith("ok  ") for line in lines)
    code, data = _doctor(live)
    assert code == 0 and data["ok"] is True
    assert [c["status"] for c in data["checks"]] == ["ok"] * len(CHECKS)  # type: ignore[union-attr,index]


def test_portal_checked_as_the_oauth_tokens_user_never_with_a_zsc_key(live: Live) -> None:
    # Projects API v3 is OAuth only: a ZSC key in the environment is never sent
    code, data = _doctor(live, env={"BRIDGE_ZSC_KEY": "not-a-key", "BRIDGE_EMAIL": live.owner["email"]})
    portal = data["checks"][-1]  # type: ignore[index]
    assert code == 0 and "the OAuth token" in portal["detail"] and "owner" in portal["detail"]
    assert "not-a-key" not in json.dumps(data)


def test_loose_permissions_fail_the_check(live: Live) -> None:
    os.chmod(profile_path("live"), 0o644)
    code, data = _doctor(live)
    assert code == 1
    first = data["checks"][0]  # type: ignore[index]
    assert first["status"] == "fail" and "0644" in first["detail"] and first["fix"].startswith("chmod 600")


def test_missing_fields_are_bad_config_exit_2(live: Live) -> None:
    save_profile(type(live.profile)(name="live", client_id="x", base_url=live.url))
    result = live.bridge("doctor")
    assert result.exit_code == 2
    assert "missing: client_secret, refresh_token, organization_id, portal_id" in result.stdout
    path = profile_path("live")
    path.write_text("{not json")
    assert live.bridge("doctor").exit_code == 2


def test_wrong_ids_and_credentials_are_named(live: Live) -> None:
    save_profile(type(live.profile)(**{**live.profile.__dict__, "organization_id": "999", "portal_id": "888"}))
    code, data = _doctor(live)
    by = {c["name"]: c for c in data["checks"]}  # type: ignore[union-attr]
    assert code == 1 and by["token"]["status"] == "ok"
    assert by["organization"]["status"] == "fail" and "organization_id" in by["organization"]["fix"]
    assert by["portal"]["status"] == "fail" and "888" in by["portal"]["detail"]
    save_profile(type(live.profile)(**{**live.profile.__dict__, "client_secret": "wrong-secret"}))
    code, data = _doctor(live)
    by = {c["name"]: c for c in data["checks"]}  # type: ignore[union-attr]
    assert code == 1 and by["token"]["status"] == "fail" and "invalid_client" in by["token"]["detail"]
    assert by["organization"]["status"] == "skipped"
    assert "wrong-secret" not in json.dumps(data)


def test_unreachable_hosts_fail_reachability(live: Live) -> None:
    save_profile(type(live.profile)(**{**live.profile.__dict__, "base_url": "http://127.0.0.1:9"}))
    code, data = _doctor(live)
    by = {c["name"]: c for c in data["checks"]}  # type: ignore[union-attr]
    assert code == 1
    assert all(by[f"reach {h}"]["status"] == "fail" for h in ("accounts", "Books", "Projects"))
    assert by["token"]["status"] == "fail"


def _grant(live: Live, scope: str) -> None:
    """What the sandbox's accounts server says the profile's refresh token was granted."""
    with live.sandbox.db.tx(write=True) as tx:
        record = tx.get("accounts", "refresh_tokens", live.profile.refresh_token)
        assert record is not None
        tx.put("accounts", "refresh_tokens", live.profile.refresh_token, {**record, "scope": scope})


def test_a_token_lacking_a_scope_fails_naming_it(live: Live) -> None:
    from bridge.clients.scopes import all_scopes

    _grant(live, ",".join(sorted(all_scopes() - {"ZohoBooks.invoices.CREATE"})))
    code, data = _doctor(live)
    by = {c["name"]: c for c in data["checks"]}  # type: ignore[union-attr]
    assert code == 1 and by["scopes"]["status"] == "fail"
    assert "ZohoBooks.invoices.CREATE" in by["scopes"]["detail"]
    assert "invoice create" in by["scopes"]["detail"] and "ZohoBooks.invoices.CREATE" in by["scopes"]["fix"]
    assert by["organization"]["status"] == "ok"  # the other checks still run


def test_module_wide_scopes_cover_their_operations(live: Live) -> None:
    from bridge.clients.scopes import all_scopes

    books_modules = {s.split(".")[1] for s in all_scopes() if s.startswith("ZohoBooks.")}
    _grant(live, " ".join([*(s for s in all_scopes() if s.startswith("ZohoProjects.")),
                           *(f"ZohoBooks.{m}.ALL" for m in books_modules)]))
    code, data = _doctor(live)
    assert code == 0, data


def test_the_time_item_is_a_required_field(live: Live) -> None:
    save_profile(type(live.profile)(**{**live.profile.__dict__, "time_item_id": ""}))
    result = live.bridge("doctor")
    assert result.exit_code == 2 and "missing: time_item_id" in result.stdout
