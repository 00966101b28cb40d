"""E12/E13 conditions in isolation, and E8's settle (errors resolve, never vanish) on both
store backends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bridge.billing.eligibility import TimeRule
from bridge.store import Store, repo
from bridge.store.tables import SyncError, SyncRun
from enhanced import sync_errors as errors
from enhanced.rules import failure, project_client_check

TODAY = dt.date(2026, 1, 20)
GOOD = {"id": "1", "owner_id": "u1", "bill_status": "Billable", "approval_status": "Approved",
        "total_minutes": 60, "log_date": "01-10-2026"}


@pytest.mark.parametrize("change,code", [
    ({}, None),
    ({"bill_status": "Non Billable"}, "timesheet_not_billable"),
    ({"approval_status": "Pending"}, "timesheet_not_approved"),
    ({"approval_status": "Rejected"}, "timesheet_not_approved"),
    ({"total_minutes": 0}, "timesheet_nonpositive_duration"),
    ({"total_minutes": -5}, "timesheet_nonpositive_duration"),
    ({"total_minutes": 24 * 60 + 1}, "timesheet_over_a_day"),
    ({"total_minutes": 24 * 60}, None),
    ({"log_date": "01-21-2026"}, "timesheet_future_date"),
    ({"log_date": "01-20-2026"}, None),
    ({"owner_id": "stranger"}, "timesheet_unknown_user"),
    ({"bill_status": "Non Billable", "total_minutes": 0}, "timesheet_not_billable"),  # fixed order
])
def test_E13_timesheet_conditions(change: dict[str, object], code: str | None) -> None:
    got = TimeRule(approval_on=True, today=TODAY, portal_users=frozenset({"u1"})).refusal({**GOOD, **change})
    assert (got[0] if got else None) == code


def test_E13_approval_off_lets_pending_logs_through() -> None:
    log = {**GOOD, "approval_status": "Pending"}
    assert TimeRule(approval_on=False, today=TODAY, portal_users=frozenset({"u1"})).refusal(log) is None


def test_E12_project_client_conditions() -> None:
    client = {"id": "c", "name": "Acme", "currency_code": "EUR"}
    assert project_client_check({}, None, None) == "project_no_primary_client"
    assert project_client_check({}, client, "GBP") == "project_client_currency_mismatch"
    assert project_client_check({}, client, "EUR") is None
    assert project_client_check({}, client, None) is None


@pytest.mark.store
def test_E8_settle_resolves_fixed_errors_and_keeps_open_ones(store: Store) -> None:
    now = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    with store.session() as s:
        conn = repo.new_connection(s, mode="enhanced", organization_id="1", portal_id="2", email="a@b.c",
                                   key="k", shared_name="", shared_email="", now=now)
        runs = [SyncRun(connection_id=conn.id, module="projects", started_at=now, status="synced") for _ in range(3)]
        s.add_all(runs)
        s.flush()
        a = failure("project_no_primary_client", "p1", "One")
        b = failure("project_client_currency_mismatch", "p2", "Two", "EUR vs GBP")
        errors.settle(s, conn.id, "projects", runs[0].id, [a, b], now)
    with store.session() as s:
        errors.settle(s, conn.id, "projects", runs[1].id, [b], now)
    with store.session() as s:
        rows = {e.record_id: e for e in s.execute(select(SyncError)).scalars()}
        assert rows["p1"].resolved_run_id == runs[1].id and rows["p2"].resolved_run_id is None
        assert rows["p2"].run_id == runs[0].id  # first seen kept
        errors.settle(s, conn.id, "projects", runs[2].id, [], now)
    with store.session() as s:
        details = errors.details(s, conn.id, include_resolved=True)
        assert len(details) == 2 and all(d["resolved"] for d in details)
        assert errors.summary(s, conn.id) == []
