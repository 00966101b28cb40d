"""The project service (Projects REST API): one method per operation the modes use.

Paths are `/restapi/portal/{portal_id}/...` below the service root (a base URL that already
ends in `/restapi` works too). Lists page with `index`/`range` until a 204 or a short page;
creates and updates are form-encoded POSTs (an update is a POST to the item's URL, and is
idempotent); dates go out as MM-DD-YYYY and hours as "HH:MM".

Creates that may be resent after an ambiguous failure: a time log whose caller passes a
`marker` (written into its notes), and invoices/expenses carrying `books_invoice_id` /
`books_expense_id` (looked up by it). Other creates are not resent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bridge.clients._encode import hhmm, mdy, projects_form
from bridge.clients._http import Guard, ServiceHttp
from bridge.clients._timelogs import COMPONENTS, flatten_timelogs
from bridge.errors import ConfigError, NotFound, ServiceError

Record = dict[str, Any]


class ProjectsClient:
    def __init__(self, http: ServiceHttp, portal_id: str | None) -> None:
        self.http = http
        self.portal_id = portal_id
        # The documented base already ends in /restapi; a bare service root does not.
        self._root = "" if http.base_url.endswith("/restapi") else "/restapi"

    def with_portal(self, portal_id: str) -> ProjectsClient:
        """The same connection, working in another portal."""
        return ProjectsClient(self.http, portal_id)

    # -- portal level -----------------------------------------------------------------------
    def list_portals(self) -> Iterator[Record]:
        """The caller's portals, each with the caller's `role` in it."""
        return self._list(f"{self._root}/portals/", "portals")

    def list_users(self) -> Iterator[Record]:
        return self._list(self._portal("/users/"), "users")

    def list_clients(self) -> Iterator[Record]:
        return self._list(self._portal("/clients/"), "clients")

    # -- projects -------------------------------------------------------------------------------
    def list_projects(self, **filters: Any) -> Iterator[Record]:
        """Filters: `status`, `last_modified_time` (a datetime is sent as epoch ms)..."""
        return self._list(self._portal("/projects/"), "projects", filters)

    def get_project(self, project_id: str) -> Record:
        path = self._project(project_id, "")
        return _first(self.http.request("GET", path), "project", "projects", f"GET {path}")

    def delete_project(self, project_id: str) -> None:
        self.http.request("DELETE", self._project(project_id, ""))

    def project_clients(self, project_id: str) -> list[Record]:
        """The project's clients, the primary one first."""
        return list(self._list(self._project(project_id, "clients/"), "clients"))

    def project_users(self, project_id: str) -> list[Record]:
        return list(self._list(self._project(project_id, "users/"), "users"))

    # -- tasks and bugs -------------------------------------------------------------------------
    def list_tasks(self, project_id: str, status: str = "all") -> Iterator[Record]:
        return self._list(self._project(project_id, "tasks/"), "tasks", {"status": status})

    def get_task(self, project_id: str, task_id: str) -> Record:
        path = self._project(project_id, f"tasks/{task_id}/")
        return _first(self.http.request("GET", path), "task", "tasks", f"GET {path}")

    def complete_task(self, project_id: str, task_id: str) -> Record:
        path = self._project(project_id, f"tasks/{task_id}/")
        body = self._post(path, {"completed": True}, idempotent=True)
        return _first(body, "task", "tasks", f"POST {path}")

    def list_bugs(self, project_id: str) -> Iterator[Record]:
        return self._list(self._project(project_id, "bugs/"), "bugs")

    # -- time logs ------------------------------------------------------------------------------
    def list_timelogs(self, project_id: str, **params: Any) -> Iterator[Record]:
        """Every log of the project, flattened: one dict per log with `component`
        (task | bug | general). `params` pass through (`bill_status`, `component_type`,
        `view_type`, `date` as a datetime.date or MM-DD-YYYY, `users_list`...)."""
        return self.http.pages_index(
            self._project(project_id, "logs/"), flatten_timelogs, projects_form(params)
        )

    def add_timelog(
        self,
        project_id: str,
        *,
        task_id: str | None = None,
        date: dt.date | str,
        minutes: int,
        billable: bool,
        user_id: str,
        notes: str = "",
        marker: str | None = None,
    ) -> Record:
        """Log time on a task, or a general log without `task_id`. If `marker` is given it
        must be in `notes`; after an ambiguous failure the log is looked up by it."""
        path = self._project(project_id, f"tasks/{task_id}/logs/" if task_id else "logs/")
        form = {
            "date": mdy(date),
            "bill_status": "Billable" if billable else "Non Billable",
            "hours": hhmm(minutes),
            "notes": notes,
            "owner": user_id,
        }
        guard: Guard | None = None
        if marker:
            if marker not in notes:
                raise ValueError("the marker must appear in notes to be found again")
            guard = self._timelog_guard(project_id, marker, task_id)
        logs = flatten_timelogs(self._post(path, form, guard=guard))
        if not logs:
            raise ServiceError("Projects", f"POST {path}", "the answer has no time log")
        return logs[0]

    def _timelog_guard(self, project_id: str, marker: str, task_id: str | None) -> Guard:
        def guard() -> Record | None:
            for log in self.list_timelogs(project_id):
                task = log.get("task")
                task_matches = task_id is None or (
                    isinstance(task, dict) and str(task.get("id")) == str(task_id)
                )
                if task_matches and marker in str(log.get("notes") or ""):
                    record = {k: v for k, v in log.items() if k != "component"}
                    return {"timelogs": {COMPONENTS[log["component"]][0]: [record]}}
            return None

        return guard

    # -- invoices and expenses ([guess] endpoints, see CONTRACTS.md) ----------------------------
    def list_invoices(self, project_id: str) -> Iterator[Record]:
        return self._list(self._project(project_id, "invoices/"), "invoices")

    def get_invoice(self, project_id: str, invoice_id: str) -> Record:
        path = self._project(project_id, f"invoices/{invoice_id}/")
        return _first(self.http.request("GET", path), "invoice", "invoices", f"GET {path}")

    def create_invoice(self, project_id: str, fields: Mapping[str, Any]) -> Record:
        """`fields`: `client_id`, `currency_code`, `line_items` (a list: sent as a JSON
        string), `date` and `due_date` (datetime.date or MM-DD-YYYY), `notes`,
        `reference_number`, `books_invoice_id`; with the latter, a retried create never
        makes two."""
        path = self._project(project_id, "invoices/")
        guard = self._linked_guard(
            lambda: self.list_invoices(project_id), "books_invoice_id", fields, "invoice"
        )
        return _first(self._post(path, fields, guard=guard), "invoice", "invoices", f"POST {path}")

    def update_invoice(self, project_id: str, invoice_id: str, fields: Mapping[str, Any]) -> Record:
        """Only the fields given change (those of `create_invoice`, and `status`); new
        `line_items` replace the old ones and claim their tasks again."""
        path = self._project(project_id, f"invoices/{invoice_id}/")
        return _first(
            self._post(path, fields, idempotent=True), "invoice", "invoices", f"POST {path}"
        )

    def list_expenses(self, project_id: str) -> Iterator[Record]:
        return self._list(self._project(project_id, "expenses/"), "expenses")

    def create_expense(self, project_id: str, fields: Mapping[str, Any]) -> Record:
        path = self._project(project_id, "expenses/")
        guard = self._linked_guard(
            lambda: self.list_expenses(project_id), "books_expense_id", fields, "expense"
        )
        return _first(self._post(path, fields, guard=guard), "expense", "expenses", f"POST {path}")

    def update_expense(self, project_id: str, expense_id: str, fields: Mapping[str, Any]) -> Record:
        path = self._project(project_id, f"expenses/{expense_id}/")
        return _first(
            self._post(path, fields, idempotent=True), "expense", "expenses", f"POST {path}"
        )

    def finance(self, project_id: str) -> list[Record]:
        """The project's Finance tab: `{"kind","books_id","projects_id","number",...}` each."""
        return list(self._list(self._project(project_id, "finance/"), "transactions"))

    def link_transaction(self, project_id: str, fields: Mapping[str, Any]) -> Record:
        """Show a Books transaction in the Finance tab (idempotent on kind + books_id)."""
        path = self._project(project_id, "finance/")
        body = self._post(path, fields, idempotent=True)
        for key in ("transaction", "transactions"):
            if key in body:
                return _first(body, "transaction", "transactions", f"POST {path}")
        return body

    # -- plumbing -------------------------------------------------------------------------------
    def _portal(self, tail: str) -> str:
        if not self.portal_id:
            raise ConfigError("no Projects portal chosen", hint="pick one from list_portals()")
        return f"{self._root}/portal/{self.portal_id}{tail}"

    def _project(self, project_id: str, tail: str) -> str:
        return self._portal(f"/projects/{project_id}/{tail}")

    def _list(
        self, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[Record]:
        return self.http.pages_index(
            path, lambda body: _records(body.get(key)), projects_form(params or {})
        )

    def _post(
        self,
        path: str,
        fields: Mapping[str, Any],
        *,
        idempotent: bool | None = None,
        guard: Guard | None = None,
    ) -> Record:
        return self.http.request(
            "POST", path, data=projects_form(fields), idempotent=idempotent, guard=guard
        )

    @staticmethod
    def _linked_guard(
        listing: Callable[[], Iterator[Record]], field: str, fields: Mapping[str, Any], key: str
    ) -> Guard | None:
        linked = str(fields.get(field) or "")
        if not linked:
            return None

        def guard() -> Record | None:
            for record in listing():
                if str(record.get(field) or "") == linked:
                    return {key: record}
            return None

        return guard

    def __repr__(self) -> str:
        return f"ProjectsClient(portal_id={self.portal_id!r}, http={self.http!r})"


def _records(value: Any) -> list[Record]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _first(body: Mapping[str, Any], singular: str, plural: str, call: str) -> Record:
    """One record, whether answered as `{singular: {...}}` or `{plural: [{...}]}`."""
    one = body.get(singular)
    if isinstance(one, dict):
        return one
    many = _records(body.get(plural))
    if many:
        return many[0]
    if not body:
        raise NotFound("Projects", call, "the answer is empty", status=204)
    raise ServiceError("Projects", call, f"the answer has no {singular!r} record")
