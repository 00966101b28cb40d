"""L9: expenses per project split into billable and non-billable, per project and in the
grand totals, in the report's JSON and in `bpbridge legacy report`'s human output.

Billable is the expense's own flag: Projects' `billable` for a mirrored Projects expense,
Books' `is_billable` for one recorded in Books (which legacy makes billable iff it has a
customer). The data mixes both kinds on both sides, in two projects, so a split taken from
the wrong field, or the customer alone, gives other totals.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from bridge.domain import Side

pytestmark = pytest.mark.store

ACME_P, ACME, ACME_CLIENT = "1600000000001", "2317000000040001", "1500000000001"
GLOBEX_P, GLOBEX = "1600000000002", "2317000000040002"


def _mixed(lg: Any) -> dict[str, Any]:
    it = lg.integration
    # seeded: Acme 240 + 300 (billable), Globex 150 (billable), all mirrored by the sync
    projects = lg.projects()
    # made in Projects with a client yet not billable: the customer alone would say billable
    projects.create_expense(ACME_P, {"client_id": ACME_CLIENT, "amount": "64.50", "currency_code": "USD",
                                     "date": "2026-02-03", "description": "Team lunch",
                                     "billable": False})
    it.sync()
    it.record_expense(ACME_P, Decimal("20.00"), dt.date(2026, 2, 4), None, "Parking", Side.BOOKS)
    it.record_expense(GLOBEX_P, Decimal("85.40"), dt.date(2026, 2, 5), GLOBEX, "Courier", Side.PROJECTS)
    it.record_expense(GLOBEX_P, Decimal("12.00"), dt.date(2026, 2, 6), GLOBEX, "Prints", Side.BOOKS)
    rep: dict[str, Any] = it.report()
    return rep


def test_L9_expenses_split_billable_and_not_per_project_and_overall(legacy_world):
    lg = legacy_world("small-agency")
    rep = _mixed(lg)
    json.dumps(rep)
    by_project = {p["project_id"]: p for p in rep["projects"]}
    acme, globex = by_project[ACME_P], by_project[GLOBEX_P]
    assert acme["expense_split"] == {"billable": {"USD": "540.00"}, "non_billable": {"USD": "84.50"}}
    assert globex["expense_split"] == {"billable": {"USD": "247.40"}, "non_billable": {}}
    assert rep["expense_split"] == {"billable": {"USD": "787.40"}, "non_billable": {"USD": "84.50"}}
    # the split adds up to the expenses' totals, which keep their shape
    assert acme["totals"]["expenses"] == {"USD": "624.50"}
    assert rep["totals"]["expenses"] == {"USD": "871.90"}
    # each expense row says which it is
    flags = {t["total"]: t["billable"] for t in acme["expenses"]}
    assert flags == {"240.00": True, "300.00": True, "64.50": False, "20.00": False}
    assert all("billable" not in t for t in acme["invoices"])


def test_L9_the_split_follows_an_expense_edited_in_projects(legacy_world):
    lg = legacy_world("small-agency")
    lg.integration.sync()
    projects = lg.projects()
    [photo] = [e for e in projects.list_expenses(ACME_P) if e["description"] == "Stock photography license"]
    projects.update_expense(ACME_P, str(photo["id"]), {"billable": False})
    lg.integration.sync()
    acme = {p["project_id"]: p for p in lg.integration.report(ACME_P)["projects"]}[ACME_P]
    assert acme["expense_split"] == {"billable": {"USD": "300.00"}, "non_billable": {"USD": "240.00"}}


def test_L9_human_report_shows_the_split(legacy_world):
    from bridge.cli.app import App
    from bridge.cli.legacy import legacy as legacy_group

    lg = legacy_world("small-agency")
    _mixed(lg)
    app = App(db=None, mode="legacy", target="sandbox", json=False, debug=False, _context=lg.ctx)
    result = CliRunner().invoke(legacy_group, ["report"], obj=app)
    assert result.exit_code == 0, (result.output, result.exception)
    out = result.output
    project, overall = out.split("all projects:")
    assert "expenses, billable: 540.00 USD" in project
    assert "expenses, non-billable: 84.50 USD" in project
    assert "expenses, billable: 787.40 USD" in overall
    assert "expenses, non-billable: 84.50 USD" in overall
