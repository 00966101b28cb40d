"""The billing rule on its own (bridge.billing.eligibility, bridge.billing.lines): what a line carries and
what is left off, with the code a user reads (L5, E13)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bridge.billing.eligibility import TimeRule
from bridge.billing.lines import expense_work, task_work

RULE = TimeRule(approval_on=True, today=dt.date(2026, 2, 10), portal_users=frozenset({"u1"}))


def _log(i: str, task: str, minutes: int, **kw: object) -> dict[str, object]:
    return {"id": i, "task": {"id": task}, "total_minutes": minutes, "log_date": "2026-02-01",
            "owner_id": "u1", "bill_status": "Billable", "approval_status": "Approved", **kw}


def test_a_task_with_no_rate_anywhere_is_left_off_never_billed_at_zero() -> None:
    tasks = [{"id": "t1", "name": "Rated", "completed": True, "rate": "90"},
             {"id": "t2", "name": "Unrated", "completed": True}]
    out = task_work(tasks, [_log("l1", "t1", 60), _log("l2", "t2", 120)], None, set(), RULE)
    assert [(ln.task_id, ln.rate) for ln in out.lines] == [("t1", Decimal(90))]
    assert [(x.record_id, x.code) for x in out.left_off] == [("t2", "task_rate_unknown")]


def test_the_first_failing_condition_names_the_log() -> None:
    # pending AND over a day AND in the future: approval is checked first
    log = _log("l1", "t1", 1500, approval_status="Pending", log_date="2027-01-01")
    assert RULE.refusal(log) == ("timesheet_not_approved", "the log is Pending")
    assert RULE.refusal(_log("l2", "t1", 60, owner_id="stranger"))[0] == "timesheet_unknown_user"  # type: ignore[index]
    no_approval = TimeRule(False, RULE.today, RULE.portal_users)
    assert no_approval.refusal(_log("l3", "t1", 60, approval_status="Pending")) is None


def test_an_expense_in_another_currency_waits_for_its_own_invoice() -> None:
    expenses = [{"id": "e1", "client_id": "c1", "amount": "10", "currency_code": "EUR"},
                {"id": "e2", "client_id": "c1", "amount": "20", "currency_code": "USD"},
                {"id": "e3", "client_id": "c2", "amount": "30"},
                {"id": "e4", "client_id": "c1", "amount": "40", "billable": False}]
    out = expense_work(expenses, "c1", "USD", set())
    assert [ln.expense_id for ln in out.lines] == ["e2"]
    assert {(x.record_id, x.code) for x in out.left_off} == {("e1", "expense_other_currency"),
                                                            ("e4", "expense_not_billable")}
