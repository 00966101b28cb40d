"""Hypothesis strategies drawn from the vendor's (corrected) request schemas.

Small on purpose: the Books schemas use objects, arrays, strings, numbers, integers and
booleans, with `required` and a few enums. Field names steer strings towards what the
sandbox can accept (ids it holds, ISO dates, "HH:MM", documented choices) so that valid
requests get past the first check; `mutated()` then breaks them on purpose.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

Ids = Mapping[str, Sequence[str]]

#: documented choices (SERVICES.md) for fields the schemas type as plain strings
CHOICES: dict[str, tuple[str, ...]] = {
    "billing_type": ("fixed_cost_for_project", "based_on_project_hours",
                     "based_on_staff_hours", "based_on_task_hours"),
    "contact_type": ("customer", "vendor"),
    "user_role": ("staff", "admin", "timesheetstaff"),
    "filter_by": ("Status.All", "Status.Unbilled", "Status.Invoiced", "Status.Active"),
    "currency_code": ("USD", "EUR", "GBP", "XXX"),
}
MAX_DEPTH = 3
JUNK: tuple[Any, ...] = (None, [], {}, "", "x", -1, 0, True, "9" * 40, 1e308, {"a": 1}, [1, "b"])

_iso_day = st.dates().map(lambda d: d.isoformat())
_hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 30), st.integers(0, 59))
_digits = st.from_regex(r"\A[1-9][0-9]{5,17}\Z")


def _id_pool(name: str, ids: Ids) -> st.SearchStrategy[str]:
    base = name[:-1] if name.endswith("_ids") else name
    known = list(ids.get(base) or ids.get("*") or [])
    if not known:
        return _digits
    held = st.sampled_from(known)
    return st.one_of(held, held, held, _digits)  # mostly ids the sandbox holds


def string(name: str, schema: Mapping[str, Any], ids: Ids) -> st.SearchStrategy[Any]:
    if schema.get("enum"):
        return st.sampled_from(list(schema["enum"]))
    if name.endswith("_id"):
        return _id_pool(name, ids)
    if name in CHOICES:
        return st.sampled_from(CHOICES[name]) | st.text(max_size=8)
    if schema.get("format") == "date" or name == "date" or name.endswith("_date"):
        return _iso_day | st.sampled_from(["2026-02-30", "01-05-2026", "today"])
    if name in ("log_time", "begin_time", "end_time") or name.endswith("_hours"):
        return _hhmm | st.sampled_from(["25:00", "1:5", "-01:00", "abc"])
    if name == "email":
        return st.from_regex(r"\A[a-z]{1,8}@[a-z]{1,8}\.example\Z") | st.text(max_size=8)
    return st.text(max_size=16)


#: the optional fields the toolkit itself sends: a "plain" body keeps to these, so that
#: valid requests are often accepted (a body of every optional field rarely is)
PLAIN = frozenset({"name", "description", "rate", "quantity", "project_id", "time_entry_ids",
                   "log_time", "amount", "is_billable", "notes", "currency_code", "users",
                   "user_id", "reference_number", "date", "line_items", "email"})


def of(schema: Any, ids: Ids, name: str = "", depth: int = 0,
       plain: bool = False) -> st.SearchStrategy[Any]:
    """Values valid for `schema` (resolved, corrected), leaning on realistic field values;
    `plain`: only required fields and the ones in PLAIN."""
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return st.just({}) if depth else st.nothing()
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind == "object":
        props: Mapping[str, Any] = schema.get("properties") or {}
        required = [k for k in schema.get("required", []) if k in props]
        return st.fixed_dictionaries(
            {k: of(props[k], ids, k, depth + 1, plain) for k in required},
            optional={k: of(v, ids, k, depth + 1, plain) for k, v in props.items()
                      if k not in required and (not plain or k in PLAIN)},
        )
    if kind == "array":
        item = schema.get("items") or {}
        if name.endswith("_ids"):
            return st.lists(_id_pool(name, ids), max_size=3)
        return st.lists(of(item, ids, name, depth + 1, plain),
                        min_size=1 if name == "line_items" else 0, max_size=2)
    if kind == "string":
        return string(name, schema, ids)
    if kind == "integer":
        return st.integers(-3, 10**6)
    if kind == "number":
        return st.integers(-3, 10**5) | st.floats(-1e6, 1e6, allow_nan=False,
                                                  allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    return st.just(None)


def mutated(valid: st.SearchStrategy[Any], schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A valid body broken once: a required field dropped, or a field given a wrong value."""
    required = list(schema.get("required", []))
    props = list(schema.get("properties") or {})

    @st.composite
    def broken(draw: st.DrawFn) -> Any:
        body = dict(draw(valid))
        if required and draw(st.booleans()):
            body.pop(draw(st.sampled_from(required)), None)
        elif props:
            body[draw(st.sampled_from(props))] = draw(st.sampled_from(JUNK))
        return body

    return broken()


#: bodies that are not a JSON object at all
RAW_BODIES = (b"", b"[]", b"1", b'"x"', b"{", b"null", b"\xff\xfe", b'{"a":')


def encode(body: Any) -> bytes:
    return json.dumps(body, allow_nan=False).encode()


def path_value(name: str, ids: Ids) -> st.SearchStrategy[str]:
    """A path parameter: an id the sandbox holds, an unknown number, or junk."""
    held = _id_pool(name, ids)
    return st.one_of(held, held, st.sampled_from(["0", "abc", "-1", "1e5", "%20",
                                                  "timeentries"]))


def fill(template: str, values: Mapping[str, str]) -> str:
    return re.sub(r"\{([^}/]+)\}", lambda m: values[m.group(1)], template)
