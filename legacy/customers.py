"""The legacy customer mapping: which Books contact stands for which Projects client.

How it is learned (the old integration never documented it; this is our rule):
1. a client that already names its Books contact (`books_contact_id`) keeps it;
2. otherwise a Books customer whose name equals the client's (case and surrounding space
   ignored) is that client;
3. a client with neither gets a Books customer made for it when a record of that client is
   first mirrored into Books (`ensure_customer`).
The result is kept in the id map (kind "customer": projects_id = client, books_id = contact)
and relearned at connect and at every sync; a mapping once made is never re-pointed by a
later name match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bridge.errors import InputError, NotFound
from bridge.store.repo import books_id_for, mappings, projects_id_for, put_mappings

if TYPE_CHECKING:
    from bridge.clients.projects import ProjectsClient
    from bridge.context import Context
    from bridge.store.tables import ConnectionRow

KIND = "customer"


def _norm(name: Any) -> str:
    return " ".join(str(name or "").split()).casefold()


def learn(ctx: Context, row: ConnectionRow, projects: ProjectsClient) -> int:
    """Map every portal client we can; returns how many new mappings were made."""
    clients = list(projects.list_clients())
    by_name = {
        _norm(c.get("contact_name")): str(c["contact_id"])
        for c in ctx.books.list_contacts()
        if c.get("contact_type", "customer") == "customer"
    }
    now = ctx.clock.now()
    with ctx.store.session() as s:
        known = mappings(s, row.id, KIND)
        new = []
        for cl in clients:
            cid = str(cl["id"])
            if cid in known:
                continue
            books_id = cl.get("books_contact_id") or by_name.get(_norm(cl.get("name")))
            if books_id:
                new.append({"connection_id": row.id, "kind": KIND, "projects_id": cid,
                                "books_id": str(books_id), "fingerprint": "", "updated_at": now})
        put_mappings(s, new)
    return len(new)


def client_of(ctx: Context, row: ConnectionRow, customer_id: str | None) -> str | None:
    """The Projects client a Books customer stands for (None: no customer, or none mapped)."""
    if customer_id is None:
        return None
    with ctx.store.session() as s:
        return projects_id_for(s, row.id, KIND, customer_id)


def customer_of(ctx: Context, row: ConnectionRow, client_id: str | None) -> str | None:
    if not client_id:
        return None
    with ctx.store.session() as s:
        return books_id_for(s, row.id, KIND, client_id)


def ensure_customer(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, client_id: str | None
) -> str | None:
    """The Books customer of a client, made in Books (rule 3) if it has none yet."""
    if not client_id:
        return None
    known = customer_of(ctx, row, client_id)
    if known:
        return known
    client = next((c for c in projects.list_clients() if str(c["id"]) == client_id), None)
    if client is None:
        return None
    payload = {"contact_name": str(client["name"]), "contact_type": "customer"}
    if client.get("currency_code"):
        payload["currency_code"] = str(client["currency_code"])
    contact = ctx.books.create_contact(payload)
    books_id = str(contact["contact_id"])
    with ctx.store.session() as s:
        put_mappings(s, [{"connection_id": row.id, "kind": KIND, "projects_id": client_id,
                              "books_id": books_id, "fingerprint": "", "updated_at": ctx.clock.now()}])
    return books_id


def currency_of(ctx: Context, customer_id: str | None) -> str:
    """An invoice is in its customer's currency, else the organization's."""
    if customer_id is None:
        return str(ctx.books.get_organization()["currency_code"])
    try:
        contact = ctx.books.get_contact(customer_id)
    except NotFound:
        raise InputError(f"no Books customer {customer_id}",
                         hint="give the id of a Books contact of type customer") from None
    return str(contact.get("currency_code") or ctx.books.get_organization()["currency_code"])
