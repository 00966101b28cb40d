"""Tasks module (E4, E13): a project's tasks become tasks of its Books project. A task whose
project could not be fetched fails naming the project's error; it follows once that is fixed."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from bridge.domain import SyncFailure
from enhanced.rules import upstream_failure
from enhanced.sync.common import Counts, Finder, apply
from enhanced.sync.deps import Upstream, upstream
from enhanced.sync.state import SyncState


def task_payload(t: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "task_name": str(t.get("name", "")),
        "description": str(t.get("description") or ""),
        "is_billable": t.get("billable", True) not in (False, "false", 0),
    }
    if t.get("rate") not in (None, ""):
        payload["rate"] = Decimal(str(t["rate"]))  # Books documents a number
    return payload


def project_label(p: dict[str, Any]) -> str:
    return f"project {p['id']} ({p.get('name', '')})"


def run(st: SyncState, counts: Counts) -> list[SyncFailure]:
    return sync_children(
        st, counts, kind="task", items=st.tasks_of,
        name=lambda t: str(t.get("name", "")), payload=task_payload,
        on_unfetched=lambda t, p, code: upstream_failure(
            "task_project_not_fetched", str(t["id"]), str(t.get("name", "")), project_label(p), code),
    )


def _task_name(record: dict[str, Any]) -> Any:
    return record.get("task_name")


def _update_task(st: SyncState, books_pid: str, body: dict[str, Any], books_id: str) -> None:
    st.writer.update_task(books_pid, books_id, body)


def sync_children(st: SyncState, counts: Counts, *, kind: str, items: Any, name: Any, payload: Any,
                  on_unfetched: Any) -> list[SyncFailure]:
    """Tasks and bugs alike: per project, map each child to a Books task of the project."""
    projects: Upstream = upstream(st, "projects", "project")
    mapped = st.writer.mapped(kind)
    # one set for all projects' finders, not one per project: built per project it cost
    # projects x tasks (20 million ids for a portal of 1,000 projects and 20,000 tasks); a
    # Books task id claimed under one project is never listed under another
    claimed = {m.books_id for m in mapped.values()}
    failures: list[SyncFailure] = []
    upstream_projects = st.upstream_projects()
    for n, p in enumerate(upstream_projects, start=1):
        pid = str(p["id"])
        children = list(items(pid))
        books_pid = projects.books_id(pid)
        if books_pid is None:
            for c in children:
                counts.fetched += 1
                f = on_unfetched(c, p, projects.failed.get(pid))
                if f is None:
                    counts.skipped += 1
                else:
                    failures.append(f)
            continue
        finder = Finder(st.writer.under(books_pid, partial(st.books.list_tasks, books_pid)), _task_name, "task_id",
                        claimed)
        for c in children:
            counts.fetched += 1
            body = payload(c)
            apply(
                st, counts, kind=kind, projects_id=str(c["id"]), payload={**body, "project": books_pid},
                mapped=mapped,
                create=partial(st.writer.create_task, books_pid, body),
                update=partial(_update_task, st, books_pid, body),
                id_field="task_id", finder=finder, key=body["task_name"],
            )
        st.progress(kind + "s", n, len(upstream_projects))
    return failures
