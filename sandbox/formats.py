"""Value formats of the two services: times, dates, durations and money, both ways."""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
_HHMM = re.compile(r"^(-?)(\d{1,3}):([0-5]\d)$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MDY = re.compile(r"^(\d{2})-(\d{2})-(\d{4})$")


def books_time(when: dt.datetime) -> str:
    """Books timestamps: 2026-01-05T09:00:00+0000."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S%z")


def epoch_ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def iso_day(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).date().isoformat()


def parse_iso(value: object) -> str | None:
    """A yyyy-mm-dd date, or None when it is not one."""
    if not isinstance(value, str) or not _ISO.match(value):
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def to_mdy(iso: str) -> str:
    """yyyy-mm-dd -> MM-DD-YYYY (Projects' format)."""
    return f"{iso[5:7]}-{iso[8:10]}-{iso[0:4]}"


def parse_mdy(value: object) -> str | None:
    """MM-DD-YYYY -> yyyy-mm-dd, or None when it is not a date."""
    m = _MDY.match(value) if isinstance(value, str) else None
    if not m:
        return None
    return parse_iso(f"{m.group(3)}-{m.group(1)}-{m.group(2)}")


@functools.lru_cache(maxsize=4096)  # a page of logs repeats a few hundred days
def day_ms(iso: str) -> int:
    """Midnight UTC of a day, in epoch milliseconds (Projects' *_long dates)."""
    day = dt.date.fromisoformat(iso)
    return epoch_ms(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


def hhmm(minutes: int) -> str:
    sign = "-" if minutes < 0 else ""
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_hhmm(value: object) -> int | None:
    """'HH:MM' -> minutes, or None when it is not a duration."""
    m = _HHMM.match(value.strip()) if isinstance(value, str) else None
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return -minutes if m.group(1) else minutes


def parse_money(value: object) -> Decimal | None:
    """A number or a decimal string -> Decimal; None when it is neither."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def round_money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_str(amount: Decimal) -> str:
    return f"{round_money(amount):.2f}"


def money_num(amount: Decimal) -> float:
    """Books draws most amounts as JSON numbers."""
    return float(round_money(amount))


def parse_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
