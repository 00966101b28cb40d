"""Dual mode communication: Books-side transactions shown in the project's Finance view.

A Books-side invoice or expense is linked to its project in Projects (the link is
idempotent on kind + Books id). A failed link does not undo the transaction: the Books
record and our record are consistent without it, and every `sync` links what is missing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bridge.domain import Transaction
from bridge.errors import ServiceError

if TYPE_CHECKING:
    from bridge.clients.projects import ProjectsClient

log = logging.getLogger(__name__)


def fields(txn: Transaction) -> dict[str, Any]:
    return {
        "kind": txn.kind.value, "books_id": txn.transaction_id, "number": txn.number,
        "total": str(txn.total.amount), "currency_code": txn.total.currency,
        "status": txn.status, "origin": txn.origin.value,
    }


def link(projects: ProjectsClient, txn: Transaction) -> bool:
    try:
        projects.link_transaction(txn.project_id, fields(txn))
    except ServiceError as exc:
        log.warning("could not show %s %s in the Finance view of project %s yet (%s); "
                    "the next sync links it", txn.kind.value, txn.transaction_id, txn.project_id, exc)
        return False
    return True


def linked_ids(projects: ProjectsClient, project_id: str) -> set[tuple[str, str]]:
    """(kind, books_id) of what the project's Finance view shows."""
    return {
        (str(t.get("kind")), str(t.get("books_id")))
        for t in projects.finance(project_id) if t.get("books_id")
    }
