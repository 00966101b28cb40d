"""Bugs module (E4). Books has no bug resource: a bug becomes a non-billable Books task of
its project named "[Bug] <title>", described with its key, status and severity, so time
logged on it lands on a task and is never invoiced by mistake. Bugs of a project that could
not be fetched are skipped (counted in the history, no error: CONTRACTS §4 has no bug code,
and the project's own error already says what to fix)."""

from __future__ import annotations

from typing import Any

from bridge.domain import SyncFailure
from enhanced.sync.common import Counts
from enhanced.sync.state import SyncState
from enhanced.sync.tasks import sync_children

BUG_PREFIX = "[Bug] "


def _label(value: Any) -> str:
    """Status and severity answer as {"type": "Open"} (or a plain string)."""
    return str(value.get("type") or value.get("name") or "") if isinstance(value, dict) else str(value or "")


def bug_payload(b: dict[str, Any]) -> dict[str, Any]:
    key = str(b.get("key") or b.get("id"))
    return {
        "task_name": f"{BUG_PREFIX}{b.get('title', '')}"[:100],
        "description": f"Bug {key}; status {_label(b.get('status'))}; severity {_label(b.get('severity'))}",
        "is_billable": False,
    }


def run(st: SyncState, counts: Counts) -> list[SyncFailure]:
    return sync_children(
        st, counts, kind="bug", items=st.bugs_of,
        name=lambda b: str(b.get("title", "")), payload=bug_payload,
        on_unfetched=lambda b, p, code: None,
    )
