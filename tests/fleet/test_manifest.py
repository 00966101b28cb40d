"""The fleet manifest: every bad entry is refused with its JSON path before anything is queued."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bridge.errors import FixtureError
from fleet.manifest import check_manifest
from fleet.steps import org_scenario
from tests.fleet.conftest import FleetCli, write_manifest

GOOD = {"name": "acme", "scenario": "small-agency", "action": "migrate"}


def test_a_good_manifest_gives_each_organization_its_steps() -> None:
    orgs = check_manifest({"organizations": [
        GOOD, {"name": "globex", "scenario": "multi-currency", "action": "sync", "options": {"batch": 50}},
        {"name": "live-one", "profile": "prod", "action": "sync"}]})
    assert [o.steps() for o in orgs] == [("seed", "migrate", "verify"),
                                         ("seed", "migrate", "verify", "reenable", "sync"), ("sync",)]
    assert orgs[1].options == {"batch": 50} and orgs[2].target == "live"


def test_a_generated_portal_is_a_sandbox_organization_of_that_size() -> None:
    entry = {"name": "gen", "synthetic": {"projects": 3, "tasks": 9, "logs": 20}, "action": "sync",
             "options": {"served": True}}
    org, = check_manifest({"organizations": [entry]})
    assert org.target == "sandbox" and org.steps()[0] == "seed"
    assert org.to_json()["synthetic"] == {"projects": 3, "tasks": 9, "logs": 20}
    scenario = org_scenario(org)  # a valid scenario: the owner connects, mirrors, invoices
    assert len(scenario["projects"]["projects"]) == 3 and len(scenario["projects"]["timelogs"]) == 20
    assert [op["op"] for op in scenario["operations"]] == ["connect", "sync", "create_invoice", "sync"]


@pytest.mark.parametrize("bad, path", [
    ({**GOOD, "action": "move"}, "$.organizations[1].action"),
    ({**GOOD, "name": "acme"}, "$.organizations[1].name"),  # a name twice
    ({"name": "b", "action": "plan"}, "$.organizations[1]"),  # runs on nothing
    ({**GOOD, "name": "b", "profile": "prod"}, "$.organizations[1]"),  # on both
    ({**GOOD, "name": "b", "scenario": "no-such-scenario"}, "$.organizations[1].scenario"),
    ({**GOOD, "name": "b", "options": {"batch": 0}}, "$.organizations[1].options.batch"),
    ({**GOOD, "name": "b", "options": {"colour": "red"}}, "$.organizations[1].options"),
    ({**GOOD, "name": "Bad Name"}, "$.organizations[1].name"),
    ({"name": "b", "synthetic": {"projects": 0, "tasks": 1}, "action": "sync"},
     "$.organizations[1].synthetic.projects"),
    ({"name": "b", "synthetic": {"projects": 1}, "action": "sync"}, "$.organizations[1].synthetic"),  # no tasks
    ({**GOOD, "name": "b", "synthetic": {"projects": 1, "tasks": 1}}, "$.organizations[1]"),  # two sources
    ({"name": "b", "profile": "prod", "action": "sync", "options": {"served": True}},
     "$.organizations[1].options.served"),  # a live organization's services are the real ones
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
