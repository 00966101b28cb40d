"""What one sync carries from module to module: the connection, the clients, today's date,
the preferences read at the start, the writer every write goes through (a run's or a
plan's, see writer.py), the failures of the modules run so far, and upstream listings
fetched once and reused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bridge.context import Context
from bridge.progress import Progress, no_progress
from bridge.store.tables import ConnectionRow
from enhanced import sync_errors
from enhanced.preferences import Prefs
from enhanced.sync.writer import BooksReads, Writer

if TYPE_CHECKING:
    from bridge.clients.projects import ProjectsClient



@dataclass
class SyncState:
    ctx: Context
    conn: ConnectionRow
    prefs: Prefs
    projects: ProjectsClient
    today: dt.date
    writer: Writer
    #: (module, projects done, projects in all): see bridge.progress
    progress: Progress = no_progress
    #: modules whose last run did not complete: creates first look for a record made then
    reconcile: set[str] = field(default_factory=set)
    #: the modules run so far in this sync: record id -> reason code of each failure
    failed: dict[str, dict[str, str]] = field(default_factory=dict)
    #: when set (a plan), the upstream ids read by kind ("bug", "time_entry"), so a plan
    #: counts the records without reading them twice
    seen: dict[str, list[str]] | None = None
    _projects_list: list[dict[str, Any]] | None = None
    _portal_users: dict[str, dict[str, Any]] | None = None
    _books_user: dict[str, Any] | None = None
    _books_users: dict[str, dict[str, Any]] | None = None
    _project_users: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def books(self) -> BooksReads:
        """Books, to read: every write goes through `writer`."""
        return self.ctx.books

    @property
    def cid(self) -> int:
        return self.conn.id

    def upstream_projects(self) -> list[dict[str, Any]]:
        if self._projects_list is None:
            self._projects_list = sorted(self.projects.list_projects(), key=lambda p: str(p["id"]))
        return self._projects_list

    def portal_users(self) -> dict[str, dict[str, Any]]:
        if self._portal_users is None:
            self._portal_users = {str(u["id"]): u for u in self.projects.list_users()}
        return self._portal_users

    def project_users(self, project_id: str) -> list[dict[str, Any]]:
        if project_id not in self._project_users:
            self._project_users[project_id] = list(self.projects.project_users(project_id))
        return self._project_users[project_id]

    def tasks_of(self, project_id: str) -> list[dict[str, Any]]:
        """A project's upstream tasks, read once per sync (the tasks and timesheets modules)."""
        if project_id not in self._tasks:
            self._tasks[project_id] = list(self.projects.list_tasks(project_id))
        return self._tasks[project_id]

    def bugs_of(self, project_id: str) -> Iterator[dict[str, Any]]:
        return self._seen("bug", self.projects.list_bugs(project_id))

    def timelogs_of(self, project_id: str, types: Sequence[str]) -> Iterator[dict[str, Any]]:
        """A project's logs, streamed (a portal may hold 200,000 of them)."""
        return self._seen("time_entry", self.projects.list_timelogs(project_id, types=types))

    def _seen(self, kind: str, records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        if self.seen is None:
            return records  # a run: no generator around each of 200,000 logs
        return self._noted(self.seen.setdefault(kind, []), records)

    @staticmethod
    def _noted(seen: list[str], records: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for r in records:
            seen.append(str(r["id"]))
            yield r

    def open_codes(self, module: str) -> dict[str, str]:
        """record id -> reason code of `module`'s open errors: this sync's, once it ran the
        module (a plan stores none), else the store's."""
        if module in self.failed:
            return self.failed[module]
        with self.ctx.store.session() as s:
            return sync_errors.open_codes(s, self.cid, module)

    def books_users(self) -> dict[str, dict[str, Any]]:
        """Books' users by lower-cased email, listed once per sync; the users a sync makes are
        added as it makes them (people.py)."""
        if self._books_users is None:
            self._books_users = {str(u.get("email", "")).lower(): u for u in self.books.list_users()}
        return self._books_users

    def books_me(self) -> dict[str, Any]:
        """The Books user the sync acts as. Books marks it in the users list (`is_current_user`,
        documented in list-users-response), which a first sync reads anyway: no call of its
        own then; GET /users/me only if the list marks no one."""
        if self._books_user is None:
            me = [u for u in self.books_users().values() if u.get("is_current_user") in (True, "true")]
            self._books_user = me[0] if len(me) == 1 else self.books.current_user()
        return self._books_user
