"""Python values to what each service expects on the wire.

Books takes JSON with ISO dates (yyyy-mm-dd) and numbers. Projects takes form fields with
dates as MM-DD-YYYY, hours as "HH:MM", booleans as "true"/"false", modified-since times as
epoch milliseconds, and nested values (`line_items`) as a JSON string.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_PLAIN = frozenset({str, int, float, bool, type(None)})


def books_json(value: Any) -> Any:
    """A payload json.dumps can write: dates as ISO, Decimals as numbers."""
    if type(value) in _PLAIN:  # most values: no ABC check (a sync encodes ~10 per call)
        return value
    if isinstance(value, Mapping):
        return {str(k): books_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [books_json(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def books_params(filters: Mapping[str, Any]) -> dict[str, Any]:
    """Query filters: dates as ISO, booleans as true/false, None dropped."""
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (dt.date, Decimal)):
            out[key] = str(value) if isinstance(value, Decimal) else value.isoformat()
        else:
            out[key] = value
    return out


def mdy(value: dt.date | str) -> str:
    """A date as Projects writes it: MM-DD-YYYY (strings are passed through)."""
    if isinstance(value, str):
        return value
    return value.strftime("%m-%d-%Y")


def hhmm(minutes: int) -> str:
    """Minutes as Projects hours: 90 -> "01:30"."""
    if minutes < 0:
        raise ValueError(f"minutes must be >= 0, got {minutes}")
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def projects_value(value: Any) -> str:
    """One form field or query value for Projects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("a naive datetime has no epoch time; give it a time zone")
        return str(int(value.timestamp() * 1000))
    if isinstance(value, dt.date):
        return mdy(value)
    if isinstance(value, (list, dict)):
        return json.dumps(books_json(value), separators=(",", ":"))
    return str(value)


def projects_form(fields: Mapping[str, Any]) -> dict[str, str]:
    return {k: projects_value(v) for k, v in fields.items() if v is not None}
