"""The records a comparison touched, each as rows of (field, value per mode), for the
side-by-side views: a changed field is marked declared or undeclared."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.compare.diff import Comparison, Difference, Segment, show_path

ABSENT = "—"
_MISSING = object()


@dataclass
class Row:
    field: str
    values: dict[str, str]
    state: str = "same"  # same | declared | undeclared
    rule: str | None = None


@dataclass
class RecordView:
    where: str
    state: str  # declared | undeclared: the worst of its differences
    rows: list[Row] = field(default_factory=list)


def record_of(path: tuple[Segment, ...]) -> tuple[Segment, ...]:
    """Books and Projects records sit at <side>.<kind>.<key>; run and integration at <section>.<item>."""
    return path[:3] if path and path[0] in ("books", "projects") else path[:2]


def touched_records(comparison: Comparison, views: Mapping[str, Any]) -> list[RecordView]:
    groups: dict[tuple[Segment, ...], list[Difference]] = {}
    for d in comparison.differences:
        groups.setdefault(record_of(d.path), []).append(d)
    out = []
    for where, diffs in groups.items():
        state = "undeclared" if any(not d.declared for d in diffs) else "declared"
        rows = _rows(where, diffs, {m: _at(views[m], where) for m in comparison.modes})
        out.append(RecordView(show_path(where), state, rows))
    # undeclared first: they are what a reader came for
    return sorted(out, key=lambda r: (r.state != "undeclared", r.where))


def _rows(where: tuple[Segment, ...], diffs: list[Difference], values: dict[str, Any]) -> list[Row]:
    flat = {mode: dict(_flatten(v, ())) if v is not _MISSING else {} for mode, v in values.items()}
    fields = sorted({f for f_map in flat.values() for f in f_map}, key=lambda f: [str(s) for s in f])
    rows = []
    for f in fields:
        full = where + f
        hits = [d for d in diffs if full[: len(d.path)] == d.path]
        state = "same" if not hits else "undeclared" if any(not d.declared for d in hits) else "declared"
        rows.append(Row(show_path(f) if f else "(record)",
                        {m: _show(flat[m].get(f, _MISSING)) for m in values}, state,
                        next((d.declared for d in hits if d.declared), None)))
    return rows


def _at(view: Any, path: tuple[Segment, ...]) -> Any:
    for seg in path:
        if isinstance(view, list) and isinstance(seg, int):
            if seg >= len(view):
                return _MISSING
            view = view[seg]
        elif isinstance(view, dict) and seg in view:
            view = view[seg]
        else:
            return _MISSING
    return view


def _flatten(value: Any, prefix: tuple[Segment, ...]) -> Any:
    if isinstance(value, dict) and value:
        for k in value:
            yield from _flatten(value[k], prefix + (k,))
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            yield from _flatten(v, prefix + (i,))
    else:
        yield prefix, value


def _show(value: Any) -> str:
    if value is _MISSING:
        return ABSENT
    return value if isinstance(value, str) else json.dumps(value)
