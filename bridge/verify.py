"""Keyed, hashed, batched comparison of two record streams; deepdiff only where hashes differ.

Both streams yield `(key, record)` sorted by key in the same order (code-point order: see
`bridge.store.keyset`). They are cut into batches by the expected side's keys; a batch that
is equal on both sides (exact tuple equality, or a canonical hash for dict records) is
skipped without diffing, so a million equal records cost a million cheap comparisons, not a
million-record deepdiff, and never sit in memory whole.

`row_diff` is the same for flat rows (the key's columns, then the fields) that come in
batches as read: an equal batch is one list comparison in C, with no work per row in Python.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from typing import Any

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Difference:
    kind: str  # which record kind (table) the difference is in
    key: Key
    change: str  # missing | extra | changed
    field: str = ""
    expected: Any = None
    actual: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": [str(k) for k in self.key], "change": self.change,
                "field": self.field, "expected": _plain(self.expected), "actual": _plain(self.actual)}

    def __str__(self) -> str:
        where = f"{self.kind}[{'/'.join(str(k) for k in self.key)}]"
        if self.change == "changed":
            return f"{where}.{self.field}: expected {self.expected!r}, found {self.actual!r}"
        return f"{where}: {self.change}"


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)


def canonical_hash(items: list[tuple[Key, Any]]) -> str:
    """Records are tuples of plain values (fast: repr) or dicts (canonical JSON)."""
    if items and isinstance(items[0][1], tuple):
        return hashlib.sha256(repr(items).encode()).hexdigest()
    text = json.dumps([[list(map(str, k)), r] for k, r in items], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _same(exp: list[tuple[Key, Any]], act: list[tuple[Key, Any]]) -> bool:
    """The cheap check before deepdiff: tuples of plain values compare exactly at C speed
    (cheaper than hashing them, and no collisions); dict records by canonical hash."""
    if len(exp) != len(act):
        return False
    if exp and isinstance(exp[0][1], tuple):
        return exp == act
    return canonical_hash(exp) == canonical_hash(act)


@dataclass
class DiffStats:
    batches: int = 0
    skipped_equal: int = 0
    records: int = 0


def keyed_diff(
    kind: str,
    expected: Iterable[tuple[Key, Any]],
    actual: Iterable[tuple[Key, Any]],
    *,
    batch: int = 5000,
    stats: DiffStats | None = None,
    fields: tuple[str, ...] | None = None,
) -> Iterator[Difference]:
    """With `fields`, records are tuples of those fields' values, turned into dicts only
    for a batch whose hash differs."""
    stats = stats if stats is not None else DiffStats()
    exp_it, act_it = iter(expected), iter(actual)
    pending: tuple[Key, Any] | None = next(act_it, None)
    while True:
        exp_batch: list[tuple[Key, Any]] = [item for _, item in zip(range(batch), exp_it, strict=False)]
        act_batch: list[tuple[Key, Any]] = []
        if exp_batch:
            last = exp_batch[-1][0]
            while pending is not None and pending[0] <= last:
                act_batch.append(pending)
                pending = next(act_it, None)
        else:
            while pending is not None:  # whatever is left on the actual side is extra
                act_batch.append(pending)
                pending = next(act_it, None)
        if not exp_batch and not act_batch:
            return
        stats.batches += 1
        stats.records += len(exp_batch)
        if _same(exp_batch, act_batch):
            stats.skipped_equal += 1
            continue
        if fields is not None:
            exp_batch = [(k, dict(zip(fields, v, strict=True))) for k, v in exp_batch]
            act_batch = [(k, dict(zip(fields, v, strict=True))) for k, v in act_batch]
        yield from _diff_batch(kind, dict(exp_batch), dict(act_batch))


Row = tuple[Any, ...]


def row_diff(
    kind: str,
    expected: Iterable[list[Row]],
    actual: Iterable[list[Row]],
    *,
    key_len: int,
    fields: tuple[str, ...],
    stats: DiffStats | None = None,
) -> Iterator[Difference]:
    """`keyed_diff` for flat rows: a row is its key's `key_len` columns, then `fields`. Both
    sides come in key-sorted batches (any sizes); the actual rows are cut at each expected
    batch's last key, and a cut that differs is diffed record by record as `keyed_diff` does."""
    stats = stats if stats is not None else DiffStats()

    def key(row: Row) -> Key:
        return tuple(row[:key_len])

    pending: list[Row] = []  # actual rows read past the expected rows compared so far
    act_it = iter(actual)
    more = True
    for exp in expected:
        if not exp:
            continue
        last = key(exp[-1])
        while more and (not pending or key(pending[-1]) <= last):
            rows = next(act_it, None)
            if rows is None:
                more = False
            else:
                pending.extend(rows)
        cut = bisect_right(pending, last, key=key)
        yield from _rows_batch(kind, exp, pending[:cut], key_len, fields, stats)
        del pending[:cut]
    rest = list(chain(pending, chain.from_iterable(act_it)))
    if rest:  # whatever is left on the actual side is extra
        yield from _rows_batch(kind, [], rest, key_len, fields, stats)


def _rows_batch(kind: str, exp: list[Row], act: list[Row], key_len: int, fields: tuple[str, ...],
                stats: DiffStats) -> Iterator[Difference]:
    stats.batches += 1
    stats.records += len(exp)
    if exp == act:
        stats.skipped_equal += 1
        return
    yield from _diff_batch(kind, {tuple(r[:key_len]): dict(zip(fields, r[key_len:], strict=True)) for r in exp},
                           {tuple(r[:key_len]): dict(zip(fields, r[key_len:], strict=True)) for r in act})


def _diff_batch(kind: str, exp: dict[Key, dict[str, Any]], act: dict[Key, dict[str, Any]]) -> Iterator[Difference]:
    for key in sorted(exp.keys() - act.keys()):
        yield Difference(kind, key, "missing", expected=exp[key])
    for key in sorted(act.keys() - exp.keys()):
        yield Difference(kind, key, "extra", actual=act[key])
    from deepdiff import DeepDiff  # here, not at import: numpy and pydantic come with it, and equal data never needs it

    common = sorted(exp.keys() & act.keys())
    diff = DeepDiff({k: exp[k] for k in common}, {k: act[k] for k in common}, view="tree")
    for level in [*diff.get("values_changed", []), *diff.get("type_changes", [])]:
        path = level.path(output_format="list")
        yield Difference(kind, path[0], "changed", ".".join(map(str, path[1:])), level.t1, level.t2)
    for group in ("dictionary_item_added", "dictionary_item_removed"):
        for level in diff.get(group, []):
            path = level.path(output_format="list")
            yield Difference(kind, path[0], "changed", ".".join(map(str, path[1:])), level.t1, level.t2)
