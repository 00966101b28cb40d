"""L6 both ways: every field a Projects invoice carries (notes, reference number, invoice and
due dates, lines, customer) reaches the other side at the next sync, whichever side it was
edited on; when both sides changed, Books wins (docs/LEGACY.md, L6).

The Books reference number is the billing claim key until the invoice is recorded under its
Books id (legacy.ledger.claim_of): these tests also check that the claim is neither shown as
the user's reference nor lets a task be invoiced twice (L8) once the reference is edited.
"""

from __future__ import annotations

from typing import Any

import pytest

from bridge.domain import Side
from bridge.errors import AlreadyInvoiced, BridgeError

pytestmark = pytest.mark.store

INITECH_PROJECT, INITECH, INITECH_CLIENT = "1600000000003", "2317000000040003", "1500000000003"
LOGO_TASK = "1700000000007"


def _projects_invoice(lg: Any) -> dict[str, Any]:
    [pinv] = list(lg.projects().list_invoices(INITECH_PROJECT))
    return dict(pinv)


def _mirrored(lg: Any) -> tuple[str, str]:
    """A Projects-side invoice made by the toolkit: (Books id, Projects id)."""
    inv = lg.integration.create_invoice(INITECH_PROJECT, INITECH, Side.PROJECTS)
    return inv.invoice_id, str(_projects_invoice(lg)["id"])


def _books_lines(books: dict[str, Any], description: str | None = None) -> list[dict[str, Any]]:
    return [{"name": i.get("name") or i.get("description"),
             "description": description or i.get("description"),
             "quantity": i["quantity"], "rate": i["rate"]} for i in books["line_items"]]


def _synced_twice_quietly(lg: Any) -> None:
    """Once both sides agree, another sync writes nothing (E14's rule, kept by legacy too)."""
    counts = lg.integration.sync().counts["invoices"]
    assert counts.get("updated", 0) == 0 and counts.get("created", 0) == 0


def test_L6_header_fields_edited_in_books_reach_projects(legacy_world):
    lg = legacy_world("small-agency")
    books_id, ppid = _mirrored(lg)
    books = lg.ctx.books.get_invoice(books_id)
    lg.ctx.books.update_invoice(books_id, {
        "customer_id": INITECH, "line_items": _books_lines(books, "Logo concepts, final round"),
        "notes": "Thank you for your business.", "reference_number": "PO-7781",
        "date": "2026-03-02", "due_date": "2026-03-31",
    })
    report = lg.integration.sync()
    assert report.counts["invoices"].get("updated") == 1
    pinv = lg.projects().get_invoice(INITECH_PROJECT, ppid)
    assert pinv["notes"] == "Thank you for your business."
    assert pinv["reference_number"] == "PO-7781"
    assert pinv["date"] == "2026-03-02" and pinv["due_date"] == "2026-03-31"
    assert [li["description"] for li in pinv["line_items"]] == ["Logo concepts, final round"]
    assert [li.get("task_id") for li in pinv["line_items"]] == [LOGO_TASK]
    _synced_twice_quietly(lg)


def test_L6_header_fields_edited_in_projects_reach_books(legacy_world):
    lg = legacy_world("small-agency")
    books_id, ppid = _mirrored(lg)
    before = lg.ctx.books.get_invoice(books_id)
    lg.projects().update_invoice(INITECH_PROJECT, ppid, {
        "notes": "Please pay within 15 days.", "reference_number": "PO-2026-11",
        "date": "2026-03-05", "due_date": "2026-03-20",
    })
    report = lg.integration.sync()
    assert report.counts["invoices"].get("updated") == 1
    books = lg.ctx.books.get_invoice(books_id)
    assert books["notes"] == "Please pay within 15 days."
    assert books["reference_number"] == "PO-2026-11"
    assert (books["date"], books["due_date"]) == ("2026-03-05", "2026-03-20")
    # what was not edited stays as it was
    assert str(books["customer_id"]) == INITECH
    assert [li["description"] for li in books["line_items"]] == [
        li["description"] for li in before["line_items"]]
    # L8: the reference no longer carries the claim, and the task is still billed once
    with pytest.raises(AlreadyInvoiced):
        lg.integration.create_invoice(INITECH_PROJECT, INITECH, Side.BOOKS)
    _synced_twice_quietly(lg)


