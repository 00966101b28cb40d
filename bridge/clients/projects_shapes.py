"""Projects v3 answers -> the records legacy/, enhanced/ and bridge/billing/lines.py read.

The modes were written against the old REST shapes (`task: {id}`, `bug`, `component`,
`log_date` MM-DD-YYYY, `total_minutes`, `owner_id`, task `completed`, user `active` and
`role` as a string...). v3 answers differently (PROJECTS-V3.md §4): issues for bugs,
`module: {id, type}` on logs, `owner: {zpuid, name}`, `status` objects, ISO dates, logs
grouped as `time_logs[].log_details[]`. This module is the one place that maps one to
the other, so the modes barely change. It runs on every record a sync reads (200,000
logs): plain dict work, no schema validation, no datetime parsing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

Record = dict[str, Any]

#: v3 module type of a log -> the component the modes know
COMPONENT_OF = {"task": "task", "issue": "bug", "bug": "bug", "general": "general"}


def _ref(value: Any) -> Record:
    return value if isinstance(value, dict) else {}


def _zpuid(value: Any) -> str:
    ref = _ref(value)
    return str(ref.get("zpuid") or ref.get("id") or "")


@functools.lru_cache(maxsize=4096)  # a portal's logs share a few hundred days
def _mdy(iso: str) -> str:
    """yyyy-mm-dd -> MM-DD-YYYY (what the modes print as a log's date)."""
    if len(iso) >= 10 and iso[4] == "-" and iso[7] == "-":
        return f"{iso[5:7]}-{iso[8:10]}-{iso[0:4]}"
    return iso


def minutes_of(hours: Any) -> int:
    """ "HH:MM" (maybe signed) or a decimal "1.50" hours -> minutes."""
    if type(hours) is str:
        return _text_minutes(hours)
    return _minutes(str(hours or "0"))


@functools.lru_cache(maxsize=4096)  # and a few dozen durations
def _text_minutes(hours: str) -> int:
    return _minutes(hours or "0")


def _minutes(text: str) -> int:
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("-+")
    if ":" in text:
        h, _, m = text.partition(":")
        return sign * (int(h or 0) * 60 + int(m or 0))
    return sign * round(float(text or 0) * 60)


def portal(p: Mapping[str, Any]) -> Record:
    out = dict(p)
    out["id"] = str(p.get("id") or p.get("id_string") or "")
    role = p.get("role")
    out["role"] = str(_ref(role).get("name") or "") if isinstance(role, dict) else str(role or "")
    out.setdefault("default", bool(p.get("is_default", False)))
    return out


def user(u: Mapping[str, Any]) -> Record:
    out = dict(u)
    out["id"] = str(u.get("zpuid") or u.get("id") or "")
    role = u.get("role")
    out["role"] = str(_ref(role).get("name") or "") if isinstance(role, dict) else str(role or "")
    if "is_active" in u:
        out["active"] = bool(u["is_active"])
    return out


def project(p: Mapping[str, Any]) -> Record:
    out = dict(p)
    out["id"] = str(p.get("id") or "")
    kind = p.get("project_type")
    if kind:
        out["status"] = str(kind)
    owner = _ref(p.get("owner"))
    if owner:
        out["owner_id"] = _zpuid(owner)
        out["owner_name"] = str(owner.get("name") or "")
    return out


def task(t: Mapping[str, Any]) -> Record:
    out = dict(t)
    out["id"] = str(t.get("id") or "")
    status = _ref(t.get("status"))
    if "is_completed" in t:
        out["completed"] = bool(t["is_completed"])
    elif status:
        out["completed"] = bool(status.get("is_closed_type"))
    owners = _ref(t.get("owners_and_work")).get("owners")
    if isinstance(owners, list):
        out["details"] = {"owners": [{"id": _zpuid(o), "name": _ref(o).get("name", "")}
                                     for o in owners]}
    return out


def issue(i: Mapping[str, Any]) -> Record:
    """An issue as the modes know a bug: `title`, `closed`, `status`/`severity` types."""
    out = dict(i)
    out["id"] = str(i.get("id") or "")
    out["title"] = str(i.get("title") or i.get("name") or "")
    status = _ref(i.get("status"))
    out["status"] = {"type": str(status.get("name") or status.get("type") or "")}
    severity = _ref(i.get("severity"))
    out["severity"] = {"type": str(severity.get("name") or severity.get("type") or "")}
    out["closed"] = bool(i.get("is_closed", status.get("is_closed_type", False)))
    return out


def timelog(log: Mapping[str, Any], day: str = "") -> Record:
    """One v3 log (`module`, `owner`, `date`, `hours`) as a flattened REST log. (The small
    helpers are written out here: this runs once per log a sync reads.)"""
    get = log.get
    module = get("module")
    if not isinstance(module, dict):
        module = {}
    component = COMPONENT_OF.get(str(module.get("type") or "general"), "general")
    owner = get("owner")
    if not isinstance(owner, dict):
        owner = {}
    raw_hours = get("hours")
    total = minutes_of(raw_hours)
    hours = int(total / 60)  # toward zero: -90 is -1 h -30 min, as REST answered
    out: Record = {
        "id": str(get("id") or ""),
        "owner_id": str(owner.get("zpuid") or owner.get("id") or "") or str(get("owner_id") or ""),
        "owner_name": str(owner.get("name") or get("owner_name") or ""),
        "hours": hours, "minutes": total - hours * 60, "total_minutes": total,
        "hours_display": str(raw_hours or ""),
        "bill_status": str(get("bill_status") or ""),
        "log_date": _mdy(str(get("date") or day)),
        "notes": str(get("notes") or ""),
        "approval_status": str(get("approval_status") or ""),
        "component": component,
    }
    for extra in ("invoice_id", "project"):  # sandbox-only `invoice_id`; project ref
        if extra in log:
            out[extra] = log[extra]
    if component == "task":
        out["task"] = {"id": str(module.get("id") or ""), "name": str(module.get("name") or "")}
    elif component == "bug":
        out["bug"] = {"id": str(module.get("id") or ""), "title": str(module.get("name") or "")}
    return out


def timelogs(body: Mapping[str, Any]) -> list[Record]:
    """Every log of an answer `{"time_logs": [{"date", "log_details": [...]}]}`; a bare
    `log_details` list or a list of logs is accepted too."""
    groups = body.get("time_logs")
    if groups is None:
        groups = [body] if "log_details" in body else []
    out: list[Record] = []
    for group in groups if isinstance(groups, list) else []:
        if not isinstance(group, dict):
            continue
        details = group.get("log_details")
        if isinstance(details, list):
            day = str(group.get("date") or "")
            out.extend(timelog(d, day) for d in details if isinstance(d, dict))
        elif "module" in group or "hours" in group:  # a bare log
            out.append(timelog(group))
    return out


def one(body: Mapping[str, Any], singular: str, plural: str) -> Record | None:
    """One record, answered as `{singular: {...}}`, `{plural: [{...}]}` or the bare object."""
    found = body.get(singular)
    if isinstance(found, dict):
        return found
    many = body.get(plural)
    if isinstance(many, list) and many and isinstance(many[0], dict):
        return many[0]
    if "id" in body:
        return dict(body)
    return None
