"""Every kind of record the sandbox stores: its id field, and how it is listed and looked up.

The state modules write `parent` and `ref` as they go; this table lets the control endpoints
(`PATCH /_sandbox/records/...`) keep them right after an arbitrary edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sandbox.db import Body


def _field(name: str, transform: Callable[[str], str] = str) -> Callable[[Body], str]:
    return lambda body: transform(str(body.get(name) or ""))


def _prefixed(prefix: str, name: str) -> Callable[[Body], str]:
    return lambda body: f"{prefix}:{body[name]}" if body.get(name) else ""


def _link_ref(body: Body) -> str:
    return f"{body['kind']}:{body['books_id']}" if body.get("books_id") else ""


def _none(body: Body) -> str:
    return ""


@dataclass(frozen=True)
class Kind:
    id_field: str
    parent: Callable[[Body], str] = _none
    ref: Callable[[Body], str] = _none


CATALOG: dict[str, dict[str, Kind]] = {
    "books": {
        "organizations": Kind("organization_id"),
        "currencies": Kind("currency_id", ref=_field("currency_code")),
        "chartofaccounts": Kind("account_id"),
        "items": Kind("item_id"),
        "users": Kind("user_id", ref=_field("email", str.lower)),
        "contacts": Kind("contact_id", ref=_field("contact_name", str.lower)),
        "projects": Kind("project_id"),
        "tasks": Kind("task_id", parent=_field("project_id")),
        "time_entries": Kind("time_entry_id", parent=_field("project_id")),
        "invoices": Kind("invoice_id", ref=_field("reference_number")),
        "expenses": Kind("expense_id", parent=_field("project_id"),
                         ref=_field("reference_number")),
        "estimates": Kind("estimate_id", ref=_field("reference_number")),
        "bills": Kind("bill_id", ref=_field("reference_number")),
    },
    "projects": {
        "portals": Kind("id"),
        "users": Kind("id", ref=_field("zsc_key")),
        "clients": Kind("id", parent=_field("portal_id")),
        "projects": Kind("id", parent=_field("portal_id")),
        "tasks": Kind("id", parent=_field("project_id")),
        "bugs": Kind("id", parent=_field("project_id")),
        "timelogs": Kind("id", parent=_field("project_id")),
        "expenses": Kind("id", parent=_field("project_id"),
                         ref=_prefixed("expense", "books_expense_id")),
        "invoices": Kind("id", parent=_field("project_id"),
                         ref=_prefixed("invoice", "books_invoice_id")),
        "finance_links": Kind("id", parent=_field("project_id"), ref=_link_ref),
        "task_marks": Kind("task_id", parent=_field("project_id"), ref=_field("invoice_id")),
    },
    "accounts": {
        "clients": Kind("client_id"),
        "refresh_tokens": Kind("refresh_token"),
    },
}


def kind_of(service: str, kind: str) -> Kind | None:
    return CATALOG.get(service, {}).get(kind)
