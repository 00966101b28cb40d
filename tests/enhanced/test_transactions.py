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
        if (log.get("task_id") in done and log.get("billable", True)
                and log.get("approval_status", "Approved") == "Approved"):
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


def _synced(make_world: Any) -> tuple[Any, Any, str]:
    """small-agency connected and synced, and a project with billable work."""
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    return world, integ, _billable_project(world)


def _unbilled_entries(world: Any, books_pid: str) -> set[str]:
    return {str(e["time_entry_id"]) for e in
            world.ctx.books.list_time_entries(project_id=books_pid, filter_by="Status.Unbilled")}


@pytest.mark.parametrize("side", [Side.BOOKS, Side.PROJECTS])
def test_E9_estimate_quotes_the_work_shows_on_both_sides_and_bills_nothing(make_world: Any, side: Side) -> None:
    world, integ, pid = _synced(make_world)
    books_pid = _books_pid(world, pid)
    unbilled = _unbilled_entries(world, books_pid)
    est = integ.create_estimate(pid, side=side)
    assert est.kind is TxnKind.ESTIMATE and est.origin is side and est.total.amount > 0
    books_est = world.ctx.books.get_estimate(est.transaction_id)
    assert books_est["project_id"] == books_pid and books_est["customer_id"] == est.customer_id
    assert Decimal(str(books_est["total"])) == est.total.amount
    finance = world.ctx.projects_of(_row(world)).finance(pid)
    shown = [t for t in finance if t.get("kind") == "estimate"]
    assert [(str(t["books_id"]), t["origin"]) for t in shown] == [(est.transaction_id, side.value)]
    assert [(t.kind, t.transaction_id) for t in integ.transactions(pid)] == [(TxnKind.ESTIMATE, est.transaction_id)]
    # an estimate bills nothing: the time stays unbilled and the invoice quotes the same total
    assert _unbilled_entries(world, books_pid) == unbilled
    inv = integ.create_invoice(pid, side=Side.BOOKS)
    assert inv.total == est.total


def test_E9_estimate_with_nothing_to_quote_writes_nothing(make_world: Any) -> None:
    world, integ, pid = _synced(make_world)
    integ.create_invoice(pid)
    before = list(world.ctx.books.list_estimates())
    with pytest.raises(BridgeError):
        integ.create_estimate(pid)
    assert list(world.ctx.books.list_estimates()) == before


def _vendor(world: Any) -> str:
    made = world.ctx.books.create_contact({"contact_name": "Print Shop Ltd", "contact_type": "vendor"})
    return str(made["contact_id"])


@pytest.mark.parametrize("side", [Side.BOOKS, Side.PROJECTS])
def test_E9_bill_carries_the_project_and_shows_on_both_sides(make_world: Any, side: Side) -> None:
    world, integ, pid = _synced(make_world)
    books_pid = _books_pid(world, pid)
    vendor = _vendor(world)
    bill = integ.record_bill(pid, vendor, Decimal("120.40"), dt.date(2026, 2, 3), "Posters", side,
                             bill_number="PS-881")
    assert bill.kind is TxnKind.BILL and bill.origin is side and bill.number == "PS-881"
    books_bill = world.ctx.books.get_bill(bill.transaction_id)
    assert books_bill["vendor_id"] == vendor and Decimal(str(books_bill["total"])) == Decimal("120.40")
    [line] = books_bill["line_items"]
    customer = world.ctx.books.get_project(books_pid)["customer_id"]
    assert line["project_id"] == books_pid and line["customer_id"] == customer and line["is_billable"] is True
    finance = world.ctx.projects_of(_row(world)).finance(pid)
    assert [(str(t["books_id"]), t["origin"], t["total"]) for t in finance if t.get("kind") == "bill"] == [
        (bill.transaction_id, side.value, "120.40")]
    assert [(t.kind, t.transaction_id) for t in integ.transactions(pid)] == [(TxnKind.BILL, bill.transaction_id)]


def test_E9_bill_from_a_customer_or_with_no_amount_is_refused_before_any_write(make_world: Any) -> None:
    world, integ, pid = _synced(make_world)
    customer = world.ctx.books.get_project(_books_pid(world, pid))["customer_id"]
    with pytest.raises(InputError, match="not a vendor"):
        integ.record_bill(pid, customer, Decimal(10), dt.date(2026, 2, 3))
    with pytest.raises(InputError, match="positive"):
        integ.record_bill(pid, _vendor(world), Decimal(0), dt.date(2026, 2, 3))
    assert list(world.ctx.books.list_bills()) == []
    assert integ.transactions(pid) == []


@pytest.mark.parametrize("side", [Side.BOOKS, Side.PROJECTS])
def test_E9_an_invoice_the_projects_side_refuses_is_withdrawn_from_books(
        make_world: Any, side: Side, monkeypatch: pytest.MonkeyPatch) -> None:
    """On both sides or on neither: the Books invoice goes again, its time comes back unbilled,
    the claims are released, and the same invoice can be made once the other side answers."""
    from sqlalchemy import select

    from bridge.clients.projects import ProjectsClient
    from bridge.errors import ServiceError
    from bridge.store.tables import BilledTask

    world, integ, pid = _synced(make_world)
    books_pid = _books_pid(world, pid)
    unbilled = _unbilled_entries(world, books_pid)

    def refused(*_: Any, **__: Any) -> None:
        raise ServiceError("Projects", "POST finance", "the portal is read-only", status=400)

    monkeypatch.setattr(ProjectsClient, "create_invoice" if side is Side.PROJECTS else "link_transaction", refused)
    with pytest.raises(ServiceError, match="read-only"):
        integ.create_invoice(pid, side=side)
    assert [i for i in world.ctx.books.list_invoices() if i.get("status") != "void"] == []
    assert _unbilled_entries(world, books_pid) == unbilled
    with world.ctx.store.session() as s:
        assert list(s.execute(select(BilledTask)).scalars()) == []
    assert integ.transactions(pid) == []
    monkeypatch.undo()
    assert integ.create_invoice(pid, side=side).lines


@pytest.mark.parametrize("kind", ["estimate", "bill"])
def test_E9_an_estimate_or_bill_the_finance_tab_refuses_is_deleted_from_books(
        make_world: Any, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.clients.projects import ProjectsClient
    from bridge.errors import ServiceError

    world, integ, pid = _synced(make_world)
    vendor = _vendor(world)

    def refused(*_: Any, **__: Any) -> None:
        raise ServiceError("Projects", "POST finance", "the portal is read-only", status=400)

    monkeypatch.setattr(ProjectsClient, "link_transaction", refused)
    with pytest.raises(ServiceError, match="read-only"):
        if kind == "estimate":
            integ.create_estimate(pid)
        else:
            integ.record_bill(pid, vendor, Decimal(10), dt.date(2026, 2, 3))
    listed = world.ctx.books.list_estimates() if kind == "estimate" else world.ctx.books.list_bills()
    assert list(listed) == [] and integ.transactions(pid) == []
