"""E9: transactions for synced projects, from either side, visible on both at once; a task
is billed once across sides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bridge.domain import Side, TxnKind
from bridge.errors import AlreadyInvoiced, BridgeError, InputError
from tests.enhanced.conftest import connect

pytestmark = pytest.mark.store


def _billable_project(world: Any) -> str:
    """A project with a completed billable task that has approved billable logged time."""
    sc = world.scenario["projects"]
    done = {t["id"]: t for t in sc["tasks"] if t.get("completed") and t.get("billable", True)}
    for log in sc["timelogs"]:
        if log.get("task_id") in done and log.get("billable", True) and log.get("approval_status", "Approved") == "Approved":
            return str(log["project_id"])
    raise AssertionError("the scenario has no billable completed task")


def test_E9_books_invoice_bills_time_entries_and_shows_in_finance(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    pid = _billable_project(world)
    inv = integ.create_invoice(pid)
    assert inv.origin is Side.BOOKS and inv.customer_id and inv.lines
    books_inv = world.ctx.books.get_invoice(inv.invoice_id)
    entry_ids = {e for li in books_inv["line_items"] for e in li.get("time_entry_ids", [])}
    assert entry_ids and all(world.ctx.books.get_time_entry(e)["billed_status"] == "invoiced" for e in entry_ids)
    finance = world.ctx.projects_of(_row(world)).finance(pid)
    assert any(str(t.get("books_id")) == inv.invoice_id for t in finance)
    txns = integ.transactions(pid)
    assert [(t.kind, t.transaction_id) for t in txns] == [(TxnKind.INVOICE, inv.invoice_id)]
    with pytest.raises(BridgeError):  # nothing left to bill: those tasks are claimed
        integ.create_invoice(pid, side=Side.PROJECTS)


def test_E9_projects_side_invoice_appears_in_books(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    pid = _billable_project(world)
    inv = integ.create_invoice(pid, side=Side.PROJECTS)
    assert inv.origin is Side.PROJECTS
    assert world.ctx.books.get_invoice(inv.invoice_id)["total"]
    pinvs = list(world.ctx.projects_of(_row(world)).list_invoices(pid))
    assert any(str(p.get("books_invoice_id")) == inv.invoice_id for p in pinvs)


def test_E9_task_billed_once_across_sides(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    pid = _billable_project(world)
    first = integ.create_invoice(pid, side=Side.PROJECTS)
    billed = {ln.task_id for ln in first.lines if ln.task_id}
    try:
        second = integ.create_invoice(pid, side=Side.BOOKS)
    except (AlreadyInvoiced, BridgeError):
        return
    assert not billed & {ln.task_id for ln in second.lines if ln.task_id}


def test_E9_expenses_from_either_side_visible_on_both(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    pid = _billable_project(world)
    on_projects = integ.record_expense(pid, Decimal("42.50"), dt.date(2026, 1, 10), description="Taxi")
    on_books = integ.record_expense(pid, Decimal(10), dt.date(2026, 1, 11), description="Parking", side=Side.BOOKS)
    books_pid = world.ctx.books.get_project(_books_pid(world, pid))["project_id"]
    amounts = sorted(Decimal(str(e["amount"])) for e in world.ctx.books.list_expenses(project_id=books_pid))
    assert Decimal("42.50") in amounts and Decimal(10) in amounts
    projects = world.ctx.projects_of(_row(world))
    assert any(str(e.get("books_expense_id")) for e in projects.list_expenses(pid))
    finance = projects.finance(pid)
    assert any(t.get("kind") == "expense" for t in finance)
    kinds = [t.kind for t in integ.transactions(pid)]
    assert kinds.count(TxnKind.EXPENSE) == 2
    assert on_projects.side is Side.PROJECTS and on_books.side is Side.BOOKS


def test_E9_unsynced_project_is_refused(make_world: Any) -> None:
    world = make_world("broken-data")
    integ = connect(world)
    integ.sync()
    with pytest.raises(InputError):
        integ.create_invoice("1660000000001")


def _row(world: Any) -> Any:
    from bridge.store import repo
    with world.ctx.store.session() as s:
        return repo.latest_connection(s, "enhanced")


def _books_pid(world: Any, pid: str) -> str:
    from bridge.store import repo
    with world.ctx.store.session() as s:
        row = repo.latest_connection(s, "enhanced")
        got = repo.books_id_for(s, row.id, "project", pid)
    assert got
    return got
