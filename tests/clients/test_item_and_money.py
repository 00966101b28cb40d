"""Issue 14: every Books invoice line names the time item; money read from numbers or strings
goes through Decimal(str(x)), never float arithmetic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import pytest

from bridge.compare.keys import money
from bridge.context import Context
from bridge.domain import InvoiceLine
from bridge.errors import ConfigError
from enhanced.transactions import _books_line
from legacy.lines import books_items, dec


def _ctx(item: str | None) -> Context:
    return Context(store=cast(Any, None), books=cast(Any, None), projects_factory=cast(Any, None),
                   clock=cast(Any, None), secrets=cast(Any, None), time_item_id=item)


def test_no_time_item_is_refused_naming_the_setting() -> None:
    with pytest.raises(ConfigError) as err:
        _ctx(None).invoice_item_id()
    assert "time_item_id" in (err.value.hint or "") and "BRIDGE_LIVE_TIME_ITEM_ID" in (err.value.hint or "")
    assert _ctx("77").invoice_item_id() == "77"


def test_both_modes_put_the_item_on_every_line() -> None:
    lines = [InvoiceLine(description="Design", quantity=Decimal("1.5"), rate=Decimal(100), task_id="9"),
             InvoiceLine(description="Paper", quantity=Decimal(1), rate=Decimal("12.30"), expense_id="e1")]
    legacy = books_items(lines, "P1", {"e1": "B1"}, item_id="77")
    assert [li["item_id"] for li in legacy] == ["77", "77"]
    enhanced = [_books_line(ln, "BP", {"e1"}, "77") for ln in lines]
    assert [li["item_id"] for li in enhanced] == ["77", "77"]


@pytest.mark.parametrize("value", [24.69, "24.69", Decimal("24.69"), 12.345 * 2])
def test_readers_take_numbers_and_strings_alike(value: object) -> None:
    assert dec(value) == Decimal("24.69")
    assert money(value) == "24.69"


def test_sums_of_number_answers_stay_exact() -> None:
    # 0.1 + 0.2 as floats is 0.30000000000000004; read as Decimal(str(x)) it is 0.3
    assert sum((dec(v) or Decimal(0) for v in (0.1, 0.2)), Decimal(0)) == Decimal("0.3")
