"""`sync` in legacy mode: mirror Projects-side invoices and expenses into Books (L6, L7) and
keep edits consistent on both sides.

Direction rules:
- A Projects expense is mastered in Projects: new ones are created in Books, edited ones
  update their Books mirror (`legacy.expenses.mirror`).
- A Projects invoice unknown to us (made in Projects directly) claims its tasks (L8: one
  holding a task already invoiced is not mirrored, it is reported) and is mirrored into
  Books; without a client it stays a local draft until finalized.
- A mirrored invoice is compared on what a user edits (lines, customer, notes, reference
  number, invoice and due dates) against the hash of what was last written to both sides:
  an edit in Books is written back to the Projects record (L6: viewable *and editable* in
  Books); an edit in Projects only is written to Books; when both sides changed, Books wins
  the whole record (the accounting record is the one sent to the customer). Status and
  totals are always taken from Books. The reference round-trips only once the invoice is
  recorded under its Books id (see `_reconcile`): until then it is the billing claim key.
- Books-side invoices and expenses are refreshed from Books and linked into the project's
  Finance view if the link is missing.
- Pending invoices (a mirror or a finalize that failed half-way) are published again.
One sync runs at a time per connection (a named lock); a second one is refused (LockHeld).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from bridge.billing.claims import claimed, settle_stale
from bridge.billing.lines import claim_keys, confirm_claims
from bridge.domain import Invoice, ModuleState, Side, SyncFailure, SyncReport, Transaction, TxnKind
from bridge.errors import AlreadyInvoiced, BridgeError
from bridge.store.locks import NamedLock
from bridge.store.repo import put_mappings, to_transaction, transaction_by_projects_id
from bridge.store.tables import IdMap, SyncRun, TransactionRow
from legacy import customers, expenses, finance
from legacy.invoicing import publish
from legacy.ledger import (
    claim_of,
    is_local,
    load_invoice,
    local_id,
    project_rows,
    rows_of,
    save_invoice,
)
from legacy.lines import (
    books_items,
    content,
    dec,
    from_books,
    from_projects,
    head_changes,
    head_from_books,
    head_from_projects,
    projects_head,
    projects_items,
)
from legacy.state import enabled

if TYPE_CHECKING:
    from bridge.clients.projects import ProjectsClient
    from bridge.context import Context
    from bridge.store.tables import ConnectionRow

MODULES = ("customers", "expenses", "invoices", "links")


@dataclasses.dataclass
class Tally:
    counts: dict[str, Counter[str]] = dataclasses.field(
        default_factory=lambda: {m: Counter() for m in MODULES})
    errors: list[SyncFailure] = dataclasses.field(default_factory=list)

    def run(self, module: str, record_id: str, step: Callable[[], str]) -> None:
        """One record: count its outcome; an error is recorded and the sync goes on."""
        self.counts[module]["fetched"] += 1
        try:
            self.counts[module][step()] += 1
        except BridgeError as exc:
            self.counts[module]["failed"] += 1
            self.errors.append(SyncFailure(module, record_id, _reason(exc), exc.message, exc.hint or _fix(exc)))

    def report(self) -> SyncReport:
        return SyncReport(counts={m: dict(c) for m, c in self.counts.items()}, errors=tuple(self.errors))


def _reason(exc: BridgeError) -> str:
    return "task_already_invoiced" if isinstance(exc, AlreadyInvoiced) else type(exc).__name__


def _fix(exc: BridgeError) -> str:
    if isinstance(exc, AlreadyInvoiced):
        return "remove the already invoiced task's line from the Projects invoice (or void it)"
    return "fix the cause named in the reason; the next sync retries this record"


def sync(ctx: Context) -> SyncReport:
    row = enabled(ctx)
    with NamedLock(ctx.store, f"legacy-sync-{row.id}", ctx.clock):
        started = ctx.clock.now()
        settle_stale(ctx, row.id, claim_of)  # an invoice adoption a killed run left half-claimed is redone
        projects = ctx.projects_of(row)
        tally = Tally()
        tally.counts["customers"]["created"] += customers.learn(ctx, row, projects)
        for project in projects.list_projects():
            pid = str(project["id"])
            for e in projects.list_expenses(pid):
                tally.run("expenses", str(e["id"]),
                          partial(_mirror_expense, ctx, row, projects, pid, e))
            for p in projects.list_invoices(pid):
                tally.run("invoices", str(p["id"]), partial(mirror_invoice, ctx, row, projects, pid, p))
            _refresh_books_side(ctx, row, projects, pid, tally)
        _publish_pending(ctx, row, projects, tally)
        _record_runs(ctx, row, started, tally)
        return tally.report()


def _mirror_expense(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project_id: str,
    e: Mapping[str, Any],
) -> str:
    return expenses.mirror(ctx, row, projects, project_id, {**e, "project_id": project_id})[1]


def mirror_invoice(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project_id: str,
    p: Mapping[str, Any],
) -> str:
    ppid = str(p["id"])
    with ctx.store.session() as s:
        known = transaction_by_projects_id(s, row.id, TxnKind.INVOICE.value, ppid)
        books_id = known.books_id if known else None
    if books_id is None:
        if p.get("books_invoice_id"):
            return "skipped"  # mirrored by another store: never mirror an invoice twice
        return _adopt(ctx, row, projects, project_id, p)
    if is_local(books_id):
        return "unchanged"  # a draft, or pending: `_publish_pending` handles it
    return _reconcile(ctx, row, projects, project_id, p, books_id)


def _adopt(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project_id: str,
    p: Mapping[str, Any],
) -> str:
    """A Projects invoice made in Projects: claim its tasks, keep it, mirror it into Books."""
    ppid = str(p["id"])
    lines = tuple(from_projects(p))
    client = str(p["client_id"]) if p.get("client_id") else None
    customer_id = customers.ensure_customer(ctx, row, projects, client)
    currency = str(p.get("currency_code") or "")
    claim = f"PRJ-INV-{ppid}"
    with claimed(ctx.store, row.id, claim_keys(lines), Side.PROJECTS, ctx.clock.now(), claim=claim):
        inv = Invoice(local_id(claim), project_id, customer_id, currency or _org_currency(ctx),
                      "draft" if customer_id is None else "pending", Side.PROJECTS, lines)
        with ctx.store.session() as s:
            save_invoice(s, row.id, inv, projects_id=ppid, now=ctx.clock.now())
        confirm_claims(ctx.store, row.id, claim, inv.invoice_id)
    if customer_id is not None:
        made = publish(ctx, row, projects, inv, projects_id=ppid, claim=inv.invoice_id, lookup=True)
        _header_to_books(ctx, row, projects, project_id, p, made.invoice_id)
    return "created"


def _header_to_books(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project_id: str,
    p: Mapping[str, Any], books_id: str,
) -> None:
    """`publish` makes the Books invoice from lines and customer, under the claim as its
    reference; the Projects invoice's notes, reference and dates follow at once (L6), by
    the ordinary reconciliation: Books is as published, so Projects' header is the edit."""
    _reconcile(ctx, row, projects, project_id, p, books_id)


