"""Users module (E4): members of each fetched project who are Books users (same email)
become members of its Books project. Members who are not Books users are skipped here and
arrive with their timesheets (see people.py)."""

from __future__ import annotations

from bridge.domain import SyncFailure
from enhanced.sync.common import Counts
from enhanced.sync.deps import upstream
from enhanced.sync.people import People
from enhanced.sync.state import SyncState


def run(st: SyncState, counts: Counts) -> list[SyncFailure]:
    projects = upstream(st, "projects", "project")
    people = People(st)
    upstream_projects = st.upstream_projects()
    for n, p in enumerate(upstream_projects, start=1):
        pid = str(p["id"])
        books_pid = projects.books_id(pid)
        if books_pid is None:
            continue
        for u in st.project_users(pid):
            counts.fetched += 1
            books_uid = people.existing(u)
            if books_uid is None:
                counts.skipped += 1
                continue
            if people.member(pid, books_pid, str(u["id"]), books_uid):
                counts.created += 1
            else:
                counts.skipped += 1
        st.progress("users", n, len(upstream_projects))
    return []
