"""L7: expenses recorded in Projects appear in Books, once; Books-side ones show in Projects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bridge.domain import Side, TxnKind

pytestmark = pytest.mark.store

GLOBEX_PROJECT, GLOBEX = "1600000000002", "2317000000040002"
ACME_PROJECT, UMBRELLA = "1600000000001", "2317000000040004"


def _refs(lg):
    return sorted(str(e.get("reference_number")) for e in lg.books_expenses())


def test_L7_projects_expenses_are_mirrored_into_books_once(legacy_world):
    lg = legacy_world("small-agency")
    first = lg.integration.sync()
    assert first.counts["expenses"]["created"] == 3
    assert _refs(lg) == ["PRJ-EXP-2000000000001", "PRJ-EXP-2000000000002", "PRJ-EXP-2000000000003"]
    by_ref = {e["reference_number"]: e for e in lg.books_expenses()}
    assert str(by_ref["PRJ-EXP-2000000000002"]["customer_id"]) == UMBRELLA  # client mapped to contact
    assert Decimal(str(by_ref["PRJ-EXP-2000000000002"]["amount"])) == Decimal("300.00")
    second = lg.integration.sync()
    assert second.counts["expenses"].get("created", 0) == 0
    assert second.counts["expenses"]["unchanged"] == 3
    assert len(lg.books_expenses()) == 3
    # each Projects expense names its Books mirror
    for e in lg.projects().list_expenses(ACME_PROJECT):
        assert e.get("books_expense_id")


def test_L7_an_expense_recorded_in_projects_shows_in_books_at_once(legacy_world):
    lg = legacy_world("small-agency")
    e = lg.integration.record_expense(GLOBEX_PROJECT, Decimal("85.40"), dt.date(2026, 1, 13),
                                      GLOBEX, "Courier for test devices", Side.PROJECTS)
    [books] = [b for b in lg.books_expenses() if str(b["expense_id"]) == e.expense_id]
    assert Decimal(str(books["amount"])) == Decimal("85.40") and str(books["customer_id"]) == GLOBEX
    [made] = [p for p in lg.projects().list_expenses(GLOBEX_PROJECT)
              if str(p.get("books_expense_id")) == e.expense_id]
    assert str(made["client_id"]) == "1500000000002"
    assert lg.integration.sync().counts["expenses"].get("created", 0) == 3  # the seeded ones only
    assert len(lg.books_expenses()) == 4


def test_L7_an_expense_recorded_in_books_shows_in_the_projects_finance_view(legacy_world):
    lg = legacy_world("small-agency")
    e = lg.integration.record_expense(ACME_PROJECT, Decimal(120), dt.date(2026, 1, 14), UMBRELLA,
                                      "Recruiting fee", Side.BOOKS)
    shown = {(t["kind"], str(t["books_id"])) for t in lg.projects().finance(ACME_PROJECT)}
    assert ("expense", e.expense_id) in shown
    txns = [t for t in lg.integration.transactions(ACME_PROJECT) if t.kind is TxnKind.EXPENSE]
    assert ([(t.transaction_id, t.origin, t.total.amount) for t in txns]
            == [(e.expense_id, Side.BOOKS, Decimal("120.00"))])
    assert not any(str(p.get("books_expense_id")) == e.expense_id
                   for p in lg.projects().list_expenses(ACME_PROJECT))


def test_L7_an_expense_edited_in_projects_updates_its_books_mirror(legacy_world):
    lg = legacy_world("small-agency")
    lg.integration.sync()
    lg.projects().update_expense(GLOBEX_PROJECT, "2000000000003", {"amount": "175.00"})
    report = lg.integration.sync()
    assert report.counts["expenses"]["updated"] == 1
    [books] = [b for b in lg.books_expenses() if b["reference_number"] == "PRJ-EXP-2000000000003"]
    assert Decimal(str(books["amount"])) == Decimal("175.00")
    assert len(lg.books_expenses()) == 3
