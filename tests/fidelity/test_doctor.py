"""`bridge doctor` on a live profile pointed at the served sandbox: one line per check, --json,
exit 0 all good, 1 a check failed, 2 the profile is unusable."""

from __future__ import annotations

import json
import os

from bridge.profile import profile_path, save_profile
from tests.fidelity.live import Live

CHECKS = ["permissions", "required fields", "reach accounts", "reach Books", "reach Projects",
          "token", "organization", "portal"]


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


def test_portal_checked_as_the_zsc_keys_user(live: Live) -> None:
    code, data = _doctor(live, env={"BRIDGE_ZSC_KEY": live.owner["zsc_key"], "BRIDGE_EMAIL": live.owner["email"]})
    portal = data["checks"][-1]  # type: ignore[index]
    assert code == 0 and "ZSC key of " + live.owner["email"] in portal["detail"] and "owner" in portal["detail"]
    code, data = _doctor(live, env={"BRIDGE_ZSC_KEY": "not-a-key"})
    assert code == 1
    assert data["checks"][-1]["status"] == "fail" and "Invalid ZSC key" in data["checks"][-1]["detail"]  # type: ignore[index]
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
