"""Natural keys and plain values for the compare views (C1).

The two sandboxes of a comparison hand out their own ids, so a record is keyed by what a
user reads on the screen (a project's name, a task's name, an invoice's place among its
project's invoices) and every id a record points at is replaced by the key of the record
it points at. Money becomes a two-decimal string; timestamps and random references go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

UNRESOLVED = "<unresolved>"
_US_DATE = re.compile(r"(\d{2})-(\d{2})-(\d{4})")
_LOG_MARKER = re.compile(r"\s*\[plog:[^\]]*\]")  # the Projects log id a synced note carries


def money(value: Any) -> str | None:
    """'12.50' for 12.5, '12.5' or Decimal('12.500'); None stays None."""
    if value in (None, ""):
        return None
    try:
        return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"
    except InvalidOperation:
        return str(value)


def number(value: Any) -> str | None:
    """A quantity or hours figure without trailing zeros ('4' for 4.0, '9.5' for '9.5000')."""
    if value in (None, ""):
        return None
    try:
        text = f"{Decimal(str(value)).normalize():f}"
    except InvalidOperation:
        return str(value)
    return text


def iso_date(value: Any) -> str:
    """Projects writes dates MM-DD-YYYY, Books YYYY-MM-DD: keys use the latter."""
    text = str(value or "")
    match = _US_DATE.fullmatch(text)
    return f"{match[3]}-{match[1]}-{match[2]}" if match else text


def plain_notes(text: Any) -> str:
    return _LOG_MARKER.sub("", str(text or ""))


def unique_keys(bases: Iterable[str]) -> list[str]:
    """Each base as a key, the second and later of a repeated base suffixed ' #2', ' #3'..."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for base in bases:
        seen[base] = seen.get(base, 0) + 1
        out.append(base if seen[base] == 1 else f"{base} #{seen[base]}")
    return out


class Names:
    """Id -> natural key, per record kind; ids of both services share one table per kind
    (their number ranges never overlap in one world)."""

    def __init__(self) -> None:
        self._names: dict[str, dict[str, str]] = {}

    def add(self, kind: str, record_id: Any, name: str) -> None:
        if record_id not in (None, ""):
            self._names.setdefault(kind, {})[str(record_id)] = name

    def add_all(self, kind: str, pairs: Mapping[str, str]) -> None:
        for record_id, name in pairs.items():
            self.add(kind, record_id, name)

    def get(self, kind: str, record_id: Any) -> str | None:
        """The name of a referenced record; None when nothing is referenced."""
        if record_id in (None, ""):
            return None
        return self._names.get(kind, {}).get(str(record_id), UNRESOLVED)

    def has(self, kind: str, record_id: Any) -> bool:
        return str(record_id) in self._names.get(kind, {})
