"""Click parameter types for the values users type, each with one wording wherever it is used.

A bad value is a usage error (exit 2) that names the option and the value, before any store
is opened or any call made:

    Amount    a finite number > 0 with at most the store's decimals (2), within what the
              store's money columns hold (bridge.store.types.Amount: NUMERIC(20, 2))
    IsoDate   a calendar date written YYYY-MM-DD; `clear_word` also lets a word through
              (e.g. --cutoff none), returned as that word
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # click's ParamType is generic from 8.2 on; at runtime the plain class
    _AmountType = click.ParamType[Decimal]
    _DateType = click.ParamType[dt.date | str]
else:
    _AmountType = _DateType = click.ParamType

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Amount(_AmountType):
    """A money amount as the store keeps it: positive, finite, at most `scale` decimals and
    fewer than `precision - scale` digits before the point."""

    name = "amount"

    def __init__(self) -> None:
        from bridge.store.types import Amount as column  # the store's money column

        self.scale = column.scale
        self.limit = Decimal(10) ** (column.precision - column.scale)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "AMOUNT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            amount = value
        else:
            try:
                amount = Decimal(str(value).strip())
            except InvalidOperation:
                self.fail(f"{value!r} is not a number (an amount such as 120.50)", param, ctx)
        if not amount.is_finite():
            self.fail(f"{value!r} is not a number (an amount such as 120.50)", param, ctx)
        if amount <= 0:
            self.fail(f"{value} is not an amount: it must be more than 0", param, ctx)
        exponent = amount.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.scale:
            self.fail(f"{value} has more than {self.scale} decimals", param, ctx)
        if amount >= self.limit:
            self.fail(f"{value} is too large: the store keeps amounts below {self.limit:,}", param, ctx)
        whole = amount.as_tuple().exponent
        return amount.quantize(Decimal(1)) if isinstance(whole, int) and whole > 0 else amount  # 1E+3 -> 1000


class IsoDate(_DateType):
    """A date written YYYY-MM-DD (and nothing else ISO 8601 allows, such as 20260131)."""

    name = "date"

    def __init__(self, clear_word: str | None = None) -> None:
        self.clear_word = clear_word

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD" + (f"|{self.clear_word}" if self.clear_word else "")

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.date | str:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        if self.clear_word is not None and text.lower() == self.clear_word:
            return self.clear_word
        if _ISO_DATE.fullmatch(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        either = f" or {self.clear_word}" if self.clear_word else ""
        self.fail(f"{value!r} is not a date written YYYY-MM-DD (such as 2026-01-31){either}", param, ctx)
