"""Column types that round-trip the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(20, scale) that never passes through a float.

    PostgreSQL keeps NUMERIC exactly. SQLite has no decimal type: its NUMERIC affinity turns
    99999999999999999.99 into an integer, and the driver would bind a float. On SQLite the
    column is text holding the canonical decimal string, which round-trips any value.
    Sums are done in Python with Decimal, never in SQL on SQLite.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__(precision=20, scale=scale, asdecimal=True)
        self.scale = scale
        self.quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, self.scale, asdecimal=True))

    def __repr__(self) -> str:
        return f"ExactDecimal({self.scale})"

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(str(value)).quantize(self.quantum)
        return str(exact) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(self.quantum)


#: Amounts: two decimals, 18 digits before the point (Books keeps money with 2 decimals).
Amount = ExactDecimal(2)
#: Rates and quantities (hours) keep 4 decimals before rounding to an amount.
Measure = ExactDecimal(4)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on the way out, whatever the backend keeps.

    SQLite has no time zone type: values are stored naive in UTC and re-tagged on read.
    A naive value on the way in is refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        utc: dt.datetime = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        when: dt.datetime = value
        if when.tzinfo is None:
            return when.replace(tzinfo=dt.UTC)
        return when.astimezone(dt.UTC)
