"""L4-L6 (and L8's single-threaded half) on the shipped fixtures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.domain import Side, TxnKind
from bridge.errors import AlreadyInvoiced, ServiceError
from bridge.store.tables import BilledTask, TransactionRow

pytestmark = pytest.mark.store

ACME_PROJECT, ACME = "1600000000001", "2317000000040001"
INITECH_PROJECT, INITECH = "1600000000003", "2317000000040003"
ACME_EXPENSE, UMBRELLA_EXPENSE = "2000000000001", "2000000000002"


def _books_invoice(lg, books_id):
    return lg.ctx.books.get_invoice(books_id)


def test_L4_L5_books_invoice_has_done_work_and_that_customers_expenses_only(legacy_world):
    lg = legacy_world("small-agency")
    inv = lg.integration.create_invoice(ACME_PROJECT, ACME, Side.BOOKS)
    by_task = {line.task_id: line for line in inv.lines if line.task_id}
    # completed + billable + logged; task 3 is open, task 4 not billable
    assert set(by_task) == {"1700000000001", "1700000000002"}
    assert by_task["1700000000001"].quantity == Decimal(4) and by_task["1700000000001"].rate == Decimal("120.00")
    assert by_task["1700000000002"].quantity == Decimal(9) and by_task["1700000000002"].rate == Decimal("110.00")
    expense_ids = {line.expense_id for line in inv.lines if line.expense_id}
    assert expense_ids == {ACME_EXPENSE}  # L5: Umbrella's expense on the same project stays out
    assert UMBRELLA_EXPENSE not in expense_ids
    assert inv.total.amount == Decimal("1710.00") and inv.currency == "USD"
    books = _books_invoice(lg, inv.invoice_id)
    assert str(books["customer_id"]) == ACME and Decimal(str(books["total"])) == Decimal("1710.00")
    # dual mode communication: the project's Finance view shows it
    shown = {(t["kind"], str(t["books_id"])) for t in lg.projects().finance(ACME_PROJECT)}
    assert ("invoice", inv.invoice_id) in shown
    [txn] = [t for t in lg.integration.transactions(ACME_PROJECT) if t.kind is TxnKind.INVOICE]
    assert txn.transaction_id == inv.invoice_id and txn.origin is Side.BOOKS


def test_L4_draft_without_customer_is_kept_then_finalized(legacy_world):
    lg = legacy_world("draft-without-customer")
    lg.integration.sync()
    draft = lg.integration.create_invoice("1620000000001", None, Side.BOOKS)
    assert draft.status == "draft" and draft.customer_id is None
    assert not any(line.expense_id for line in draft.lines)  # no customer: no expenses yet
    assert lg.books_invoices() == []  # Books refuses invoices without a customer
    # the draft holds its tasks: nobody can invoice them meanwhile
    with pytest.raises(AlreadyInvoiced):
        lg.integration.create_invoice("1620000000001", None, Side.PROJECTS)
    final = lg.integration.finalize_invoice(draft.invoice_id, "4410000000060001")
    assert final.customer_id == "4410000000060001" and final.invoice_id != draft.invoice_id
    assert {line.expense_id for line in final.lines if line.expense_id} == {"2020000000001"}
    assert {line.task_id for line in final.lines if line.task_id} == {line.task_id for line in draft.lines}
    [books] = lg.books_invoices()
    assert str(books["invoice_id"]) == final.invoice_id
    ids = [t.transaction_id for t in lg.integration.transactions("1620000000001") if t.kind is TxnKind.INVOICE]
    assert ids == [final.invoice_id]
    with lg.ctx.store.session() as s:
        claims = s.execute(select(BilledTask)).scalars().all()
        assert {c.invoice_id for c in claims} == {final.invoice_id}


def test_L4_projects_side_draft_without_customer_then_finalized(legacy_world):
    lg = legacy_world("draft-without-customer")
    draft = lg.integration.create_invoice("1620000000002", None, Side.PROJECTS)
    assert draft.status == "draft" and lg.books_invoices() == []
    [pinv] = list(lg.projects().list_invoices("1620000000002"))
    final = lg.integration.finalize_invoice(draft.invoice_id, "4410000000060001")
    [books] = lg.books_invoices()
    assert str(books["invoice_id"]) == final.invoice_id
    pinv = lg.projects().get_invoice("1620000000002", str(pinv["id"]))
    assert str(pinv.get("books_invoice_id")) == final.invoice_id
    assert str(pinv.get("client_id")) == "1520000000001"


def test_L6_projects_side_invoice_appears_in_books(legacy_world):
    lg = legacy_world("small-agency")
    inv = lg.integration.create_invoice(INITECH_PROJECT, INITECH, Side.PROJECTS)
    assert inv.origin is Side.PROJECTS
    [pinv] = list(lg.projects().list_invoices(INITECH_PROJECT))
    books = _books_invoice(lg, inv.invoice_id)
    assert str(pinv["books_invoice_id"]) == inv.invoice_id
    assert str(books["customer_id"]) == INITECH
    assert Decimal(str(books["total"])) == inv.total.amount == Decimal("475.00")  # 5 h x 95


def test_L6_an_edit_in_books_reaches_the_projects_record(legacy_world):
    lg = legacy_world("small-agency")
    inv = lg.integration.create_invoice(INITECH_PROJECT, INITECH, Side.PROJECTS)
    books = _books_invoice(lg, inv.invoice_id)
    items = [{"name": i.get("name") or i.get("description"), "description": i.get("description"),
              "quantity": i["quantity"], "rate": "100.00"} for i in books["line_items"]]
    lg.ctx.books.update_invoice(inv.invoice_id, {"customer_id": INITECH, "line_items": items})
    report = lg.integration.sync()
    assert report.counts["invoices"].get("updated") == 1
    [pinv] = list(lg.projects().list_invoices(INITECH_PROJECT))
    lines = pinv["line_items"]
    assert [Decimal(str(i["rate"])) for i in lines] == [Decimal("100.00")]
    assert [str(i.get("task_id")) for i in lines] == ["1700000000007"]  # the task stays on its line
    [txn] = [t for t in lg.integration.transactions(INITECH_PROJECT) if t.kind is TxnKind.INVOICE]
    assert txn.total.amount == Decimal("500.00")
    # nothing further to reconcile: a second sync writes nothing
    assert lg.integration.sync().counts["invoices"].get("updated", 0) == 0


def test_L6_an_invoice_made_in_projects_directly_is_mirrored_by_sync(legacy_world):
    lg = legacy_world("small-agency")
    made = lg.projects().create_invoice(INITECH_PROJECT, {
        "client_id": "1500000000003", "currency_code": "USD",
        "line_items": [{"description": "Logo concepts", "quantity": "5", "rate": "95.00",
                        "task_id": "1700000000007"}],
    })
    report = lg.integration.sync()
    assert report.counts["invoices"].get("created") == 1
    [books] = lg.books_invoices()
    assert str(books["customer_id"]) == INITECH
    assert (str(lg.projects().get_invoice(INITECH_PROJECT, str(made["id"]))["books_invoice_id"])
            == str(books["invoice_id"]))
    # its task is now invoiced for the toolkit too (L8)
    with pytest.raises(AlreadyInvoiced):
        lg.integration.create_invoice(INITECH_PROJECT, INITECH, Side.BOOKS)
    assert lg.integration.sync().counts["invoices"].get("created", 0) == 0


def test_L8_second_attempt_refused_from_both_sides(legacy_world):
    lg = legacy_world("double-invoice")
    lg.integration.create_invoice("1630000000001", "5520000000070001", Side.BOOKS)
    with pytest.raises(AlreadyInvoiced) as err:
        lg.integration.create_invoice("1630000000001", "5520000000070001", Side.PROJECTS)
    assert "1730000000001" in err.value.message
    lg.integration.create_invoice("1630000000002", "5520000000070002", Side.PROJECTS)
    with pytest.raises(AlreadyInvoiced):
        lg.integration.create_invoice("1630000000002", "5520000000070002", Side.BOOKS)
    assert len(lg.books_invoices()) == 2


def test_L8_the_refusal_is_per_task_not_per_project(legacy_world):
    lg = legacy_world("double-invoice")
    first = lg.integration.create_invoice("1630000000001", "5520000000070001", Side.BOOKS)
    projects = lg.projects()
    projects.complete_task("1630000000001", "1730000000002")
    projects.add_timelog("1630000000001", task_id="1730000000002", date="2026-04-17", minutes=240,
                         billable=True, user_id="1230000000001", notes="WCAG 2.2 audit")
    second = lg.integration.create_invoice("1630000000001", "5520000000070001", Side.PROJECTS)
    assert {line.task_id for line in second.lines} == {"1730000000002"}
    assert {line.task_id for line in first.lines} == {"1730000000001"}
    with pytest.raises(AlreadyInvoiced):
        lg.integration.create_invoice("1630000000001", "5520000000070001", Side.BOOKS)


def test_L8_a_failed_books_write_releases_the_claims(legacy_world, monkeypatch):
    lg = legacy_world("double-invoice")

    def refuse(payload):
        raise ServiceError("Books", "POST /invoices", "Internal error", status=500, code=1000)

    monkeypatch.setattr(lg.ctx.books, "create_invoice", refuse)
    with pytest.raises(ServiceError):
        lg.integration.create_invoice("1630000000001", "5520000000070001", Side.BOOKS)
    with lg.ctx.store.session() as s:
        assert s.execute(select(BilledTask)).scalars().all() == []
    monkeypatch.undo()
    assert lg.integration.create_invoice("1630000000001", "5520000000070001", Side.BOOKS).lines


def test_L8_a_failed_store_write_undoes_the_books_invoice(legacy_world, monkeypatch):
    lg = legacy_world("double-invoice")
    from legacy import invoicing

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(invoicing, "save_invoice", broken)
    with pytest.raises(RuntimeError):
        lg.integration.create_invoice("1630000000001", "5520000000070001", Side.BOOKS)
    monkeypatch.undo()
    live = [i for i in lg.books_invoices() if i.get("status") != "void"]
    assert live == []
    with lg.ctx.store.session() as s:
        assert s.execute(select(BilledTask)).scalars().all() == []
        assert s.execute(select(TransactionRow)).scalars().all() == []
    assert lg.integration.create_invoice("1630000000001", "5520000000070001", Side.BOOKS).lines
