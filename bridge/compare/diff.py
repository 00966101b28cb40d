"""Diff two modes' views with deepdiff and sort each difference into declared or not (C1, C2).

Each deepdiff change becomes one `Difference`: where (the path as a list of keys), what
kind ('changed', or 'only_in' one mode), and each mode's value there. The first mode given
is deepdiff's t1; the modes are only names here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from deepdiff import DeepDiff
from deepdiff.model import DiffLevel

from bridge.compare.declared import Declared

Segment = str | int
_ADDED = {"dictionary_item_added", "iterable_item_added", "set_item_added", "attribute_added"}
_REMOVED = {"dictionary_item_removed", "iterable_item_removed", "set_item_removed", "attribute_removed"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Difference:
    path: tuple[Segment, ...]
    change: str  # changed | only_in
    values: Mapping[str, Any]  # mode -> its value; a mode without the item is absent
    only_in: str | None = None
    declared: str | None = None  # the id of the declared difference it matches

    @property
    def where(self) -> str:
        return show_path(self.path)

    @property
    def record(self) -> tuple[Segment, ...]:
        """The record the difference is in: section, kind and key (e.g. books/invoices/<key>)."""
        return self.path[:3]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.where, "change": self.change, "only_in": self.only_in,
                "declared": self.declared, "values": dict(self.values)}


@dataclass
class Comparison:
    modes: tuple[str, ...]
    differences: list[Difference] = field(default_factory=list)

    @property
    def declared(self) -> list[Difference]:
        return [d for d in self.differences if d.declared]

    @property
    def undeclared(self) -> list[Difference]:
        return [d for d in self.differences if not d.declared]

    @property
    def ok(self) -> bool:
        return not self.undeclared

    def summary(self) -> dict[str, Any]:
        """Id-free and value-free: what the golden files keep and the CLI prints first."""
        by_rule: dict[str, list[str]] = {}
        for d in self.declared:
            by_rule.setdefault(str(d.declared), []).append(d.where)
        return {"ok": self.ok, "declared": {k: sorted(v) for k, v in sorted(by_rule.items())},
                "undeclared": sorted(f"{d.where} ({change_text(d)})" for d in self.undeclared)}


def show_path(path: Sequence[Segment]) -> str:
    """books.invoices["Acme / invoice 1"].lines[0].task"""
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif _NAME.fullmatch(seg):
            out += f".{seg}" if out else seg
        else:
            out += f'["{seg}"]'
    return out or "root"


def diff_views(views: Mapping[str, Any], declared: Declared) -> Comparison:
    modes = tuple(views)
    if len(modes) != 2:
        raise ValueError(f"compare takes two modes, got {modes}")
    first, second = modes
    # threshold 0: always descend into changed dicts, so a difference names a record, not a section
    tree = DeepDiff(views[first], views[second], threshold_to_diff_deeper=0).tree
    out: list[Difference] = []
    for change_type, levels in tree.items():
        for level in levels:
            out.append(_difference(change_type, level, first, second))
    out.sort(key=lambda d: show_path(d.path))
    return Comparison(modes, [replace(d, declared=declared.match(d)) for d in out])


def _difference(change_type: str, level: DiffLevel, first: str, second: str) -> Difference:
    path = tuple(level.path(output_format="list"))
    if change_type in _ADDED:
        return Difference(path, "only_in", {second: level.t2}, only_in=second)
    if change_type in _REMOVED:
        return Difference(path, "only_in", {first: level.t1}, only_in=first)
    return Difference(path, "changed", {first: level.t1, second: level.t2})


def change_text(d: Difference) -> str:
    if d.only_in:
        return f"only in {d.only_in}"
    return ", ".join(f"{mode}: {_short(v)}" for mode, v in d.values.items())


def _short(value: Any, limit: int = 60) -> str:
    """A value as a reader sees it: JSON (`"x"`, `null`, `{"a": 1}`), never a Python repr."""
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
