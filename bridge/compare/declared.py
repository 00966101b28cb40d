"""The differences the two generations are meant to have (C2): fixtures/declared-differences.json.

Each entry matches differences by a path pattern over the compared view (dot-separated keys;
`*` and `?` glob one key, `**` any number of keys, so `books.projects.*` names a record kind
and `books.invoices.*.lines.*.task` one field of every line), optionally by the kind of
change, by the mode that alone has the item, and by each mode's value. The file is
versioned and checked against fixtures/schema/declared-differences.schema.json.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from bridge.errors import FixtureError
from bridge.scenarios.fixtures import FIXTURES_DIR

if TYPE_CHECKING:
    from bridge.compare.diff import Difference, Segment

DECLARED_PATH = FIXTURES_DIR / "declared-differences.json"
SCHEMA_PATH = FIXTURES_DIR / "schema" / "declared-differences.schema.json"


@dataclass(frozen=True)
class Rule:
    id: str
    path: tuple[str, ...]
    reason: str
    spec: tuple[str, ...]
    change: str | None = None
    only_in: str | None = None
    values: Mapping[str, str] | None = None

    def matches(self, d: Difference) -> bool:
        if self.change is not None and d.change != self.change:
            return False
        if self.only_in is not None and d.only_in != self.only_in:
            return False
        if self.values is not None and not all(
                mode in d.values and fnmatchcase(str(d.values[mode]), pattern)
                for mode, pattern in self.values.items()):
            return False
        return path_matches(self.path, d.path)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "path": ".".join(self.path), "reason": self.reason, "spec": list(self.spec)}


@dataclass(frozen=True)
class Declared:
    version: int
    rules: tuple[Rule, ...]

    def match(self, d: Difference) -> str | None:
        """The id of the first rule that declares the difference, or None."""
        return next((r.id for r in self.rules if r.matches(d)), None)

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def path_matches(pattern: Sequence[str], path: Sequence[Segment]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(path_matches(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatchcase(str(path[0]), head) and path_matches(rest, path[1:])


def load_declared(path: Path = DECLARED_PATH) -> Declared:
    source = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FixtureError(source, "$", f"cannot read declared differences: {exc}") from None
    validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    error = next(iter(sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise FixtureError(source, where, error.message)
    rules = tuple(
        Rule(id=r["id"], path=tuple(r["match"]["path"].split(".")), reason=r["reason"], spec=tuple(r["spec"]),
             change=r["match"].get("change"), only_in=r["match"].get("only_in"), values=r["match"].get("values"))
        for r in data["differences"])
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise FixtureError(source, "$.differences", "ids must be unique")
    return Declared(data["version"], rules)
