"""What one sync carries from module to module: the connection, the clients, today's date,
the preferences read at the start, and upstream listings fetched once and reused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bridge.context import Context
from bridge.progress import Progress, no_progress
from bridge.store.tables import ConnectionRow
from enhanced.preferences import Prefs
from enhanced.sync.maps import MapWriter

if TYPE_CHECKING:
    from bridge.clients.books import BooksClient
    from bridge.clients.projects import ProjectsClient



@dataclass
class SyncState:
    ctx: Context
    conn: ConnectionRow
    prefs: Prefs
    projects: ProjectsClient
    today: dt.date
    writer: MapWriter
    #: (module, projects done, projects in all): see bridge.progress
    progress: Progress = no_progress
    #: modules whose last run did not complete: creates first look for a record made then
    reconcile: set[str] = field(default_factory=set)
    _projects_list: list[dict[str, Any]] | None = None
    _portal_users: dict[str, dict[str, Any]] | None = None
    _books_user: dict[str, Any] | None = None
    _project_users: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def books(self) -> BooksClient:
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

    def books_me(self) -> dict[str, Any]:
        if self._books_user is None:
            self._books_user = self.books.current_user()
        return self._books_user
