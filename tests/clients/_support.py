"""Helpers for the client tests: httpx.MockTransport handlers, never the sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

from bridge.clients import ServiceHttp
from bridge.clock import FakeClock

BOOKS_BASE = "https://books.test/books/v3"
PROJECTS_BASE = "https://projects.test/api/v3"
ACCOUNTS = "https://accounts.test"
ORG = "600001"

Handler = Callable[[httpx.Request], httpx.Response]


def reply(
    status: int = 200, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def books_http(handler: Handler, clock: FakeClock, **kw: Any) -> ServiceHttp:
    return ServiceHttp(
        "Books", BOOKS_BASE, transport=httpx.MockTransport(handler), clock=clock, **kw
    )


def projects_http(handler: Handler, clock: FakeClock, **kw: Any) -> ServiceHttp:
    return ServiceHttp(
        "Projects", PROJECTS_BASE, transport=httpx.MockTransport(handler), clock=clock, **kw
    )


def form_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


#: kind path -> (singular key, id field)
BOOKS_KINDS = {
    "invoices": ("invoice", "invoice_id"),
    "expenses": ("expense", "expense_id"),
    "estimates": ("estimate", "estimate_id"),
    "bills": ("bill", "bill_id"),
    "contacts": ("contact", "contact_id"),
    "users": ("user", "user_id"),
    "projects/timeentries": ("time_entry", "time_entry_id"),
}


@dataclass
class FakeBooks:
    """Just enough of Books for lists and creates, with faults around writes.

    `write_then_fail`: the next N creates are stored and then answered with 500 (or a read
    timeout, with `fail_kind="timeout"`). `fail_before_write`: the next N creates fail
    without storing.
    """

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    write_then_fail: int = 0
    fail_before_write: int = 0
    fail_kind: str = "500"
    calls: list[httpx.Request] = field(default_factory=list)
    _next_id: int = 1000

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path.removeprefix("/books/v3/")
        if path not in BOOKS_KINDS:
            return reply(404, {"code": 1002, "message": "Resource does not exist."})
        if request.method == "GET":
            return self._list(path, request)
        if request.method == "POST":
            return self._create(path, json.loads(request.content))
        return reply(405, {"code": 405, "message": "Method not allowed"})

    def _list(self, path: str, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        page, per_page = int(params.pop("page", 1)), int(params.pop("per_page", 200))
        params.pop("organization_id", None)
        rows = [
            r
            for r in self.records.get(path, [])
            if all(str(r.get(k)) == v for k, v in params.items())
        ]
        chunk = rows[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(rows)
        plural = "time_entries" if path == "projects/timeentries" else path
        return reply(
            200,
            {
                "code": 0,
                "message": "success",
                plural: chunk,
                "page_context": {"page": page, "per_page": per_page, "has_more_page": more},
            },
        )

    def _create(self, path: str, payload: dict[str, Any]) -> httpx.Response:
        key, id_field = BOOKS_KINDS[path]
        if self.fail_before_write:
            self.fail_before_write -= 1
            return reply(500, {"code": 1000, "message": "Internal error"})
        self._next_id += 1
        record = {**payload, id_field: str(self._next_id)}
        self.records.setdefault(path, []).append(record)
        if self.write_then_fail:
            self.write_then_fail -= 1
            if self.fail_kind == "timeout":
                raise httpx.ReadTimeout("read timed out", request=self.calls[-1])
            return reply(500, {"code": 1000, "message": "Internal error"})
        return reply(201, {"code": 0, "message": "created", key: record})

    def posts(self) -> int:
        return sum(1 for r in self.calls if r.method == "POST")
