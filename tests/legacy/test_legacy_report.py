"""L9: invoices and expenses per project, totals per currency (multi-currency fixture)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal

import pytest

from bridge.domain import Side

pytestmark = pytest.mark.store

RHEIN_P, RHEIN = "1610000000001", "3120000000050001"
THAMES_P, THAMES = "1610000000002", "3120000000050002"
STAR_P, STAR = "1610000000003", "3120000000050003"


def test_L9_report_per_project_with_totals_per_currency(legacy_world):
    lg = legacy_world("multi-currency")
    it = lg.integration
    it.sync()
    it.record_expense(RHEIN_P, Decimal("75.00"), dt.date(2026, 2, 5), RHEIN, "Taxi", Side.PROJECTS)
    it.record_expense(THAMES_P, Decimal("42.00"), dt.date(2026, 2, 6), THAMES, "Binders", Side.BOOKS)
    eur = it.create_invoice(RHEIN_P, RHEIN, Side.BOOKS)
    gbp = it.create_invoice(THAMES_P, THAMES, Side.BOOKS)
    usd = it.create_invoice(STAR_P, STAR, Side.PROJECTS)
    assert (eur.currency, gbp.currency, usd.currency) == ("EUR", "GBP", "USD")
    it.sync()
    rep = it.report()
    json.dumps(rep)  # JSON-able as it is
    by_project = {p["project_id"]: p for p in rep["projects"]}
    assert set(by_project) == {RHEIN_P, THAMES_P, STAR_P}
    assert by_project[RHEIN_P]["totals"]["invoices"] == {"EUR": str(eur.total.amount)}
    assert by_project[THAMES_P]["totals"]["invoices"] == {"GBP": str(gbp.total.amount)}
    assert by_project[STAR_P]["totals"]["invoices"] == {"USD": str(usd.total.amount)}
    assert by_project[RHEIN_P]["totals"]["expenses"] == {"EUR": "495.00"}  # 420 seeded + 75
    assert by_project[THAMES_P]["totals"]["expenses"] == {"GBP": "138.50"}  # 96.50 mirrored + 42
    # the grand totals are the sums of the rows, per currency, never mixed
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for p in rep["projects"]:
        for kind in ("invoices", "expenses"):
            for t in p[kind]:
                sums[kind][t["currency"]] += Decimal(t["total"])
    assert rep["totals"] == {k: {c: str(v) for c, v in sorted(by.items())} for k, by in sorted(sums.items())}
    assert it.report(STAR_P)["projects"] == [by_project[STAR_P]]