def _org_currency(ctx: Context) -> str:
    return str(ctx.books.get_organization()["currency_code"])


def _publish_pending(ctx: Context, row: ConnectionRow, projects: ProjectsClient, tally: Tally) -> None:
    with ctx.store.session() as s:
        pending = [t.books_id for t in rows_of(s, row.id, TxnKind.INVOICE)
                   if is_local(t.books_id) and t.customer_id is not None]
    for local in pending:
        def step(local: str = local) -> str:
            with ctx.store.session() as s:
                found = load_invoice(s, row.id, local)
            if found is None:
                return "unchanged"
            inv, trow = found
            made = publish(ctx, row, projects, inv, projects_id=trow.projects_id, claim=local, lookup=True)
            if trow.projects_id is not None:
                p = projects.get_invoice(inv.project_id, trow.projects_id)
                _header_to_books(ctx, row, projects, inv.project_id, p, made.invoice_id)
            return "created"
        tally.run("invoices", local, step)


def _reconcile(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project_id: str,
    p: Mapping[str, Any], books_id: str,
) -> str:
    """L6 both ways: lines, customer and header (notes, reference, dates) as one record.

    Whichever side differs from the fingerprint last written to both is the edited one; when
    both are, Books wins the whole record. Only what differs is written: Projects gets the
    changed header fields alone (new lines would re-claim its tasks); Books is always sent
    customer and lines, as its API requires on an update.

    The reference number may round-trip here because the invoice is recorded under its Books
    id and its claims are confirmed: nothing looks the claim up by reference any more (the
    lookups in `publish` and `settle_stale` concern invoices not in Books yet). Books' claim
    key itself is never shown as the user's reference (`head_from_books`).
    """
    ppid = str(p["id"])
    b = ctx.books.get_invoice(books_id)
    with ctx.store.session() as s:
        found = load_invoice(s, row.id, books_id)
        m = s.get(IdMap, (row.id, "invoice", ppid))
        last = m.fingerprint if m else ""
    assert found is not None
    inv, _ = found
    b_lines = tuple(from_books(b, inv.lines))
    b_customer = str(b.get("customer_id") or "") or None
    b_head = head_from_books(b)
    p_lines = tuple(from_projects(p))
    p_customer = customers.customer_of(ctx, row, str(p.get("client_id") or "")) or inv.customer_id
    p_head = head_from_projects(p)
    b_fp, p_fp = content(b_lines, b_customer, b_head), content(p_lines, p_customer, p_head)
    same_body = content(b_lines, b_customer) == content(p_lines, p_customer)
    written = False
    if b_fp != p_fp and b_fp != last:  # edited in Books (Books wins a two-sided edit)
        fields: dict[str, Any] = projects_head(head_changes(b_head, p_head))
        if not same_body:
            fields.update(client_id=customers.client_of(ctx, row, b_customer),
                          line_items=projects_items(b_lines))
        if fields:
            projects.update_invoice(project_id, ppid, fields)
        lines, customer, head, written = b_lines, b_customer, b_head, True
    elif b_fp != p_fp:  # edited in Projects only
        b = ctx.books.update_invoice(books_id, {
            "customer_id": p_customer,
            "line_items": books_items(p_lines, project_id, expenses.mirrors_of(ctx, row, p_lines),
                                      item_id=ctx.invoice_item_id()),
            **head_changes(p_head, b_head),
        })
        lines, customer, head, written = p_lines, p_customer, p_head, True
    else:
        lines, customer, head = b_lines, b_customer, b_head
    fresh = dataclasses.replace(inv, lines=lines, customer_id=customer,
                                status=str(b.get("status") or inv.status),
                                number=str(b.get("invoice_number") or inv.number))
    fp = content(lines, customer, head)
    total = dec(b.get("total"))
    if fp == last and fresh == inv and not written:
        return "unchanged"
    now = ctx.clock.now()
    with ctx.store.session() as s:
        save_invoice(s, row.id, fresh, projects_id=ppid, now=now, total=total)
        put_mappings(s, [{"connection_id": row.id, "kind": "invoice", "projects_id": ppid,
                              "books_id": books_id, "fingerprint": fp, "updated_at": now}])
    # a fingerprint caught up with sides that already agree is bookkeeping, not an update
    return "updated" if written or fresh != inv else "unchanged"


