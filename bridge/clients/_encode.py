"""Python values to what each service expects on the wire.

Both take JSON with ISO dates (yyyy-mm-dd) and numbers; Projects v3 takes hours as
"HH:MM" (PROJECTS-V3.md §4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_PLAIN = frozenset({str, int, float, bool, type(None)})


def books_json(value: Any) -> Any:
    """A payload json.dumps can write: dates as ISO, Decimals as numbers."""
    if type(value) in _PLAIN:  # most values: no ABC check (a sync encodes ~10 per call)
        return value
    if type(value) is dict and all(type(k) is str and type(v) in _PLAIN for k, v in value.items()):
        return value  # a flat payload of plain values (most calls) is written as it is
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


def hhmm(minutes: int) -> str:
    """Minutes as Projects hours: 90 -> "01:30"."""
    if minutes < 0:
        raise ValueError(f"minutes must be >= 0, got {minutes}")
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def projects_json(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A Projects v3 JSON body or query: dates yyyy-mm-dd, Decimals as numbers, None
    dropped. In a query, booleans go as true/false and nested values as JSON."""
    return {str(k): books_json(v) for k, v in fields.items() if v is not None}
