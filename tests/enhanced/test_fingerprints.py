"""The fast fingerprints give record_fingerprint's value: a different one would make a
re-sync rewrite every record (E14)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest

from bridge.store.repo import record_fingerprint
from enhanced.sync.timesheets import entry_fingerprint

ENTRY: dict[str, Any] = {
    "project_id": "2100000000001", "task_id": "2100000000101", "user_id": "2100000000201",
    "log_date": "2026-01-05", "log_time": "01:30", "is_billable": True, "notes": "work [plog:3100000000001]",
}


@pytest.mark.parametrize("change", [
    {},
    {"is_billable": False},
    {"notes": 'quotes " and \\ backslash, tab\t, é, \u2028, \U0001f600, \x00'},
    {"notes": ""},
    {"task_id": 2100000000101},  # not a string: the generic encoder
    {"task_id": Decimal("1.50")},
    {"log_date": dt.date(2026, 1, 5)},
    {"is_billable": 1},
    {"is_billable": None},
    {"extra": "x"},
])
def test_entry_fingerprint_is_record_fingerprint(change: dict[str, Any]) -> None:
    payload = {**ENTRY, **change}
    assert entry_fingerprint(payload) == record_fingerprint(payload)


def test_entry_fingerprint_without_a_key() -> None:
    payload = {k: v for k, v in ENTRY.items() if k != "notes"}
    assert entry_fingerprint(payload) == record_fingerprint(payload)


def test_record_fingerprint_is_sorted_json_sha256() -> None:
    record = {"b": 1, "a": "é", "c": [1, {"z": 2.5}], "d": None, "e": Decimal("2.10")}
    expected = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()
    assert record_fingerprint(record) == expected

