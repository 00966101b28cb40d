"""The API calls a sync would make, for `sync --plan`: a dry walk of the same decisions the
modules take (which projects fail E12, which logs fail E13, who is new to Books), counting
each service call instead of making it. Reads the upstream lists once; writes nothing.

Records already mapped are counted as no write: a sync with no upstream change writes
nothing (E14), and an upstream edit adds one update per edited record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bridge.budget import CallBudget, pages
from bridge.domain import Module
from bridge.eligibility import TimeRule, approval_required
from enhanced import errors
from enhanced.preferences import Prefs
from enhanced.rules import client_currency
from enhanced.sync import maps
from enhanced.sync.projects import SKIPPED_STATUSES, primary_client
from enhanced.sync.state import SyncState


def _projects_pages(records: int) -> int:
    return pages(records)  # v3 says has_next_page on the last page: no empty page after it


def _timelog_pages(logs: list[dict[str, Any]], types: tuple[str, ...]) -> int:
    """v3 lists one module type per call (task, issue, general), each paged on its own."""
    counts = {{"issue": "bug"}.get(t, t): 0 for t in types}
    for log in logs:
        component = str(log.get("component") or "general")
        counts[component] = counts.get(component, 0) + 1
    return sum(pages(n) for n in counts.values())


@dataclass
class _People:
    """Who is a Books user: one `GET /users` per module that meets an unmapped person."""

    st: SyncState
    budget: CallBudget
    mapped: set[str]
    members: set[str]
    listed: bool = False
    by_email: set[str] = field(default_factory=set)

    def _books_emails(self) -> set[str]:
        if not self.listed:
            users = list(self.st.books.list_users())
            self.by_email = {str(u.get("email", "")).lower() for u in users}
            self.budget.add("books", "list users", pages(len(users)))
            self.listed = True
        return self.by_email

    def existing(self, user: dict[str, Any]) -> bool:
        uid = str(user["id"])
        if uid in self.mapped:
            return True
        if str(user.get("email", "")).lower() in self._books_emails():
            self.mapped.add(uid)
            return True
        return False

    def ensure(self, user: dict[str, Any]) -> None:
        if not self.existing(user):
            self.budget.add("books", "create timesheet staff", 2)  # create, then mark inactive
            self.by_email.add(str(user.get("email", "")).lower())
            self.mapped.add(str(user["id"]))

    def member(self, key: str) -> None:
        if key not in self.members:
            self.budget.add("books", "add project users", 1)
            self.members.add(key)


def sync_budget(st: SyncState, prefs: Prefs, listed: dict[str, list[str]] | None = None) -> CallBudget:
    """The calls of the next sync of `st`'s connection (the first one, or an incremental one).
    `listed` collects the upstream ids read on the way (kind -> ids), so the plan reads once."""
    b = CallBudget()
    listed = listed if listed is not None else {}
    store, cid = st.ctx.store, st.cid
    mapped = {kind: maps.load(store, cid, kind) for kind in (
        "customer", "project", "user", "project_user", "task", "bug", "general_task", "time_entry", "user_rate")}
    with store.session() as s:
        open_failed = {m: set(errors.open_codes(s, cid, m)) for m in ("projects", "tasks", "bugs")}
    upstream = st.upstream_projects()
    b.add("projects", "list projects", _projects_pages(len(upstream)))
    # projects the sync ends up with a Books project for (mapped and not failing)
    fetched = {p for p in mapped["project"] if p not in open_failed["projects"]}
    if prefs.wants(Module.PROJECTS):
        fetched = _projects(st, b, upstream, mapped)
    users: set[str] = set(mapped["user"])
    members: set[str] = set(mapped["project_user"])
    if prefs.wants(Module.USERS):
        people = _People(st, b, users, members)
        for p in upstream:
            pid = str(p["id"])
            if pid in fetched:
                for u in _project_users(st, b, pid):
                    if people.existing(u):
                        people.member(f"{pid}:{u['id']}")
    children: dict[str, set[str]] = {}
    for module, kind, lister in ((Module.TASKS, "task", st.projects.list_tasks),
                                 (Module.BUGS, "bug", st.projects.list_bugs)):
        if not prefs.wants(module):
            children[kind] = set(mapped[kind]) - open_failed[kind + "s"]
            continue
        children[kind] = set()
        for p in upstream:
            pid = str(p["id"])
            items = list(lister(pid))
            listed.setdefault(kind, []).extend(str(c["id"]) for c in items)
            b.add("projects", f"list {kind}s", _projects_pages(len(items)))
            if pid in fetched:
                children[kind].update(str(c["id"]) for c in items)
                b.add("books", f"create {kind}s", sum(str(c["id"]) not in mapped[kind] for c in items))
    if prefs.wants(Module.TIMESHEETS):
        _timesheets(st, b, prefs, upstream, fetched, children, mapped, users, members, listed)
    if prefs.wants(Module.USER_RATES):
        portal_users = _portal_users(st, b)
        for p in upstream:
            pid = str(p["id"])
            if pid not in fetched:
                continue
            for u in _project_users(st, b, pid):
                key = f"{pid}:{u['id']}"
                rate = u.get("rate") or (portal_users.get(str(u["id"])) or {}).get("rate")
                if rate not in (None, "") and key in members and key not in mapped["user_rate"]:
                    b.add("books", "set user rates", 1)
    return b


def _projects(st: SyncState, b: CallBudget, upstream: list[dict[str, Any]],
              mapped: dict[str, dict[str, maps.Mapped]]) -> set[str]:
    fetched: set[str] = set()
    contacts: dict[str, str] | None = None
    me = False
    for p in upstream:
        if p.get("status") in SKIPPED_STATUSES:
            continue
        pid = str(p["id"])
        clients = st.projects.project_clients(pid)
        b.add("projects", "project clients", _projects_pages(len(clients)))
        primary = primary_client(clients)
        if primary is None:
            continue
        if str(primary["id"]) not in mapped["customer"]:
            if contacts is None:
                listed = list(st.books.list_contacts())
                b.add("books", "list contacts", pages(len(listed)))
                contacts = {str(c.get("contact_name")): str(c.get("currency_code") or "") for c in listed}
            name, currency = str(primary.get("name", "")), client_currency(primary)
            if name in contacts and contacts[name] != currency:
                continue  # E12: currency mismatch
            if name not in contacts:
                b.add("books", "create contacts", 1)
                contacts[name] = currency
        if not me:
            b.add("books", "current user", 1)  # the project's owner in Books, asked once
            me = True
        if pid not in mapped["project"]:
            b.add("books", "create projects", 1)
        fetched.add(pid)
    return fetched


def _project_users(st: SyncState, b: CallBudget, pid: str) -> list[dict[str, Any]]:
    if pid not in st._project_users:  # the sync reads each project's users once per run
        b.add("projects", "project users", _projects_pages(len(st.project_users(pid))))
    return st.project_users(pid)


def _portal_users(st: SyncState, b: CallBudget) -> dict[str, dict[str, Any]]:
    if st._portal_users is None:
        b.add("projects", "portal users", _projects_pages(len(st.portal_users())))
    return st.portal_users()


def _timesheets(st: SyncState, b: CallBudget, prefs: Prefs, upstream: list[dict[str, Any]], fetched: set[str],
                children: dict[str, set[str]], mapped: dict[str, dict[str, maps.Mapped]],
                users: set[str], members: set[str], listed: dict[str, list[str]]) -> None:
    from enhanced.sync.timesheets import _ref_id, log_types

    portals = list(st.projects.list_portals())
    b.add("projects", "portals", _projects_pages(len(portals)))
    portal_users = _portal_users(st, b)
    rule = TimeRule(approval_required(portals, st.conn.portal_id), st.today, frozenset(portal_users))
    people = _People(st, b, users, members)
    generals = set(mapped["general_task"])
    for p in upstream:
        pid = str(p["id"])
        types = log_types(prefs.general_timesheets)
        logs = list(st.projects.list_timelogs(pid, types=types))
        listed.setdefault("time_entry", []).extend(str(log["id"]) for log in logs)
        b.add("projects", "list timelogs", _timelog_pages(logs, types))
        for log in logs:
            component = str(log.get("component") or ("task" if log.get("task") else "bug" if log.get("bug") else "general"))
            if component == "general" and not prefs.general_timesheets:
                continue
            if pid not in fetched or (component in ("task", "bug")
                                      and _ref_id(log, component) not in children[component]):
                continue
            if rule.refusal(log):
                continue
            if component == "general" and pid not in generals:
                b.add("books", "create general tasks", 1)
                generals.add(pid)
            owner = portal_users[str(log["owner_id"])]
            people.ensure(owner)
            people.member(f"{pid}:{owner['id']}")
            if str(log["id"]) not in mapped["time_entry"]:
                b.add("books", "create time entries", 1)
