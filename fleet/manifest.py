"""A fleet manifest: which organizations to move, on what, and how far.

`load_manifest(path)` reads and checks the whole file before anything is queued: the JSON
schema (fleet/manifest.schema.json), then what a schema cannot say (names unique, sandbox
scenarios shipped). A bad entry is refused as `FixtureError(file, json_path, rule)` (exit 2),
so the user reads e.g. `fleet.json: $.organizations[2].action: 'move' is not one of [...]`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from bridge.errors import FixtureError
from bridge.scenarios.fixtures import SCENARIOS_DIR
from bridge.scenarios.limits import check_text_depth, parse

SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")
#: options that rehearse on the sandbox what a live organization's services decide
SANDBOX_ONLY = ("books_daily_cap", "pace", "served")

#: what each action runs, in order, after the organization's setup. A sandbox organization
#: starts from nothing, so it is first seeded (its legacy state built from its scenario);
#: `sync` on a live organization syncs one already on the enhanced integration, on the
#: sandbox it is the whole way there and then a sync.
ACTIONS: dict[str, tuple[str, ...]] = {
    "plan": ("plan",),
    "migrate": ("migrate", "verify"),
    "migrate+reenable": ("migrate", "verify", "reenable"),
    "sync": ("migrate", "verify", "reenable", "sync"),
}


@dataclass(frozen=True)
class Organization:
    """One manifest entry, checked."""

    name: str
    action: str
    scenario: str | None = None
    profile: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    #: a generated legacy portal's size (projects, tasks, bugs, logs, invoices)
    synthetic: dict[str, int] | None = None

    @property
    def target(self) -> str:
        return "live" if self.profile is not None else "sandbox"

    def steps(self) -> tuple[str, ...]:
        if self.target == "live":
            return ("sync",) if self.action == "sync" else ACTIONS[self.action]
        return ("seed", *ACTIONS[self.action])

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "action": self.action, "options": dict(self.options)}
        if self.scenario is not None:
            out["scenario"] = self.scenario
        if self.profile is not None:
            out["profile"] = self.profile
        if self.synthetic is not None:
            out["synthetic"] = dict(self.synthetic)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Organization:
        return cls(name=data["name"], action=data["action"], scenario=data.get("scenario"),
                   profile=data.get("profile"), options=dict(data.get("options") or {}),
                   synthetic=dict(data["synthetic"]) if data.get("synthetic") is not None else None)


def _json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def check_manifest(data: Any, file: str = "manifest") -> list[Organization]:
    """The organizations of an already-parsed manifest, or `FixtureError` at the first bad entry."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        # several errors at one entry: the most relevant one there
        same = [e for e in errors if list(e.absolute_path)[:2] == list(first.absolute_path)[:2]]
        error = best_match(same) or first
        raise FixtureError(file, _json_path(error), error.message)
    seen: dict[str, int] = {}
    orgs: list[Organization] = []
    for i, entry in enumerate(data["organizations"]):
        name = entry["name"]
        if name in seen:
            raise FixtureError(file, f"$.organizations[{i}].name",
                               f"{name!r} is already the name of $.organizations[{seen[name]}]")
        seen[name] = i
        scenario = entry.get("scenario")
        if scenario is not None and not (SCENARIOS_DIR / f"{scenario}.json").is_file():
            raise FixtureError(file, f"$.organizations[{i}].scenario",
                               f"no shipped scenario {scenario!r} (fixtures/scenarios/)")
        for option in SANDBOX_ONLY:
            if entry.get("profile") is not None and option in entry.get("options", {}):
                raise FixtureError(file, f"$.organizations[{i}].options.{option}",
                                   f"{option} is for sandbox organizations; a live one is paced under its "
                                   "profile's plan")
        orgs.append(Organization.from_json(entry))
    return orgs


def load_manifest(path: Path) -> list[Organization]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(str(path), "$", f"cannot read the manifest: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise FixtureError(str(path), "$", f"not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    check_text_depth(text, str(path))  # the fixtures' limits and parser: a key twice is refused too
    return check_manifest(parse(text, str(path)), str(path))
