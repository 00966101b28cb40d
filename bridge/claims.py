"""The billed-once write pattern both modes use around `bridge.billing`'s claims (L8, E9).

    with claimed(store, conn_id, task_ids, side, now) as claim:
        remote = create_remote(reference_number=claim)
        with compensate(lambda: undo_remote(remote)):
            write_store(...)
        confirm_claims(store, conn_id, claim, remote_id)

`claimed` commits the claims before the block (so a racing process fails at once, before
any remote write) and releases them if the block raises; `compensate` undoes a remote write
when what follows it fails, so nothing is left half-written.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from bridge.billing import claim_tasks, release_claims
from bridge.domain import Side
from bridge.store import Store

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
