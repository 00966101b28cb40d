"""A line edited to quantity 0 (or rate 0) reads back as 0, not as the default (issue 16:
`dec(...) or Decimal(1)` turned a 0 into 1, billing a line the user had zeroed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bridge.domain import InvoiceLine
from legacy.lines import from_books, from_projects


@pytest.mark.parametrize("read", [lambda inv: from_books(inv, []), from_projects])
def test_a_zero_quantity_or_rate_is_kept(read) -> None:  # type: ignore[no-untyped-def]
    invoice = {"line_items": [{"description": "design", "quantity": 0, "rate": "150.00"},
                              {"description": "travel", "quantity": "2", "rate": 0},
                              {"description": "fee", "quantity": "0.00", "rate": "0.00"}]}
    lines: list[InvoiceLine] = read(invoice)
    assert [(ln.quantity, ln.rate) for ln in lines] == [
        (Decimal(0), Decimal("150.00")), (Decimal(2), Decimal(0)), (Decimal("0.00"), Decimal("0.00"))]
    assert sum(ln.amount for ln in lines) == 0


@pytest.mark.parametrize("read", [lambda inv: from_books(inv, []), from_projects])
def test_an_absent_quantity_reads_as_one(read) -> None:  # type: ignore[no-untyped-def]
    lines: list[InvoiceLine] = read({"line_items": [{"description": "x", "rate": "10"}]})
    assert (lines[0].quantity, lines[0].rate) == (Decimal(1), Decimal(10))
