"""Projects time logs arrive grouped by date and by component; callers want one flat list.

    {"timelogs": {"date": [{"date_long", "total_hours",
                            "tasklogs": [...], "buglogs": [...], "generallogs": [...]}]}}

Older SDKs read `task_logs`/`bug_logs`/`general_logs`: both spellings are accepted. A
create answers without the date level (`{"timelogs": {"tasklogs": [...]}}`): accepted too.
"""

from __future__ import annotations

from typing import Any

COMPONENTS: dict[str, tuple[str, ...]] = {
    "task": ("tasklogs", "task_logs"),
    "bug": ("buglogs", "bug_logs"),
    "general": ("generallogs", "general_logs"),
}


def flatten_timelogs(body: dict[str, Any]) -> list[dict[str, Any]]:
    """One dict per log, each with `component` (task, bug or general)."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for group in _groups(body.get("timelogs")):
        for component, spellings in COMPONENTS.items():
            for key in spellings:
                for log in group.get(key) or []:
                    if not isinstance(log, dict):
                        continue
                    ident = (component, str(log.get("id", id(log))))
                    if ident in seen:  # the same log under both spellings
                        continue
                    seen.add(ident)
                    record = {**log, "component": component}
                    if "date_long" in group:
                        record.setdefault("log_date_long", group["date_long"])
                    out.append(record)
    return out


def _groups(timelogs: Any) -> list[dict[str, Any]]:
    if isinstance(timelogs, dict):
        dated = timelogs.get("date")
        groups = dated if isinstance(dated, list) else [timelogs]
    elif isinstance(timelogs, list):
        groups = timelogs
    else:
        groups = []
    return [g for g in groups if isinstance(g, dict)]
