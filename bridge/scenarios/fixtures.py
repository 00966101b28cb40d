"""Load and validate scenario fixtures (F1).

A scenario file is checked in these passes, each refusing with `FixtureError(file, json_path,
rule)`: one error, the most relevant, with the JSON path of the offending field:

1. before parsing (`bridge.scenarios.limits`): its size, by `stat`, and how deeply it nests,
   by a scan of the raw text, so a huge or deeply nested file is refused at once and
   `json.loads` never recurses out;
2. text that encodes as UTF-8 (no lone surrogate from a `"\\ud800"` escape);
3. the JSON Schema (`fixtures/schema/scenario.schema.json`, Draft 2020-12, with date formats
   checked): shapes, and the limits on money, minutes, dates and lengths the replay can run,
   each with where it comes from in the schema's description;
4. whole numbers written without a fraction or exponent (the schema's integers take `1.0`);
5. the cross-references a schema cannot express (`bridge.scenarios.refs`).

No `jsonschema` error reaches the caller; `check_files` gives every file its own verdict.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance

from bridge.errors import FixtureError
from bridge.scenarios.limits import (
    check_data_depth,
    check_text,
    check_text_depth,
    check_whole_numbers,
    file_text,
    parse,
)
from bridge.scenarios.refs import check_references, json_path

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"
SCHEMA_PATH = FIXTURES_DIR / "schema" / "scenario.schema.json"
SCENARIOS_DIR = FIXTURES_DIR / "scenarios"

# Scenario files are `<name>.json`; names with more dots (golden outcomes) are companions.
_SCENARIO_FILE = re.compile(r"^[a-z0-9][a-z0-9-]*\.json$")

_JSON_TYPES = {
    dict: "an object", list: "an array", str: "a string", bool: "a boolean",
    int: "an integer", float: "a number", type(None): "null",
}


def list_scenarios(directory: Path = SCENARIOS_DIR) -> list[Path]:
    """The shipped scenario files, sorted by name."""
    return sorted(p for p in directory.glob("*.json") if _SCENARIO_FILE.match(p.name))


def load_scenario(path: str | Path) -> dict[str, Any]:
    """Read, parse and validate one scenario file."""
    source = str(path)
    text = file_text(Path(path), source)
    check_text_depth(text, source)
    return validate_scenario(parse(text, source), source)


def validate_scenario(data: Any, source: str) -> dict[str, Any]:
    """Check `data` against the limits, the schema and the cross-references; return it
    unchanged."""
    check_data_depth(data, source)
    check_text(data, source)
    error = _most_relevant(_validator().iter_errors(data))
    if error is not None:
        path, rule = _explain(error)
        raise FixtureError(source, path, rule)
    check_whole_numbers(data, source)
    check_references(data, source)
    result: dict[str, Any] = data
    return result


def replay_fault(scenario: Any, where: str, failure: BaseException, doing: str) -> FixtureError:
    """The error a replay ends in when `doing` (seeding, an operation) fails with an error the
    toolkit does not raise itself: a fixture error naming the scenario and the JSON path where
    the replay broke (`$.operations[3]`, or `$` for the seed), never a bare `InvalidOperation`
    or `UnicodeEncodeError`.

    Data that never went through the checker (`load_scenario`) may break the replay: then what
    the checker refuses in it, most likely the culprit, comes along in the rule."""
    name = scenario.get("name") if isinstance(scenario, dict) else None
    source = name if isinstance(name, str) and name else "scenario"
    what = f"{doing} failed: {type(failure).__name__}: {failure}"
    culprit = _first_refusal(scenario, source)
    if culprit is None:
        why = ("the fixture passes the checker, so the toolkit should have refused or run it: "
               "please report this")
    else:
        why = f"the checker refuses the fixture at {culprit.json_path}: {culprit.rule}"
    rule = f"{what}; {why}".encode("utf-8", "backslashreplace").decode("utf-8")  # printable
    return FixtureError(source, where, rule)


def _first_refusal(data: Any, source: str) -> FixtureError | None:
    try:
        validate_scenario(data, source)
    except FixtureError as exc:
        return exc
    except Exception:  # noqa: BLE001 - the checker failing too: name where the replay broke
        return None
    return None


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _most_relevant(errors: Iterable[ValidationError]) -> ValidationError | None:
    top = max(errors, key=relevance, default=None)
    return None if top is None else _focus(top)


def _focus(error: ValidationError) -> ValidationError:
    """Descend into a oneOf/anyOf: for an operation, into the branch its `op` names."""
    if not error.context:
        return error
    branch = _op_branch(error)
    if branch is not None:
        inside = [e for e in error.context if e.relative_schema_path[0] == branch]
        return _focus(max(inside, key=relevance)) if inside else error
    if error.validator == "oneOf" and _is_operation(error):
        return error  # an unknown op: _explain() names the ops there are
    deepest = max(error.context, key=relevance)
    return _focus(deepest)


def _is_operation(error: ValidationError) -> bool:
    instance: Any = error.instance  # the stubs type these fields `Any | Unset`
    return isinstance(instance, dict) and bool(_op_names(error.validator_value))


def _op_names(branches: Any) -> list[str]:
    if not isinstance(branches, list):
        return []
    names = [b.get("properties", {}).get("op", {}).get("const") for b in branches]
    return [n for n in names if isinstance(n, str)]


def _op_branch(error: ValidationError) -> int | None:
    if error.validator != "oneOf" or not _is_operation(error):
        return None
    names = _op_names(error.validator_value)
    instance: Any = error.instance
    op = instance.get("op")
    return names.index(op) if op in names else None


def _explain(error: ValidationError) -> tuple[str, str]:
    """The JSON path and a readable sentence for one schema error."""
    path: list[str | int] = list(error.absolute_path)
    kind: Any = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    if kind == "required":
        missing = next(f for f in value if f not in instance)
        return json_path([*path, missing]), f"required field {missing!r} is missing"
    if kind == "additionalProperties" and value is False:
        allowed = sorted(schema.get("properties", {}))
        extra = next(k for k in instance if k not in allowed)
        return json_path([*path, extra]), f"unknown field {extra!r} (allowed: {', '.join(allowed)})"
    if kind == "oneOf" and _is_operation(error):
        ops = ", ".join(_op_names(value))
        return json_path([*path, "op"]), f"unknown op {instance.get('op')!r}; expected one of: {ops}"
    if "propertyNames" in error.absolute_schema_path:
        path.append(instance)  # point at the key itself
        return json_path(path), "key " + _sentence(kind, value, instance, schema)
    return json_path(path), _sentence(kind, value, instance, schema)


def _sentence(kind: Any, value: Any, instance: Any, schema: Any) -> str:
    shown = _show(instance)
    described = schema.get("description") if isinstance(schema, dict) else None
    if kind == "type":
        wanted = " or ".join(value) if isinstance(value, list) else value
        got = _JSON_TYPES.get(type(instance), "a value")
        return f"expected {wanted}, got {got}" + ("" if isinstance(instance, (dict, list)) else f" ({shown})")
    if kind == "pattern":
        return f"{shown} is not {described}" if described else f"{shown} does not match {value}"
    if kind == "format":
        return f"{shown} is not a valid {value}"
    if kind == "enum":
        return f"{shown} is not one of: {', '.join(map(str, value))}"
    if kind == "const":
        return f"must be {value!r}"
    if kind == "minLength":
        return "must not be empty" if value == 1 else f"must be at least {value} characters"
    if kind == "maxLength":
        return f"must be at most {value} characters"
    if kind == "minimum":
        return f"{shown} is below the minimum, {value}" + (f" ({described})" if described else "")
    if kind == "maximum":
        return f"{shown} is above the maximum, {value}" + (f" ({described})" if described else "")
    if kind == "minItems":
        return f"must have at least {value} item(s)"
    if kind == "not" and isinstance(value, dict) and "required" in value:
        return f"must not have all of {', '.join(value['required'])} together"
    if kind == "propertyNames":
        return f"has a key that is not allowed: {shown}"
    return f"{shown} is invalid ({kind})"


def _show(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value)
    except ValueError:  # an integer longer than Python writes out (sys.int_info)
        return "a number too long to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_files(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    """Check several files; one {file, ok, path, rule} entry each (for the CLI and reports).

    Every file gets its own verdict: whatever goes wrong with one, the others are checked."""
    out: list[dict[str, Any]] = []
    for path in paths:
        try:
            load_scenario(path)
        except FixtureError as exc:
            out.append({"file": exc.file, "ok": False, "path": exc.json_path, "rule": exc.rule})
        except Exception as exc:  # noqa: BLE001 - a checker bug must not cost the other files
            rule = f"the checker failed on this file: {type(exc).__name__}: {exc}"
            out.append({"file": str(path), "ok": False, "path": "$", "rule": rule})
        else:
            out.append({"file": str(path), "ok": True, "path": None, "rule": None})
    return out
