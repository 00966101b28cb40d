"""E8, E12, E13: broken data fails record by record with the contract's reason codes; once
the data is fixed upstream the next sync fetches the dependents and the errors resolve."""

from __future__ import annotations

from typing import Any

import pytest

from enhanced.rules import REASONS
from tests.enhanced.conftest import Control, connect

pytestmark = pytest.mark.store


def _keys(rows: Any) -> set[tuple[str, str, str]]:
    return {(r.module, r.record_id, r.reason_code) if not isinstance(r, dict)
            else (r["module"], r["record_id"], r["reason_code"]) for r in rows}


def _broken(make_world: Any) -> tuple[Any, Any]:
    world = make_world("broken-data")
    integ = connect(world)
    integ.set_preferences(general_timesheets=True)
    return world, integ


def test_E12_E13_broken_data_gives_exactly_the_expected_errors(make_world: Any) -> None:
    world, integ = _broken(make_world)
    report = integ.sync()
    expected = _keys(world.scenario["expect"]["errors"])
    assert _keys(report.errors) == expected
    assert _keys(integ.error_details()) == expected
    assert {code for _, _, code in expected} == set(REASONS)  # every reason code is tripped


def test_E8_summary_is_module_wise_with_reason_and_fix(make_world: Any) -> None:
    _world, integ = _broken(make_world)
    integ.sync()
    summary = integ.error_summary()
    assert [g["module"] for g in summary] == sorted(
        [g["module"] for g in summary], key=["projects", "tasks", "timesheets"].index)
    counts = {(g["module"], g["reason_code"]): g["count"] for g in summary}
    assert counts[("timesheets", "timesheet_not_approved")] == 2
    assert all(g["fix"] for g in summary)
    details = {d["record_id"]: d for d in integ.error_details()}
    task_err = details["1760000000001"]
    assert task_err["record_name"] and "project_no_primary_client" in task_err["reason"]  # names the upstream error
    assert task_err["fix"] == REASONS["task_project_not_fetched"].fix


def test_E13_errors_repeat_without_duplicates(make_world: Any) -> None:
    _world, integ = _broken(make_world)
    integ.sync()
    first = integ.error_details()
    integ.sync()
    assert [(d["record_id"], d["reason_code"], d["first_seen_at"]) for d in integ.error_details()] == \
        [(d["record_id"], d["reason_code"], d["first_seen_at"]) for d in first]


def test_E13_fixing_upstream_data_resolves_errors_and_fetches_dependents(make_world: Any) -> None:
    world, integ = _broken(make_world)
    integ.sync()
    control = Control(world.sandbox)
    sc = world.scenario["projects"]
    # give the client-less project a client, and make Blue Harbor's currency match Books (GBP)
    control.patch("projects", "projects", "1660000000001", {"client_ids": ["1560000000002"]})
    control.patch("projects", "clients", "1560000000001", {"currency_code": "GBP"})
    fixes = {
        "1960000000006": {"billable": True}, "1960000000007": {"approval_status": "Approved"},
        "1960000000008": {"approval_status": "Approved"}, "1960000000009": {"minutes": 30},
        "1960000000010": {"minutes": 45}, "1960000000011": {"minutes": 600},
        "1960000000012": {"date": "2026-01-19"}, "1960000000013": {"user_id": "1260000000002"},
    }
    for log_id, fields in fixes.items():
        control.patch("projects", "timelogs", log_id, fields)
    report = integ.sync()
    assert report.errors == ()
    assert integ.error_details() == []
    resolved = integ.error_details(include_resolved=True)
    assert _keys(resolved) == _keys(world.scenario["expect"]["errors"])
    assert all(d["resolved"] and d["resolved_run_id"] for d in resolved)
    good_logs = {log["id"] for log in sc["timelogs"]} - {"1960000000004"}  # general: switched on, fetched too
    assert len(list(world.ctx.books.list_time_entries())) >= len(good_logs)
