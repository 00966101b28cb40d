"""(c) The vendor's documented examples parse into the toolkit's domain types.

The examples are composed from the documents' property examples (spec.example), as the
vendor's pages show them. Where the toolkit has a mapper it is used (`legacy.lines.from_books`
for invoice lines, `legacy.expenses.parse_date`, `Money.of`); for the rest, the fields the
toolkit reads are parsed the way the domain holds them: ids as digit strings, money as
Decimal, dates as ISO dates, durations as "HH:MM".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bridge.domain import Money
from legacy.expenses import parse_date
from legacy.lines import from_books

from . import spec
from .spec import OPERATIONS, Operation, requires_documents

pytestmark = requires_documents
MONEY = ("rate", "bcy_rate", "quantity", "item_total", "sub_total", "total", "balance",
         "amount", "cost_rate")
DATES = ("date", "log_date", "due_date")
DURATIONS = ("log_time", "begin_time", "end_time")
_HHMM = re.compile(r"^\d{1,3}:[0-5]\d$")


def _fields(node: Any, where: str = "") -> Iterator[tuple[str, str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{where}/{key}", key, value
            yield from _fields(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _fields(value, f"{where}/{n}")


def parse_problems(instance: Any) -> list[str]:
    found = []
    for where, key, value in _fields(instance):
        if value in (None, "") or isinstance(value, (dict, list)):
            continue
        try:
            if key.endswith("_id"):
                assert str(value).isdigit(), f"id {value!r} is not a number"
            elif key in MONEY:
                assert Decimal(str(value)).is_finite()
                Money.of(Decimal(str(value)), "USD")
            elif key in DATES:
                dt.date.fromisoformat(str(value))
                parse_date(value)
            elif key in DURATIONS:
                assert _HHMM.match(str(value)), f"{value!r} is not HH:MM"
        except (AssertionError, ArithmeticError, ValueError) as exc:
            found.append(f"{where} = {value!r}: {exc or type(exc).__name__}")
    return found


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
def test_examples_parse(op: Operation) -> None:
    found = []
    for label, instance in spec.iter_examples(op):
        assert instance, f"{op.id} {label}: the document gives no example"
        found += [f"{label}: {p}" for p in parse_problems(instance)]
    assert not found, "\n".join(found)


def _one(op_id: str, status: str, key: str) -> dict[str, Any]:
    op = next(o for o in OPERATIONS if o.id == op_id)
    record: dict[str, Any] = spec.example(spec.response_schema(op, status))[key]
    return record


def test_documented_invoice_maps_to_domain_lines_and_money() -> None:
    invoice = _one("GET /invoices/{invoice_id}", "200", "invoice")
    lines = from_books(invoice, [])
    assert lines and all(isinstance(x.rate, Decimal) and isinstance(x.quantity, Decimal)
                         for x in lines)
    total = Money.of(Decimal(str(invoice["total"])), str(invoice["currency_code"]))
    assert total.amount == Decimal(str(invoice["total"])).quantize(Decimal("0.01"))
    assert str(invoice["invoice_id"]).isdigit() and str(invoice["customer_id"]).isdigit()


def test_documented_expense_maps_to_money_and_a_date() -> None:
    expense = _one("GET /expenses/{expense_id}", "200", "expense")
    assert isinstance(parse_date(expense["date"]), dt.date)
    assert Money.of(Decimal(str(expense["total"])), str(expense["currency_code"])).amount >= 0


def test_documented_contact_and_organization_carry_the_fields_the_toolkit_reads() -> None:
    contact = _one("GET /contacts/{contact_id}", "200", "contact")
    assert str(contact["contact_id"]).isdigit() and contact["contact_name"] and contact["currency_code"]
    org = _one("GET /organizations/{organization_id}", "200", "organization")
    assert str(org["organization_id"]).isdigit() and org["name"] and org["currency_code"]