def test_L6_a_line_description_edited_in_projects_reaches_books(legacy_world):
    lg = legacy_world("small-agency")
    books_id, ppid = _mirrored(lg)
    pinv = lg.projects().get_invoice(INITECH_PROJECT, ppid)
    items = [{"description": "Logo concepts (3 rounds)", "quantity": li["quantity"],
              "rate": li["rate"], "task_id": li.get("task_id")} for li in pinv["line_items"]]
    lg.projects().update_invoice(INITECH_PROJECT, ppid, {"line_items": items, "notes": "See attached."})
    lg.integration.sync()
    books = lg.ctx.books.get_invoice(books_id)
    assert [li["description"] for li in books["line_items"]] == ["Logo concepts (3 rounds)"]
    assert books["notes"] == "See attached."
    _synced_twice_quietly(lg)


def test_L6_both_sides_edited_books_wins_the_whole_record(legacy_world):
    lg = legacy_world("small-agency")
    books_id, ppid = _mirrored(lg)
    books = lg.ctx.books.get_invoice(books_id)
    lg.ctx.books.update_invoice(books_id, {"customer_id": INITECH, "line_items": _books_lines(books),
                                           "notes": "Books' note", "due_date": "2026-04-30"})
    lg.projects().update_invoice(INITECH_PROJECT, ppid, {"notes": "Projects' note",
                                                         "reference_number": "PRJ-REF-1"})
    lg.integration.sync()
    pinv = lg.projects().get_invoice(INITECH_PROJECT, ppid)
    books = lg.ctx.books.get_invoice(books_id)
    assert books["notes"] == pinv["notes"] == "Books' note"
    assert pinv["due_date"] == "2026-04-30"
    # Books' reference was never edited: Projects' edit lost with the rest of its side
    assert pinv["reference_number"] == "" and books["reference_number"] != "PRJ-REF-1"
    _synced_twice_quietly(lg)


def test_L6_the_claim_key_is_not_shown_as_a_reference_and_stays_in_books(legacy_world):
    lg = legacy_world("small-agency")
    books_id, ppid = _mirrored(lg)
    claim = lg.ctx.books.get_invoice(books_id)["reference_number"]
    assert claim  # legacy makes the Books invoice under its claim
    lg.integration.sync()
    assert lg.ctx.books.get_invoice(books_id)["reference_number"] == claim
    assert lg.projects().get_invoice(INITECH_PROJECT, ppid)["reference_number"] == ""
    _synced_twice_quietly(lg)


def test_L6_an_invoice_made_in_projects_keeps_its_header_in_books_at_once(legacy_world):
    lg = legacy_world("small-agency")
    made = lg.projects().create_invoice(INITECH_PROJECT, {
        "client_id": INITECH_CLIENT, "currency_code": "USD", "date": "2026-03-01",
        "due_date": "2026-03-16", "notes": "Half now, half on delivery.",
        "reference_number": "PO-900",
        "line_items": [{"description": "Logo concepts", "quantity": "5", "rate": "95.00",
                        "task_id": LOGO_TASK}],
    })
    assert made["notes"] == "Half now, half on delivery." and made["due_date"] == "2026-03-16"
    report = lg.integration.sync()
    assert report.counts["invoices"].get("created") == 1
    [books] = lg.books_invoices()
    books = lg.ctx.books.get_invoice(str(books["invoice_id"]))
    assert books["notes"] == "Half now, half on delivery."
    assert books["reference_number"] == "PO-900"
    assert (books["date"], books["due_date"]) == ("2026-03-01", "2026-03-16")
    with pytest.raises(AlreadyInvoiced):  # L8 holds with the claim key gone from Books
        lg.integration.create_invoice(INITECH_PROJECT, INITECH, Side.BOOKS)
    _synced_twice_quietly(lg)
    pinv = lg.projects().get_invoice(INITECH_PROJECT, str(made["id"]))
    assert pinv["reference_number"] == "PO-900" and pinv["notes"] == "Half now, half on delivery."


def test_projects_sandbox_invoice_due_date_defaults_to_its_date(legacy_world):
    lg = legacy_world("small-agency")
    made = lg.projects().create_invoice(INITECH_PROJECT, {
        "client_id": INITECH_CLIENT, "currency_code": "USD", "date": "2026-03-01",
        "line_items": [{"description": "Logo concepts", "quantity": "5", "rate": "95.00"}],
    })
    assert (made["date"], made["due_date"]) == ("2026-03-01", "2026-03-01")
    assert made["notes"] == "" and made["reference_number"] == ""
    with pytest.raises(BridgeError):  # refused as any other Projects date field is (v3: ISO)
        lg.projects().update_invoice(INITECH_PROJECT, str(made["id"]), {"due_date": "03-31-2026"})
