"""Mutated scenario files and an in-process replay: the property "what `bpbridge fixtures
check` passes, `bpbridge scenario run` runs without an internal error, in both modes".

`mutants()` draws a shipped scenario and changes one or two places in it: a value replaced
by one of its kind, at, inside or past a limit (huge, negative or over-precise money, minutes
far out of range, dates at the ends of the calendar, long text, lone surrogates), or by
another type; a key dropped or renamed; an array item duplicated; a value nested up to 1,000
deep. A quarter to a half of the mutants stay valid (in-range values, duplicated operations,
dropped optional fields), so the replay side is exercised too.

`Trial` writes a mutant as JSON text (surrogates as `\\ud800` escapes, as a hand-written file
has them), checks it with `check_files`, and when it passes, replays it as `scenario run`
does (seed, then replay), in-process, through each mode. The suite's test
(tests/test_fixture_property.py) and the long run (bench/fixture_property.py) share it.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from bridge.clock import FakeClock
from bridge.errors import BridgeError, FixtureError
from bridge.modes import open_integration
from bridge.scenarios.driver import ScenarioFailed
from bridge.scenarios.fixtures import check_files, list_scenarios, load_scenario
from bridge.scenarios.refs import json_path
from bridge.scenarios.replay import replay, seed_sandbox
from bridge.store import Store
from bridge.targets import scenario_clock
from sandbox import Sandbox
from sandbox.wiring import sandbox_context

MODES = ("legacy", "enhanced")
BASES: dict[str, dict[str, Any]] = {p.stem: json.loads(p.read_text()) for p in list_scenarios()}
DEEP = "\x00deep\x00"  # stands for a value nested `depth` deep, written into the text
Path_ = tuple[str | int, ...]

# --- values ---------------------------------------------------------------------------------
# Each kind has values in range (up to its limits) and past them; in-range values are drawn
# half again as often, so that enough mutants pass the checker to be replayed.

_MONEY_OK = st.one_of(
    st.sampled_from(["9999999999.99", "9999999999", "0", "0.00", "0.01", "1.5"]),
    st.from_regex(r"[0-9]{1,10}(\.[0-9]{1,2})?", fullmatch=True),
)
_MONEY_BAD = st.one_of(
    st.sampled_from(["99999999999999999999999999.99", "10000000000.00", "99999999999.99",
                     "-1.00", "-0.01", "0.001", "1.23456", "1e30", "NaN", "Infinity", " 12.50",
                     "12,50", "\u0661\u0662"]),
    st.from_regex(r"[0-9]{11,30}(\.[0-9]{1,2})?", fullmatch=True),  # too many digits
    st.from_regex(r"-[0-9]{1,10}(\.[0-9]{1,2})?", fullmatch=True),  # negative
    st.from_regex(r"[0-9]{1,10}\.[0-9]{3,6}", fullmatch=True),  # too precise
)
_MINUTES_OK = st.one_of(st.sampled_from([-1440, -1, 0, 1, 1439, 1440, 2880]), st.integers(-1440, 2880))
_MINUTES_BAD = st.one_of(
    st.sampled_from([-1441, 2881, 59999, 60000, 2**63, 10**30, -(10**30)]),
    st.integers(2881, 10**25) | st.integers(-(10**25), -1441),
    st.sampled_from([1.0, 90.0, 1e3, 0.5, float("inf"), float("nan")]),
)
_DATES_OK = st.one_of(
    st.sampled_from(["1970-01-01", "2999-12-31", "2024-02-29"]),
    st.dates(dt.date(1970, 1, 1), dt.date(2999, 12, 31)).map(dt.date.isoformat),
)
_DATES_BAD = st.one_of(
    st.sampled_from(["9999-12-31", "0001-01-01", "1969-12-31", "3000-01-01", "2026-02-29",
                     "2026-13-01", "2026-1-5"]),
    st.dates().map(dt.date.isoformat),
)
_TEXT_OK = st.one_of(st.sampled_from(["\ud83d\ude00", "\U0001f600", "x" * 10_000, "\u00e4" * 300,
                                      "'; DROP TABLE docs; --", "\x00"]),
                     st.text(min_size=1, max_size=30))
_TEXT_BAD = st.sampled_from(["\ud800", "a\udfffb", "\udc00\ud800", "", " "])
_OTHER = st.sampled_from([None, True, False, 0, -1, 1.5, [], {}, "", [None], {"x": 1}])


def _either(ok: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(ok, ok, ok, bad, bad, _OTHER)


#: fields of free text; any other string field is an id, an enum, an email, a code...
FREE_TEXT = frozenset({"name", "description", "title", "notes", "contact_name", "status",
                       "severity", "zsc_key", "ref", "expect_error"})


def _category(key: str | int, value: Any) -> str:
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, int):
        return "minutes"
    if key in ("rate", "amount"):
        return "money"
    if key in ("date", "today", "cutoff_date"):
        return "date"
    if key in FREE_TEXT:
        return "text"
    return "code"  # an id, an enum, an email, a currency: another record's is valid


def _values(category: str, value: Any, seen: list[Any]) -> st.SearchStrategy[Any]:
    """Values to put where `value` was: mostly of its own kind, in range or not. `seen`: the
    values the same key has elsewhere in the scenario."""
    if category == "flag":
        return st.one_of(st.booleans(), st.booleans(), _OTHER)
    if category == "minutes":
        return _either(_MINUTES_OK, _MINUTES_BAD)
    if category == "money":
        return _either(_MONEY_OK, _MONEY_BAD)
    if category == "date":
        return _either(_DATES_OK, _DATES_BAD)
    if category == "text":
        return _either(_TEXT_OK, _TEXT_BAD)
    return _either(st.sampled_from(seen or [value]), _TEXT_OK | _TEXT_BAD)


# --- places ---------------------------------------------------------------------------------

def _places(data: Any, parts: Path_ = ()) -> list[Path_]:
    """Every path below the root, containers included."""
    out: list[Path_] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        out.append((*parts, key))
        out.extend(_places(value, (*parts, key)))
    return out


def _parent(data: Any, parts: Path_) -> Any:
    for part in parts[:-1]:
        data = data[part]
    return data


def _at(data: Any, parts: Path_) -> Any:
    return _parent(data, parts)[parts[-1]]


def _mutate_once(draw: st.DrawFn, rnd: random.Random, data: dict[str, Any]) -> str:
    """Change `data` in place at one place; a short description of the change.

    The place is chosen with `rnd` (uniformly: Hypothesis' own choices lean to the first of
    a list, and would spend a short run on the first field); the new value is drawn, so it
    leans to the edges. A value change first picks the kind of field (money, minutes, date,
    text, flag, code), then a field of that kind: the few money and minutes fields get as
    many changes as the many names and ids."""
    places = _places(data)
    kind = rnd.choice(["value"] * 12 + ["drop", "duplicate", "duplicate", "rename", "deep"])
    if kind == "value":
        fields: dict[str, list[Path_]] = {}
        for place in places:
            value = _at(data, place)
            key = place[-2] if isinstance(place[-1], int) and len(place) > 1 else place[-1]
            if not isinstance(value, (dict, list)) and place != ("name",):
                fields.setdefault(_category(key, value), []).append(place)
        category = rnd.choice(sorted(fields))
        where = rnd.choice(fields[category])
        seen = [_at(data, p) for p in fields[category] if p[-1] == where[-1]]
        new = copy.deepcopy(draw(_values(category, _at(data, where), seen)))  # [] is shared
        _parent(data, where)[where[-1]] = new
        return f"{json_path(where)} = {_short(new)}"
    items = [p for p in places if isinstance(p[-1], int)]
    where = rnd.choice(items if kind == "duplicate" else places)
    parent, last = _parent(data, where), where[-1]
    if kind == "drop":
        del parent[last]
    elif kind == "duplicate":
        parent.insert(int(last), copy.deepcopy(parent[int(last)]))
    elif kind == "rename" and isinstance(parent, dict):
        parent[draw(_TEXT_OK | _TEXT_BAD)] = parent.pop(last)
    else:
        kind = "deep"
        parent[last] = DEEP
    return f"{kind} {json_path(where)}"


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


@dataclass
class Mutant:
    base: str
    changes: list[str]
    text: str


@st.composite
def mutants(draw: st.DrawFn) -> Mutant:
    rnd = draw(st.randoms(use_true_random=False))
    base = rnd.choice(sorted(BASES))
    data = copy.deepcopy(BASES[base])
    changes = [_mutate_once(draw, rnd, data) for _ in range(rnd.choice([1, 1, 2]))]
    text = json.dumps(data)  # ASCII: a surrogate is written as the escape \ud800
    depth = rnd.choice([15, 17, 100, 1000])
    text = text.replace(json.dumps(DEEP), "[" * depth + "1" + "]" * depth)
    return Mutant(base, changes, text)


# --- the property ---------------------------------------------------------------------------

@dataclass
class Trial:
    """Checks mutants and replays those the checker passes; counts what happened."""

    folder: Path
    counts: Counter[str] = field(default_factory=Counter)

    def __call__(self, mutant: Mutant) -> None:
        """Fails (AssertionError) when a mutant the checker passes breaks a replay."""
        path = self.folder / "mutant.json"
        path.write_text(mutant.text, encoding="utf-8")
        verdict = check_files([path])[0]
        self.counts["checked"] += 1
        if not verdict["ok"]:  # a refusal names a path, prints, and is no checker crash
            assert verdict["path"].startswith("$"), verdict
            f"{verdict['path']}: {verdict['rule']}".encode()
            assert not verdict["rule"].startswith("the checker failed"), verdict
            self.counts["refused"] += 1
            return
        data = load_scenario(path)
        self.counts["passed"] += 1
        for mode in MODES:
            outcome = self.replay(data, mode)
            self.counts[f"{mode}: {outcome}"] += 1

    def replay(self, data: dict[str, Any], mode: str) -> str:
        """How a replay of a file the checker passed ended; AssertionError if it broke."""
        try:
            replay_in_process(self.folder, data, mode)
        except FixtureError as exc:  # the replay's last resort: the checker missed something
            raise AssertionError(f"{mode}: the checker passed what the replay cannot run: "
                                 f"{exc.message}") from exc
        except ScenarioFailed as exc:  # the scenario's own expectations, after the mutation
            return f"failed at a step ({_cause(exc)})"
        except BridgeError as exc:
            return f"refused ({type(exc).__name__})"
        except Exception as exc:
            raise AssertionError(f"{mode}: internal error: {type(exc).__name__}: {exc}") from exc
        return "ran"

    def summary(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))


def replay_in_process(folder: Path, data: dict[str, Any], mode: str) -> None:
    """`scenario run` in-process: seed a fresh sandbox, replay through `mode` on a fresh store."""
    clock = FakeClock(scenario_clock(data))
    sandbox = Sandbox(folder / f"{mode}-sandbox.db", clock=clock)
    store = Store.open(_fresh_store(folder, mode))
    try:
        seed_sandbox(sandbox, data)
        ctx = sandbox_context(sandbox, store, clock=clock)
        replay(data, open_integration(mode, ctx), ctx)
    finally:
        store.close()
        sandbox.close()
        for leftover in folder.glob(f"{mode}-*"):
            leftover.unlink()


def _fresh_store(folder: Path, name: str) -> str:
    """A store at head, copied from one made once per folder (migrating each time is slower)."""
    template = folder / "template-state.db"
    if not template.exists():
        Store.open(f"sqlite:///{template}").close()
    target = folder / f"{name}-state.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _cause(exc: ScenarioFailed) -> str:
    cause = exc.__cause__
    return "no error" if cause is None else type(cause).__name__


