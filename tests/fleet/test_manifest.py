"""The fleet manifest: every bad entry is refused with its JSON path before anything is queued."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bridge.errors import FixtureError
from fleet.manifest import check_manifest
from tests.fleet.conftest import FleetCli, write_manifest

GOOD = {"name": "acme", "scenario": "small-agency", "action": "migrate"}


def test_a_good_manifest_gives_each_organization_its_steps() -> None:
    orgs = check_manifest({"organizations": [
        GOOD, {"name": "globex", "scenario": "multi-currency", "action": "sync", "options": {"batch": 50}},
        {"name": "live-one", "profile": "prod", "action": "sync"}]})
    assert [o.steps() for o in orgs] == [("seed", "migrate", "verify"),
                                         ("seed", "migrate", "verify", "reenable", "sync"), ("sync",)]
    assert orgs[1].options == {"batch": 50} and orgs[2].target == "live"


@pytest.mark.parametrize("bad, path", [
    ({**GOOD, "action": "move"}, "$.organizations[1].action"),
    ({**GOOD, "name": "acme"}, "$.organizations[1].name"),  # a name twice
    ({"name": "b", "action": "plan"}, "$.organizations[1]"),  # runs on nothing
    ({**GOOD, "name": "b", "profile": "prod"}, "$.organizations[1]"),  # on both
    ({**GOOD, "name": "b", "scenario": "no-such-scenario"}, "$.organizations[1].scenario"),
    ({**GOOD, "name": "b", "options": {"batch": 0}}, "$.organizations[1].options.batch"),
    ({**GOOD, "name": "b", "options": {"colour": "red"}}, "$.organizations[1].options"),
    ({**GOOD, "name": "Bad Name"}, "$.organizations[1].name"),
])
def test_a_bad_entry_is_refused_with_its_path(bad: dict[str, Any], path: str) -> None:
    with pytest.raises(FixtureError) as caught:
        check_manifest({"organizations": [GOOD, bad]}, "fleet.json")
    assert caught.value.json_path == path, caught.value.message
    assert caught.value.exit_code == 2


def test_a_bad_manifest_queues_nothing(fleet_cli: FleetCli, tmp_path: Path, queue_url: str) -> None:
    manifest = write_manifest(tmp_path / "fleet.json", [GOOD, {**GOOD, "name": "b", "action": "move"}])
    error = fleet_cli("submit", str(manifest), code=2)["error"]
    assert error["type"] == "FixtureError" and "$.organizations[1].action" in error["message"]
    engine = create_engine(queue_url)
    with engine.connect() as c:  # not even the queue's schema: the manifest was refused first
        assert c.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None
    engine.dispose()
    assert not (tmp_path / "fleet").exists()
