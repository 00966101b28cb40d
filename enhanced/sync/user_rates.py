"""User rates module (E4): a project member's hourly rate (the project user's `rate`, else
the portal user's) is set on their membership of the Books project. Members not in Books
(and not yet arrived through timesheets) have no membership to carry a rate: skipped."""

from __future__ import annotations

from typing import Any

from bridge.domain import SyncFailure
from bridge.store.repo import record_fingerprint
from enhanced.sync.common import Counts
from enhanced.sync.deps import upstream
from enhanced.sync.state import SyncState


def rate_of(member: dict[str, Any], portal_user: dict[str, Any] | None) -> str | None:
    for source in (member, portal_user or {}):
        if source.get("rate") not in (None, ""):
            return str(source["rate"])
    return None


def run(st: SyncState, counts: Counts) -> list[SyncFailure]:
    projects = upstream(st, "projects", "project")
    members = st.writer.mapped("project_user")
    rates = st.writer.mapped("user_rate")
    portal_users = st.portal_users()
    upstream_projects = st.upstream_projects()
    for n, p in enumerate(upstream_projects, start=1):
        pid = str(p["id"])
        books_pid = projects.books_id(pid)
        if books_pid is None:
            continue
        for u in st.project_users(pid):
            uid = str(u["id"])
            rate = rate_of(u, portal_users.get(uid))
            if rate is None:
                continue
            counts.fetched += 1
            member = members.get(f"{pid}:{uid}")
            if member is None:
                counts.skipped += 1
                continue
            key = f"{pid}:{uid}"
            fp = record_fingerprint({"project": books_pid, "user": member.books_id, "rate": rate})
            current = rates.get(key)
            if current is not None and current.fingerprint == fp:
                counts.skipped += 1
                continue
            # re-assigning a member with a rate is how Books sets it (idempotent on user_id)
            st.writer.add_project_user(books_pid, {"users": [{"user_id": member.books_id, "rate": rate}]})
            st.writer.put("user_rate", key, member.books_id, fp)
            counts.updated += 1 if current else 0
            counts.created += 0 if current else 1
        st.progress("user_rates", n, len(upstream_projects))
    return []
