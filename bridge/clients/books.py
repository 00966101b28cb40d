"""The accounting service (Books API v3): one method per operation the modes use.

Every call carries `organization_id`. Records are returned as the service's JSON dicts;
`list_*` methods are generators that page to the end.

Creates and the idempotency guard: after a 5xx or a timeout a create may have landed, so
it is resent only after looking the record up (see `ServiceHttp.request`). The lookups:
invoices, expenses, estimates and bills by `reference_number` (the caller chooses one per
transaction; without one the create is never resent); contacts by `contact_name` (unique in
Books); users by `email` (any case); projects by `project_name` with the same
`customer_id`; time entries by a caller's marker in `notes` (see `create_time_entry`).
Tasks have no natural key (two tasks may share a name), so a task create is not resent.
Assigning a project user is idempotent on `user_id` and is resent like an update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bridge.clients._encode import books_json, books_params
from bridge.clients._http import Guard, ServiceHttp
from bridge.errors import ServiceError

Record = dict[str, Any]
Finder = Callable[[], "Record | None"]

INVOICE_STATUSES = ("sent", "void", "draft")


class BooksClient:
    def __init__(self, http: ServiceHttp, organization_id: str) -> None:
        self.http = http
        self.organization_id = organization_id

    # -- organization, users, currencies -------------------------------------------------------
    def list_organizations(self) -> Iterator[Record]:
        return self._list("/organizations", "organizations")

    def get_organization(self) -> Record:
        return self._get(f"/organizations/{self.organization_id}", "organization")

    def list_currencies(self) -> Iterator[Record]:
        return self._list("/settings/currencies", "currencies")

    def current_user(self) -> Record:
        return self._get("/users/me", "user")

    def list_users(self, **filters: object) -> Iterator[Record]:
        return self._list("/users", "users", filters)

    def get_user(self, user_id: str) -> Record:
        return self._get(f"/users/{user_id}", "user")

    def create_user(self, payload: Mapping[str, object]) -> Record:
        """The documented answer carries no `user`: then the new user is read back by email."""
        email = str(payload.get("email") or "")
        find = self._finder("/users", "users", "email", email, fold=True) if email else None
        body = self._post("/users", payload, guard=self._guard("user", find))
        record = body.get("user")
        if isinstance(record, dict):
            return record
        found = find() if find else None
        if found is None:
            raise ServiceError(
                "Books", "POST /users", "the user was created but cannot be read back"
            )
        return found

    def update_user(self, user_id: str, payload: Mapping[str, object]) -> Record:
        body = self._put(f"/users/{user_id}", payload)
        record = body.get("user")
        return record if isinstance(record, dict) else self.get_user(user_id)

    def mark_user_inactive(self, user_id: str) -> None:
        self._post(f"/users/{user_id}/inactive", {}, idempotent=True)

    # -- contacts -------------------------------------------------------------------------------
    def list_contacts(self, **filters: object) -> Iterator[Record]:
        return self._list("/contacts", "contacts", filters)

    def get_contact(self, contact_id: str) -> Record:
        return self._get(f"/contacts/{contact_id}", "contact")

    def create_contact(self, payload: Mapping[str, object]) -> Record:
        name = str(payload.get("contact_name") or "")
        find = (
            self._finder("/contacts", "contacts", "contact_name", name, contact_name=name)
            if name
            else None
        )
        return self._create("/contacts", "contact", payload, find)

    def update_contact(self, contact_id: str, payload: Mapping[str, object]) -> Record:
        return _one(
            self._put(f"/contacts/{contact_id}", payload), "contact", f"PUT /contacts/{contact_id}"
        )

    # -- projects, project users, tasks --------------------------------------------------------------
    def list_projects(self, **filters: object) -> Iterator[Record]:
        return self._list("/projects", "projects", filters)

    def get_project(self, project_id: str) -> Record:
        return self._get(f"/projects/{project_id}", "project")

    def create_project(self, payload: Mapping[str, object]) -> Record:
        name, customer = payload.get("project_name"), payload.get("customer_id")
        find: Finder | None = None
        if name:

            def find() -> Record | None:
                for record in self.list_projects(customer_id=customer):
                    if record.get("project_name") == name and (
                        customer is None or str(record.get("customer_id")) == str(customer)
                    ):
                        return record
                return None

        return self._create("/projects", "project", payload, find)

    def update_project(self, project_id: str, payload: Mapping[str, object]) -> Record:
        return _one(
            self._put(f"/projects/{project_id}", payload), "project", f"PUT /projects/{project_id}"
        )

    def delete_project(self, project_id: str) -> None:
        self.http.request("DELETE", f"/projects/{project_id}", params=self._params())

    def list_project_users(self, project_id: str) -> Iterator[Record]:
        return self._list(f"/projects/{project_id}/users", "users")

    def add_project_user(self, project_id: str, payload: Mapping[str, object]) -> Record:
        """Payload `{"user_id", ...}` or the documented `{"users": [{"user_id", ...}]}`.

        Assigning a member again (e.g. with a new rate) is idempotent on `user_id`, so this
        call is resent after an ambiguous failure like an update."""
        user_id = _project_user_id(payload)
        path = f"/projects/{project_id}/users"
        body = self._post(path, payload, idempotent=True)
        if isinstance(body.get("user"), dict):
            return dict(body["user"])
        users = [u for u in body.get("users") or [] if isinstance(u, dict)]
        for record in users:
            if str(record.get("user_id")) == user_id:
                return record
        if users:
            return users[0]
        raise ServiceError("Books", f"POST {path}", "the answer names no user")

    def list_project_invoices(self, project_id: str) -> Iterator[Record]:
        return self._list(f"/projects/{project_id}/invoices", "invoices")

    def list_tasks(self, project_id: str) -> Iterator[Record]:
        return self._list(f"/projects/{project_id}/tasks", "tasks")

    def get_task(self, project_id: str, task_id: str) -> Record:
        return self._get(f"/projects/{project_id}/tasks/{task_id}", "task")

    def create_task(self, project_id: str, payload: Mapping[str, object]) -> Record:
        return self._create(f"/projects/{project_id}/tasks", "task", payload, None)

    def update_task(self, project_id: str, task_id: str, payload: Mapping[str, object]) -> Record:
        path = f"/projects/{project_id}/tasks/{task_id}"
        return _one(self._put(path, payload), "task", f"PUT {path}")

    def delete_task(self, project_id: str, task_id: str) -> None:
        self.http.request(
            "DELETE", f"/projects/{project_id}/tasks/{task_id}", params=self._params()
        )

    # -- time entries ---------------------------------------------------------------------------------
    def list_time_entries(self, **filters: object) -> Iterator[Record]:
        """Filters: `project_id`, `user_id`, `filter_by` (Status.Unbilled...), `from_date`..."""
        return self._list("/projects/timeentries", "time_entries", filters)

    def get_time_entry(self, time_entry_id: str) -> Record:
        return self._get(f"/projects/timeentries/{time_entry_id}", "time_entry")

    def create_time_entry(self, payload: Mapping[str, object], *, marker: str | None = None) -> Record:
        """Log time. `marker`, if given, must appear in `payload["notes"]` (e.g. the Projects
        log id, "plog:123"): after an ambiguous failure the entry is looked up among the
        project's entries of that user by it. Without a marker the create is not resent."""
        find: Finder | None = None
        if marker:
            if marker not in str(payload.get("notes") or ""):
                raise ValueError("the marker must appear in payload['notes'] to be found again")

            def find() -> Record | None:
                filters = {
                    "project_id": payload.get("project_id"),
                    "user_id": payload.get("user_id"),
                }
                for record in self.list_time_entries(**filters):
                    if marker in str(record.get("notes") or ""):
                        return record
                return None

        return self._create("/projects/timeentries", "time_entry", payload, find)

    def update_time_entry(self, time_entry_id: str, payload: Mapping[str, object]) -> Record:
        path = f"/projects/timeentries/{time_entry_id}"
        return _one(self._put(path, payload), "time_entry", f"PUT {path}")

    def delete_time_entry(self, time_entry_id: str) -> None:
        self.http.request("DELETE", f"/projects/timeentries/{time_entry_id}", params=self._params())

    # -- invoices ---------------------------------------------------------------------------------------
    def list_invoices(self, **filters: object) -> Iterator[Record]:
        return self._list("/invoices", "invoices", filters)

    def get_invoice(self, invoice_id: str) -> Record:
        return self._get(f"/invoices/{invoice_id}", "invoice")

    def create_invoice(self, payload: Mapping[str, object]) -> Record:
        return self._create(
            "/invoices", "invoice", payload, self._by_reference("/invoices", "invoices", payload)
        )

    def update_invoice(self, invoice_id: str, payload: Mapping[str, object]) -> Record:
        return _one(
            self._put(f"/invoices/{invoice_id}", payload), "invoice", f"PUT /invoices/{invoice_id}"
        )

    def mark_invoice(self, invoice_id: str, status: str) -> None:
        """`status`: sent, void or draft."""
        if status not in INVOICE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(INVOICE_STATUSES)}, not {status!r}")
        self._post(f"/invoices/{invoice_id}/status/{status}", {}, idempotent=True)

    def delete_invoice(self, invoice_id: str) -> None:
        self.http.request("DELETE", f"/invoices/{invoice_id}", params=self._params())

    # -- expenses, estimates, bills --------------------------------------------------------------
    def list_expenses(self, **filters: object) -> Iterator[Record]:
        return self._list("/expenses", "expenses", filters)

    def get_expense(self, expense_id: str) -> Record:
        return self._get(f"/expenses/{expense_id}", "expense")

    def create_expense(self, payload: Mapping[str, object]) -> Record:
        return self._create(
            "/expenses", "expense", payload, self._by_reference("/expenses", "expenses", payload)
        )

    def update_expense(self, expense_id: str, payload: Mapping[str, object]) -> Record:
        return _one(
            self._put(f"/expenses/{expense_id}", payload), "expense", f"PUT /expenses/{expense_id}"
        )

    def delete_expense(self, expense_id: str) -> None:
        """Refused by Books once the expense is invoiced."""
        self.http.request("DELETE", f"/expenses/{expense_id}", params=self._params())

    def list_estimates(self, **filters: object) -> Iterator[Record]:
        return self._list("/estimates", "estimates", filters)

    def get_estimate(self, estimate_id: str) -> Record:
        return self._get(f"/estimates/{estimate_id}", "estimate")

    def create_estimate(self, payload: Mapping[str, object]) -> Record:
        return self._create(
            "/estimates",
            "estimate",
            payload,
            self._by_reference("/estimates", "estimates", payload),
        )

    def delete_estimate(self, estimate_id: str) -> None:
        self.http.request("DELETE", f"/estimates/{estimate_id}", params=self._params())

    def list_bills(self, **filters: object) -> Iterator[Record]:
        return self._list("/bills", "bills", filters)

    def get_bill(self, bill_id: str) -> Record:
        return self._get(f"/bills/{bill_id}", "bill")

    def create_bill(self, payload: Mapping[str, object]) -> Record:
        return self._create(
            "/bills", "bill", payload, self._by_reference("/bills", "bills", payload)
        )

    def delete_bill(self, bill_id: str) -> None:
        self.http.request("DELETE", f"/bills/{bill_id}", params=self._params())

    # -- plumbing ---------------------------------------------------------------------------------------
    def _params(self, filters: Mapping[str, object] | None = None) -> dict[str, Any]:
        params = books_params(filters or {})
        # no id yet (listing organizations to find it): send none rather than an empty one
        if self.organization_id:
            params["organization_id"] = self.organization_id
        return params

    def _list(
        self, path: str, key: str, filters: Mapping[str, object] | None = None
    ) -> Iterator[Record]:
        return self.http.pages_books(path, key, self._params(filters))

    def _get(self, path: str, key: str) -> Record:
        return _one(self.http.request("GET", path, params=self._params()), key, f"GET {path}")

    def _post(
        self,
        path: str,
        payload: Mapping[str, object],
        *,
        idempotent: bool | None = None,
        guard: Guard | None = None,
    ) -> Record:
        return self.http.request(
            "POST",
            path,
            params=self._params(),
            json=books_json(payload),
            idempotent=idempotent,
            guard=guard,
        )

    def _put(self, path: str, payload: Mapping[str, object]) -> Record:
        return self.http.request("PUT", path, params=self._params(), json=books_json(payload))

    def _create(
        self, path: str, key: str, payload: Mapping[str, object], find: Finder | None
    ) -> Record:
        return _one(self._post(path, payload, guard=self._guard(key, find)), key, f"POST {path}")

    @staticmethod
    def _guard(key: str, find: Finder | None) -> Guard | None:
        """Wrap a record lookup so that what it finds looks like the create's answer."""
        if find is None:
            return None

        def guard() -> Record | None:
            record = find()
            return None if record is None else {key: record}

        return guard

    def _finder(
        self, path: str, key: str, field: str, value: str, *, fold: bool = False, **filters: object
    ) -> Finder:
        """Page through `path` (narrowed by `filters`) for the record whose `field` is `value`
        exactly (or ignoring case, with `fold`): a list filter may match by "contains"."""
        wanted = value.casefold() if fold else value

        def find() -> Record | None:
            for record in self._list(path, key, filters):
                have = str(record.get(field) or "")
                if (have.casefold() if fold else have) == wanted:
                    return record
            return None

        return find

    def _by_reference(self, path: str, key: str, payload: Mapping[str, object]) -> Finder | None:
        reference = str(payload.get("reference_number") or "")
        if not reference:
            return None
        return self._finder(path, key, "reference_number", reference, reference_number=reference)

    def __repr__(self) -> str:
        return f"BooksClient(organization_id={self.organization_id!r}, http={self.http!r})"


def _one(body: Mapping[str, Any], key: str, call: str) -> Record:
    record = body.get(key)
    if not isinstance(record, dict):
        raise ServiceError("Books", call, f"the answer has no {key!r} record")
    return record


def _project_user_id(payload: Mapping[str, object]) -> str:
    if payload.get("user_id"):
        return str(payload["user_id"])
    users = payload.get("users")
    if isinstance(users, list) and users and isinstance(users[0], dict):
        return str(users[0].get("user_id") or "")
    return ""
