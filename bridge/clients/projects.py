"""The project service (Projects API v3): one method per operation the modes use.

Paths are `/api/v3/portal/{portal_id}/...` below the service's host (a base URL that already
ends in `/api/v3` works too); portals are listed at `/api/v3/portals`. Lists page with
`page`/`per_page` until a false has-next flag, a short page or a 204; creates are JSON
POSTs and updates JSON PATCHes; dates go out as yyyy-mm-dd and hours as "HH:MM". Every
answer is mapped by `projects_shapes` into the records the modes read. The choices the
vendor's pages leave open are constants in `projects_v3` (and docs/CONTRACTS.md).

Authentication is the transport's business (an OAuth access token, `Zoho-oauthtoken`);
this client never sees a ZSC key. Creates that may be resent after an ambiguous failure:
a time log whose caller passes a `marker` (written into its notes), and invoices/expenses
carrying `books_invoice_id` / `books_expense_id` (looked up by it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any, Final

from bridge.clients import projects_shapes as shapes
from bridge.clients import projects_v3 as v3
from bridge.clients._encode import hhmm, projects_json
from bridge.clients._http import Guard, ServiceHttp
from bridge.errors import ConfigError, NotFound, ServiceError

Record = dict[str, Any]

#: Client methods that reach the product's internals, which the public v3 API lacks
#: (PROJECTS-V3.md §3 "Money-related surfaces": no Projects-side invoices, expenses or
#: Finance tab in any v3 page or client). The sandbox serves them under the v3 root; live,
#: the capability matrix refuses them before any write.
SANDBOX_ONLY: Final[dict[str, str]] = {
    "list_invoices": "Projects-side invoices are not in the public API",
    "get_invoice": "Projects-side invoices are not in the public API",
    "create_invoice": "Projects-side invoices are not in the public API",
    "update_invoice": "Projects-side invoices are not in the public API",
    "list_expenses": "Projects-side expenses are not in the public API",
    "create_expense": "Projects-side expenses are not in the public API",
    "update_expense": "Projects-side expenses are not in the public API",
    "finance": "a project's Finance tab is not in the public API",
    "link_transaction": "a project's Finance tab is not in the public API",
    "verify_zsc_key": "the public API cannot check a ZSC key",
}

#: Record fields the sandbox answers that the public API does not have ([gap] in §3/§4):
#: the modes may read them, but live they are absent.
SANDBOX_ONLY_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "task": ("billable", "rate", "invoiced", "invoice_id"),
    "project": ("rate",),
    "user": ("rate",),
    "timelog": ("invoice_id",),
    "client": ("books_contact_id",),
}

#: Operations whose v3 path no page or public client shows ([gap]); the client uses the
#: path v3's pattern suggests, and the sandbox answers it.
UNDOCUMENTED: Final[dict[str, str]] = {
    "project_clients": "no v3 endpoint for a project's (primary) client was found",
}


class ProjectsClient:
    def __init__(self, http: ServiceHttp, portal_id: str | None, *,
                 zsc_check: bool = False) -> None:
        self.http = http
        self.portal_id = portal_id
        #: whether this service can check a ZSC key (the sandbox only; see verify_zsc_key)
        self.zsc_check = zsc_check
        # A base that already ends in /api/v3 needs no root; a bare host does.
        self._root = "" if http.base_url.endswith(v3.ROOT) else v3.ROOT

    def with_portal(self, portal_id: str) -> ProjectsClient:
        """The same connection, working in another portal."""
        return ProjectsClient(self.http, portal_id, zsc_check=self.zsc_check)

    # -- portal level -----------------------------------------------------------------------
    def list_portals(self) -> Iterator[Record]:
        """The caller's portals, each with the caller's `role` in it."""
        return self._list(f"{self._root}/portals", "portals", shapes.portal)

    def list_users(self) -> Iterator[Record]:
        return self._list(self._portal("/users"), "users", shapes.user)

    def list_clients(self) -> Iterator[Record]:
        return self._list(self._portal("/clients"), "clients", dict)

    def verify_zsc_key(self, key: str) -> bool | None:
        """Whether `key` is the calling user's ZSC key: True/False where the service can
        tell (the sandbox's sandbox-only check), None where it cannot (the public API).
        Only the key's SHA-256 travels, in a JSON body, never as a header."""
        if not self.zsc_check:
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()
        body = self.http.request("POST", f"{self._root}/sandbox/zsckey",
                                 json={"zsc_key_sha256": digest}, idempotent=True)
        return bool(body.get("valid"))

    # -- projects -------------------------------------------------------------------------------
    def list_projects(self, **filters: object) -> Iterator[Record]:
        """Every project; `status` ("active", "archived"; "all" = no filter) is applied here:
        v3 documents no status filter on the list [2nd G1: page, per_page only]."""
        status = filters.pop("status", None)
        records = self._list(self._portal("/projects"), "projects", shapes.project, filters)
        if status in (None, "", "all"):
            return records
        return (p for p in records if p.get("status") == status)

    def get_project(self, project_id: str) -> Record:
        path = self._project(project_id, "")
        return shapes.project(self._one("GET", path, "project", "projects"))

    def delete_project(self, project_id: str) -> None:
        """Trash the project (v3 has no DELETE for projects [2nd G1/G2])."""
        self.http.request("POST", self._project(project_id, f"/{v3.TRASH}"), idempotent=True)

    def project_clients(self, project_id: str) -> list[Record]:
        """The project's clients, the primary one first ([gap] path, see UNDOCUMENTED)."""
        path = self._project(project_id, f"/{v3.PROJECT_CLIENTS}")
        return list(self._list(path, "clients", dict))

    def project_users(self, project_id: str) -> list[Record]:
        return list(self._list(self._project(project_id, "/users"), "users", shapes.user))

    # -- tasks and issues ("bugs" to the modes) --------------------------------------------------
    def list_tasks(self, project_id: str, status: str = "all") -> Iterator[Record]:
        """`status`: all, completed or notcompleted, applied here (v3 filters are JSON
        criteria no page documents for tasks)."""
        records = self._list(self._project(project_id, "/tasks"), "tasks", shapes.task)
        if status == "all":
            return records
        if status not in ("completed", "notcompleted"):
            raise ValueError(f"status must be all, completed or notcompleted, not {status!r}")
        done = status == "completed"
        return (t for t in records if bool(t.get("completed")) is done)

    def get_task(self, project_id: str, task_id: str) -> Record:
        path = self._project(project_id, f"/tasks/{task_id}")
        return shapes.task(self._one("GET", path, "task", "tasks"))

    def complete_task(self, project_id: str, task_id: str) -> Record:
        """PATCH the task's status to the closed one (v3.CLOSED_STATUS)."""
        path = self._project(project_id, f"/tasks/{task_id}")
        body = self.http.request("PATCH", path, json={"status": dict(v3.CLOSED_STATUS)},
                                 idempotent=True)
        return shapes.task(_one_of(body, "task", "tasks", f"PATCH {path}"))

    def list_bugs(self, project_id: str) -> Iterator[Record]:
        """The project's issues (v3's name for bugs), shaped as the modes know bugs."""
        return self._list(self._project(project_id, "/issues"), "issues", shapes.issue)

    # -- time logs ------------------------------------------------------------------------------
    def list_timelogs(self, project_id: str, *, types: Sequence[str] = v3.LOG_MODULES,
                      **params: Any) -> Iterator[Record]:
        """Every log of the project, flattened: one dict per log with `component`
        (task | bug | general). v3 lists one module type per call, over a date view: this
        asks for each of `types` (task, issue, general: a caller that never reads general
        logs saves a call per project) over `customdate` LOG_RANGE_START..LOG_RANGE_END
        unless `params` say otherwise (`view_type`, `start_date`, `end_date`...)."""
        path = self._project(project_id, "/timelogs")
        query = {"view_type": v3.LOG_VIEW_TYPE, "start_date": v3.LOG_RANGE_START,
                 "end_date": v3.LOG_RANGE_END, **projects_json(params)}
        modules = [query.pop("module")] if "module" in query else [{"type": m} for m in types]
        pages = chain.from_iterable(  # every module's pages in turn
            self.http.v3_pages(path, shapes.timelogs, {**query, "module": _module_param(module)},
                               per_page=v3.PER_PAGE, more_keys=v3.HAS_NEXT_KEYS) for module in modules)
        # the logs walked in C; and no frame here keeps a page once walked (a page bound to a
        # name would be held while the next one is read), so v3_pages lets it go first
        return chain.from_iterable(pages)

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
        path = self._project(project_id, "/log")
        module: Record = {"id": str(task_id), "type": "task"} if task_id else {"type": "general"}
        body: Record = {
            "module": module,
            "date": date if isinstance(date, str) else date.isoformat(),
            "bill_status": v3.BILLABLE if billable else v3.NON_BILLABLE,
            "hours": hhmm(minutes),
            "notes": notes,
            "owner_zpuid": str(user_id),
        }
        if not task_id:
            body["log_name"] = notes or "General"
        guard: Guard | None = None
        if marker:
            if marker not in notes:
                raise ValueError("the marker must appear in notes to be found again")
            guard = self._timelog_guard(project_id, marker, task_id)
        logs = shapes.timelogs(self.http.request("POST", path, json=body, guard=guard))
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
                    return {"time_logs": [{"log_details": [_as_v3_log(log)]}]}
            return None

        return guard

    # -- invoices, expenses, Finance view: SANDBOX_ONLY ------------------------------------------
    def list_invoices(self, project_id: str) -> Iterator[Record]:
        return self._list(self._project(project_id, "/invoices"), "invoices", dict)

    def get_invoice(self, project_id: str, invoice_id: str) -> Record:
        return self._one("GET", self._project(project_id, f"/invoices/{invoice_id}"),
                         "invoice", "invoices")

    def create_invoice(self, project_id: str, fields: Mapping[str, Any]) -> Record:
        """`fields`: `client_id`, `currency_code`, `line_items` (a list), `date` and
        `due_date` (datetime.date or yyyy-mm-dd), `notes`, `reference_number`,
        `books_invoice_id`; with the latter, a retried create never makes two."""
        path = self._project(project_id, "/invoices")
        guard = self._linked_guard(
            lambda: self.list_invoices(project_id), "books_invoice_id", fields, "invoice"
        )
        return self._write("POST", path, fields, "invoice", "invoices", guard=guard)

    def update_invoice(self, project_id: str, invoice_id: str, fields: Mapping[str, Any]) -> Record:
        """Only the fields given change (those of `create_invoice`, and `status`); new
        `line_items` replace the old ones and claim their tasks again."""
        path = self._project(project_id, f"/invoices/{invoice_id}")
        return self._write("PATCH", path, fields, "invoice", "invoices", idempotent=True)

    def list_expenses(self, project_id: str) -> Iterator[Record]:
        return self._list(self._project(project_id, "/expenses"), "expenses", dict)

    def create_expense(self, project_id: str, fields: Mapping[str, Any]) -> Record:
        path = self._project(project_id, "/expenses")
        guard = self._linked_guard(
            lambda: self.list_expenses(project_id), "books_expense_id", fields, "expense"
        )
        return self._write("POST", path, fields, "expense", "expenses", guard=guard)

    def update_expense(self, project_id: str, expense_id: str, fields: Mapping[str, Any]) -> Record:
        path = self._project(project_id, f"/expenses/{expense_id}")
        return self._write("PATCH", path, fields, "expense", "expenses", idempotent=True)

    def finance(self, project_id: str) -> list[Record]:
        """The project's Finance tab: `{"kind","books_id","projects_id","number",...}` each."""
        return list(self._list(self._project(project_id, "/finance"), "transactions", dict))

    def link_transaction(self, project_id: str, fields: Mapping[str, Any]) -> Record:
        """Show a Books transaction in the Finance tab (idempotent on kind + books_id)."""
        path = self._project(project_id, "/finance")
        body = self.http.request("POST", path, json=projects_json(fields), idempotent=True)
        return shapes.one(body, "transaction", "transactions") or body

    # -- plumbing -------------------------------------------------------------------------------
    def _portal(self, tail: str) -> str:
        if not self.portal_id:
            raise ConfigError("no Projects portal chosen", hint="pick one from list_portals()")
        return f"{self._root}/portal/{self.portal_id}{tail}"

    def _project(self, project_id: str, tail: str) -> str:
        return self._portal(f"/projects/{project_id}{tail}")

    def _list(
        self, path: str, key: str, shape: Callable[[Record], Record],
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[Record]:
        def extract(body: Record) -> list[Record]:
            value = body.get(key)
            return [shape(v) for v in value if isinstance(v, dict)] if isinstance(value, list) else []

        return chain.from_iterable(self.http.v3_pages(path, extract, projects_json(params or {}),
                                                      per_page=v3.PER_PAGE, more_keys=v3.HAS_NEXT_KEYS))

    def _one(self, method: str, path: str, singular: str, plural: str) -> Record:
        return _one_of(self.http.request(method, path), singular, plural, f"{method} {path}")

    def _write(self, method: str, path: str, fields: Mapping[str, Any], singular: str,
               plural: str, *, idempotent: bool | None = None, guard: Guard | None = None) -> Record:
        body = self.http.request(method, path, json=projects_json(fields),
                                 idempotent=idempotent, guard=guard)
        return _one_of(body, singular, plural, f"{method} {path}")

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


def _module_param(module: Any) -> str:
    """`module` travels as JSON in the query [2nd G1]."""
    if isinstance(module, str):
        return module
    return json.dumps(module, separators=(",", ":"))


def _as_v3_log(log: Record) -> Record:
    """A flattened log back in v3's shape (what a found create answers)."""
    ref = log.get("task") or log.get("bug") or {}
    kind = "task" if "task" in log else "issue" if "bug" in log else "general"
    return {"id": log["id"], "module": {"id": ref.get("id"), "type": kind,
                                        "name": ref.get("name") or ref.get("title")},
            "owner": {"zpuid": log.get("owner_id"), "name": log.get("owner_name")},
            "date": _iso(str(log.get("log_date") or "")), "hours": log.get("hours_display"),
            "bill_status": log.get("bill_status"), "notes": log.get("notes"),
            "approval_status": log.get("approval_status"),
            **({"invoice_id": log["invoice_id"]} if "invoice_id" in log else {})}


def _iso(mdy: str) -> str:
    """MM-DD-YYYY (a flattened log's date) -> yyyy-mm-dd."""
    return f"{mdy[6:10]}-{mdy[0:2]}-{mdy[3:5]}" if len(mdy) == 10 and mdy[2] == "-" else mdy


def _one_of(body: Mapping[str, Any], singular: str, plural: str, call: str) -> Record:
    found = shapes.one(body, singular, plural)
    if found is not None:
        return found
    if not body:
        raise NotFound("Projects", call, "the answer is empty", status=204)
    raise ServiceError("Projects", call, f"the answer has no {singular!r} record")