def _refresh_books_side(
    ctx: Context, row: ConnectionRow, projects: ProjectsClient, project_id: str, tally: Tally,
) -> None:
    """Books-side invoices: take status/total/lines edits from Books; link what the Finance
    view is missing."""
    def books_side() -> list[TransactionRow]:
        with ctx.store.session() as s:
            return [t for t in project_rows(s, row.id, project_id, Side.BOOKS) if not is_local(t.books_id)]

    mine = books_side()
    if not mine:
        return
    for t in mine:
        if t.kind == TxnKind.INVOICE.value:
            tally.run("invoices", t.books_id, partial(_refresh_one, ctx, row, t.books_id))
    shown = finance.linked_ids(projects, project_id)
    for txn in [to_transaction(t) for t in books_side()]:
        if (txn.kind.value, txn.transaction_id) not in shown:
            tally.run("links", txn.transaction_id, partial(_link, projects, txn))


def _link(projects: ProjectsClient, txn: Transaction) -> str:
    return "created" if finance.link(projects, txn) else "failed_link"


def _refresh_one(ctx: Context, row: ConnectionRow, books_id: str) -> str:
    with ctx.store.session() as s:
        found = load_invoice(s, row.id, books_id)
    if found is None:
        return "unchanged"
    inv, trow = found
    b = ctx.books.get_invoice(books_id)
    fresh = dataclasses.replace(
        inv, lines=tuple(from_books(b, inv.lines)),
        customer_id=str(b.get("customer_id") or "") or inv.customer_id,
        status=str(b.get("status") or inv.status), number=str(b.get("invoice_number") or inv.number),
    )
    total = dec(b.get("total"))
    if fresh == inv and (total is None or total == trow.total):
        return "unchanged"
    with ctx.store.session() as s:
        save_invoice(s, row.id, fresh, projects_id=None, now=ctx.clock.now(), total=total)
    return "updated"


def _record_runs(ctx: Context, row: ConnectionRow, started: dt.datetime, tally: Tally) -> None:
    """One history row per mirrored kind: what `status` shows as last mirrored."""
    ended = ctx.clock.now()
    with ctx.store.session() as s:
        for module in ("expenses", "invoices"):
            c = tally.counts[module]
            s.add(SyncRun(connection_id=row.id, module=module, started_at=started, ended_at=ended,
                          status=(ModuleState.FAILED if c["failed"] else ModuleState.SYNCED).value,
                          fetched=c["fetched"], created=c["created"], updated=c["updated"], skipped=c["skipped"],
                          failed=c["failed"], holder="legacy"))

