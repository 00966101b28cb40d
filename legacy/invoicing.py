"""L4-L6, L8: invoices for a project, from either side, billed once.

From Books (side=books): claim the tasks, create the Books invoice (reference_number = the
claim, so a retried create never makes two), record it, confirm the claims, then show it in
the project's Finance view. Without a customer, Books would refuse the invoice: it is kept
as a local draft (status "draft", id `local-...`) holding its tasks until
`finalize_invoice` gives it a customer, adds that customer's expenses, and puts it into
Books.

From Projects (side=projects): claim the tasks, create the Projects invoice, record it as
"pending" (the Projects invoice now holds the tasks), then mirror it into Books (L6) and
link the two. If the mirror fails, the Projects invoice stays pending and `sync` finishes
it; without a customer it stays a draft, as above.

Any failure before the invoice exists releases the claims; a failure after a Books write
deletes (else voids) that Books invoice, so nothing is left half-written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bridge.billing.claims import claimed, compensate, settle_stale, withdraw_invoice
from bridge.billing.lines import claim_keys, confirm_claims, require_lines
from bridge.domain import Invoice, InvoiceLine, Side, Transaction
from bridge.errors import InputError, NotFound
from bridge.store.repo import put_mappings, to_transaction
from bridge.store.tables import TransactionRow
from legacy import customers, expenses, finance
from legacy.ledger import claim_of, forget, is_local, load_invoice, local_id, save_invoice
from legacy.lines import (
    billable_lines,
    books_items,
    content,
    dec,
    head_from_books,
    projects_items,
)
from legacy.state import enabled

if TYPE_CHECKING:
    from bridge.clients.projects import ProjectsClient
    from bridge.context import Context
    from bridge.store.tables import ConnectionRow


def _project(projects: ProjectsClient, project_id: str) -> Mapping[str, Any]:
    try:
        return projects.get_project(project_id)
    except NotFound:
        raise InputError(f"no project {project_id} in the connected portal") from None


def create_invoice(ctx: Context, project_id: str, customer_id: str | None, side: Side) -> Invoice:
    row = enabled(ctx)
    ctx.invoice_item_id()  # no time item: refused here, before either side is written
    settle_stale(ctx, row.id, claim_of)  # tasks a killed run claimed, but never invoiced, are free again
    projects = ctx.projects_of(row)
    project = _project(projects, project_id)
    currency = customers.currency_of(ctx, customer_id)
    client_id = customers.client_of(ctx, row, customer_id)
    if customer_id and client_id is None:  # a client added since the last sync
        customers.learn(ctx, row, projects)
        client_id = customers.client_of(ctx, row, customer_id)
    work = billable_lines(ctx, row, projects, project, currency, client_id)
    require_lines(work, project_id)
    with claimed(ctx.store, row.id, claim_keys(work.lines), side, ctx.clock.now()) as claim:
        draft = Invoice(local_id(claim), project_id, customer_id, currency,
                        "draft" if customer_id is None else "pending", side, tuple(work.lines),
                        left_off=tuple(work.left_off))
        if side is Side.PROJECTS:
            return _from_projects(ctx, row, projects, draft, client_id, claim)
        if customer_id is None:
            _keep_local(ctx, row, draft, None, claim)
            return draft
        return publish(ctx, row, projects, draft, projects_id=None, claim=claim, lookup=False)


def _keep_local(ctx: Context, row: ConnectionRow, inv: Invoice, projects_id: str | None, claim: str) -> None:
    with ctx.store.session() as s:
        save_invoice(s, row.id, inv, projects_id=projects_id, now=ctx.clock.now())
    confirm_claims(ctx.store, row.id, claim, inv.invoice_id)


def _from_projects(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, inv: Invoice,
    client_id: str | None, claim: str,
) -> Invoice:
    made = projects.create_invoice(inv.project_id, {
        "client_id": client_id, "currency_code": inv.currency,
        "line_items": projects_items(inv.lines),
    })
    projects_id = str(made["id"])
    # From here the Projects invoice holds the tasks: keep it (pending) whatever follows.
    _keep_local(ctx, row, inv, projects_id, claim)
    if inv.customer_id is None:
        return inv
    return publish(ctx, row, projects, inv, projects_id=projects_id, claim=inv.invoice_id, lookup=False)


def publish(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, inv: Invoice, *,
    projects_id: str | None, claim: str, lookup: bool,
) -> Invoice:
    """Put an invoice into Books (its customer is known) and re-key our record to it.

    `claim`: the key its task claims are under now (a fresh claim, or its local id).
    `lookup`: first look for a Books invoice an interrupted earlier attempt made.
    """
    assert inv.customer_id is not None
    reference = claim_of(inv.invoice_id)
    made = _find_by_reference(ctx, reference) if lookup else None
    if made is None:
        # the expenses it bills are mirrored first, so Books marks their mirrors invoiced
        mirrors = expenses.ensure_mirrored(ctx, row, projects, inv.project_id, inv.lines)
        made = ctx.books.create_invoice({
            "customer_id": inv.customer_id, "reference_number": reference,
            "line_items": books_items(inv.lines, inv.project_id, mirrors, item_id=ctx.invoice_item_id()),
        })
    books_id = str(made["invoice_id"])
    out = dataclasses.replace(
        inv, invoice_id=books_id, status=str(made.get("status") or "draft"),
        number=str(made.get("invoice_number") or ""),
    )
    # Undo restores the local record when there was one (a draft or a pending mirror).
    restore = (inv, projects_id) if claim == inv.invoice_id else None
    with compensate(lambda: _undo(ctx, row, books_id, restore)):
        if projects_id is not None:
            projects.update_invoice(inv.project_id, projects_id, {"books_invoice_id": books_id})
        now = ctx.clock.now()
        with ctx.store.session() as s:
            forget(s, row.id, "invoice", inv.invoice_id)
            save_invoice(s, row.id, out, projects_id=projects_id, now=now, total=dec(made.get("total")))
            if projects_id is not None:
                put_mappings(s, [{"connection_id": row.id, "kind": "invoice", "projects_id": projects_id,
                                      "books_id": books_id,
                                      # what Books holds now, header included: a Projects-side
                                      # header is then the edit the next reconcile carries over
                                      "fingerprint": content(out.lines, out.customer_id, head_from_books(made)),
                                      "updated_at": now}])
        confirm_claims(ctx.store, row.id, claim, books_id)
    if projects_id is None:
        finance.link(projects, _as_txn(ctx, row, books_id))
    return out


def _as_txn(ctx: Context, row: ConnectionRow, books_id: str) -> Transaction:
    with ctx.store.session() as s:
        t = s.get(TransactionRow, (row.id, "invoice", books_id))
        assert t is not None
        return to_transaction(t)


def _find_by_reference(ctx: Context, reference: str) -> dict[str, Any] | None:
    for found in ctx.books.list_invoices(reference_number=reference):
        if str(found.get("reference_number", reference)) == reference:
            return dict(found)
    return None


def _undo(
    ctx: Context, row: ConnectionRow, books_id: str, restore: tuple[Invoice, str | None] | None,
) -> None:
    """Compensation: the Books invoice goes (a delete Books refuses becomes a void), and our
    record goes back to what it was before."""
    try:
        withdraw_invoice(ctx.books, books_id)
    finally:
        with ctx.store.session() as s:
            forget(s, row.id, "invoice", books_id)
            if restore is not None:
                save_invoice(s, row.id, restore[0], projects_id=restore[1], now=ctx.clock.now())


def finalize_invoice(ctx: Context, invoice_id: str, customer_id: str) -> Invoice:
    """L4: a draft gets its customer (and that customer's expenses) and goes into Books."""
    row = enabled(ctx)
    with ctx.store.session() as s:
        found = load_invoice(s, row.id, invoice_id)
    if found is None:
        raise InputError(f"no legacy invoice {invoice_id}",
                         hint="`bpbridge legacy transactions --project P` lists them")
    inv, trow = found
    if not is_local(inv.invoice_id):
        raise InputError(f"invoice {invoice_id} is already in Books (status {inv.status}); "
                         "only a draft without customer is finalized")
    projects = ctx.projects_of(row)
    currency = customers.currency_of(ctx, customer_id)
    client_id = customers.client_of(ctx, row, customer_id)
    work = billable_lines(
        ctx, row, projects, _project(projects, inv.project_id), currency, client_id, extra_only=True)
    extra: Sequence[InvoiceLine] = work.lines
    ready = dataclasses.replace(inv, customer_id=customer_id, currency=currency,
                                lines=inv.lines + tuple(extra), status="pending", left_off=tuple(work.left_off))
    if trow.projects_id is not None:  # a Projects-side draft: the Projects record gets them too
        projects.update_invoice(inv.project_id, trow.projects_id, {
            "client_id": client_id, "currency_code": currency,
            "line_items": projects_items(ready.lines),
        })
    # the expenses it gains are claimed under the draft's key: publishing confirms them with
    # its tasks, a failure releases only them (the draft's tasks are claimed already)
    with claimed(ctx.store, row.id, claim_keys(extra), inv.origin, ctx.clock.now(), claim=inv.invoice_id):
        return publish(ctx, row, projects, ready, projects_id=trow.projects_id,
                       claim=inv.invoice_id, lookup=True)
