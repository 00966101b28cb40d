"""The Books half's state for one request (no HTTP): every operation of CONTRACTS.md §1.

It is assembled from one part per area so each module stays small: organizations, users and
contacts (`directory`), projects, tasks and time entries (`work`), and invoices, expenses,
estimates and bills (`sales`).
"""

from __future__ import annotations

from sandbox.books.directory import DirectoryState
from sandbox.books.sales import SalesState
from sandbox.books.work import WorkState


class BooksState(DirectoryState, WorkState, SalesState):
    """Books as seen by one caller (`user_id`) of one organization (`org_id`) at `now`."""


__all__ = ["BooksState"]
