"""Projects module (E4, E12): each project with a primary client becomes a Books project of
a Books customer. The customer is the Books contact with the client's name if one exists
(same currency required, else E12), or a new contact in the client's currency."""

from __future__ import annotations

from functools import partial
from typing import Any

from bridge.domain import SyncFailure
from bridge.store.repo import record_fingerprint
from enhanced.rules import client_currency, failure, project_client_check
from enhanced.sync import maps
from enhanced.sync.common import Counts, Finder, apply
from enhanced.sync.state import SyncState

BILLING_TYPE = "based_on_task_hours"
SKIPPED_STATUSES = ("template",)


def primary_client(clients: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The client flagged primary, else the first (the first added is primary by default)."""
    for c in clients:
        if c.get("is_primary") in (True, "true", 1):
            return c
    return clients[0] if clients else None


class Customers:
    """Primary clients -> Books contacts, looking contacts up by name only when needed."""

    def __init__(self, st: SyncState) -> None:
        self.st = st
        self.mapped = st.writer.mapped("customer")
        self._by_name: dict[str, dict[str, Any]] | None = None

    def by_name(self) -> dict[str, dict[str, Any]]:
        if self._by_name is None:
            self._by_name = {str(c.get("contact_name")): c for c in self.st.books.list_contacts()}
        return self._by_name

    def resolve(self, client: dict[str, Any]) -> tuple[str | None, str | None]:
        """(Books contact id, None) or (None, the E12 mismatch detail)."""
        cid, name, currency = str(client["id"]), str(client.get("name", "")), client_currency(client)
        fp = record_fingerprint({"name": name, "currency": currency})
        current = self.mapped.get(cid)
        if current is not None and current.fingerprint == fp:
            return current.books_id, None
        contact = self.by_name().get(name)
        books_currency = str(contact.get("currency_code") or "") if contact else None
        if project_client_check({}, client, books_currency) is not None:
            return None, f"client {name!r} is in {currency}, the Books contact is in {books_currency}"
        if contact is None:
            contact = self.st.writer.create_contact({
                "contact_name": name, "contact_type": "customer", "currency_code": currency,
            })
            self.by_name()[name] = contact
        books_id = str(contact["contact_id"])
        self.st.writer.put("customer", cid, books_id, fp)
        self.mapped[cid] = maps.Mapped(books_id, fp)
        return books_id, None


def run(st: SyncState, counts: Counts) -> list[SyncFailure]:
    failures: list[SyncFailure] = []
    customers = Customers(st)
    mapped = st.writer.mapped("project")
    claimed = {m.books_id for m in mapped.values()}
    finder = Finder(lambda: st.books.list_projects(), lambda r: (r.get("project_name"), str(r.get("customer_id"))),
                    "project_id", claimed)
    upstream = [p for p in st.upstream_projects() if p.get("status") not in SKIPPED_STATUSES]
    for n, p in enumerate(upstream, start=1):
        pid, name = str(p["id"]), str(p.get("name", ""))
        counts.fetched += 1
        primary = primary_client(list(st.projects.project_clients(pid)))
        if primary is None:
            failures.append(failure("project_no_primary_client", pid, name))
            continue
        customer_id, mismatch = customers.resolve(primary)
        if customer_id is None:
            failures.append(failure("project_client_currency_mismatch", pid, name, mismatch or ""))
            continue
        payload = project_payload(st, p, customer_id)
        apply(
            st, counts, kind="project", projects_id=pid, payload=payload, mapped=mapped,
            create=partial(st.writer.create_project, payload),
            update=partial(_update, st, payload),
            id_field="project_id", finder=finder, key=(payload["project_name"], customer_id),
        )
        st.progress("projects", n, len(upstream))
    return failures


def _update(st: SyncState, payload: dict[str, Any], books_id: str) -> None:
    st.writer.update_project(books_id, payload)


def project_payload(st: SyncState, p: dict[str, Any], customer_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "project_name": str(p.get("name", ""))[:100],
        "customer_id": customer_id,
        "billing_type": BILLING_TYPE,
        "user_id": str(st.books_me().get("user_id", "")),
        "description": str(p.get("description") or ""),
    }
    if p.get("rate") not in (None, ""):
        payload["rate"] = str(p["rate"])
    return payload
