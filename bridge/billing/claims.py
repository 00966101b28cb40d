"""The billed-once write pattern both modes use around `bridge.billing.lines`'s claims (L8, E9).

    with claimed(store, conn_id, task_ids, side, now) as claim:
        remote = create_remote(reference_number=claim)
        with compensate(lambda: undo_remote(remote)):
            write_store(...)
        confirm_claims(store, conn_id, claim, remote_id)

`claimed` commits the claims before the block (so a racing process fails at once, before
any remote write) and releases them if the block raises; `compensate` undoes a remote write
when what follows it fails, so nothing is left half-written.

A process killed inside the block cannot release its claims; `settle_stale_claims`, run
before an invoice's lines are worked out, releases those of a dead holder (this host, pid
gone; or any holder after a day) when Books has no invoice under the claim, so the tasks can
be invoiced again. A claim whose invoice did reach Books keeps its tasks: they are billed.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import select

from bridge.billing.lines import claim_tasks, release_claims
from bridge.domain import Side
from bridge.errors import InputError, ServiceError
from bridge.store import Store
from bridge.store.locks import pid_alive
from bridge.store.tables import BilledTask

if TYPE_CHECKING:
    from bridge.clients.books import BooksClient
    from bridge.context import Context

#: a claim older than this is abandoned whoever holds it: an invoice takes seconds to make,
#: and even a run paced under the daily cap gives up (and releases) long before
ABANDONED_AFTER = dt.timedelta(hours=24)

log = logging.getLogger(__name__)


def new_claim_id(prefix: str = "BR") -> str:
    """A claim id short enough to be an invoice's reference_number (Books allows 50)."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


@contextmanager
def claimed(
    store: Store, connection_id: int, task_ids: Sequence[str], side: Side, now: dt.datetime,
    claim: str | None = None,
) -> Iterator[str]:
    """Claim the tasks (AlreadyInvoiced if any is taken); release them if the block fails.

    Claims the block confirmed (`confirm_claims`) are not released: `release_claims` only
    drops rows still in state 'claimed'.
    """
    claim = claim or new_claim_id()
    claim_tasks(store, connection_id, list(task_ids), side, claim, now)
    try:
        yield claim
    except BaseException:
        release_claims(store, connection_id, claim)
        raise


@contextmanager
def compensate(undo: Callable[[], object]) -> Iterator[None]:
    """Run `undo` if the block raises, then re-raise the block's error (not undo's)."""
    try:
        yield
    except BaseException:
        try:
            undo()
        except Exception:  # the original error is the one to report; log the failed undo
            log.exception("compensation failed; the remote record may need a manual clean-up")
        raise


def withdraw_invoice(books: BooksClient, invoice_id: str) -> None:
    """Undo a Books invoice: delete it (Books gives its time entries and expenses back), or
    void it when Books refuses the delete."""
    try:
        books.delete_invoice(invoice_id)
    except ServiceError:
        books.mark_invoice(invoice_id, "void")


def settle_stale_claims(
    store: Store, connection_id: int, now: dt.datetime, invoice_exists: Callable[[str], bool],
) -> list[str]:
    """Release the claims of processes that died inside `claimed`; the claims released.

    `invoice_exists(claim)` says whether Books has an invoice with that reference number:
    such a claim is left as it is (its tasks are billed) and logged.
    """
    with store.session() as s:
        rows = s.execute(select(BilledTask.invoice_id, BilledTask.holder, BilledTask.billed_at).where(
            BilledTask.connection_id == connection_id, BilledTask.state == "claimed")).all()
    holders = {claim: (holder, at) for claim, holder, at in rows}
    released = []
    for claim, (holder, at) in sorted(holders.items()):
        if not _abandoned(holder, at, now):
            continue
        if invoice_exists(claim):
            log.warning("claim %s was left by a process that died after its invoice reached Books; "
                        "its tasks stay billed", claim)
            continue
        release_claims(store, connection_id, claim)
        log.info("released claim %s of a process that died before making its invoice (%s)", claim, holder)
        released.append(claim)
    return released


def _abandoned(holder: str | None, at: dt.datetime, now: dt.datetime) -> bool:
    host, _, pid = (holder or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid)):
        return True
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return now - at > ABANDONED_AFTER


def settle_stale(ctx: Context, connection_id: int,
                 reference_of: Callable[[str], str] = lambda claim: claim) -> list[str]:
    """`settle_stale_claims` with Books asked by reference number: both modes make their
    Books invoice with the claim as its reference (`reference_of` maps a claim key that is
    not itself the reference, such as legacy's local draft ids, to it)."""
    def invoice_exists(claim: str) -> bool:
        reference = reference_of(claim)
        return any(str(i.get("reference_number")) == reference
                   for i in ctx.books.list_invoices(reference_number=reference))

    return settle_stale_claims(ctx.store, connection_id, ctx.clock.now(), invoice_exists)


def require_no_claims_in_flight(ctx: Context, connection_id: int,
                                reference_of: Callable[[str], str] = lambda claim: claim) -> None:
    """Before a migration or rollback moves a connection's task marks: release the claims of
    dead processes, and refuse while a live one is still making its invoice."""
    settle_stale(ctx, connection_id, reference_of)
    with ctx.store.session() as s:
        live = s.execute(select(BilledTask.invoice_id, BilledTask.holder).where(
            BilledTask.connection_id == connection_id, BilledTask.state == "claimed").distinct()).all()
    if live:
        who = ", ".join(f"claim {claim} held by {holder or 'unknown'}" for claim, holder in live[:5])
        raise InputError(f"an invoice is being made right now ({who})",
                         hint="run this again when it has finished; a claim whose process died is released")
