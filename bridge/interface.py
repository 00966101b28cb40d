"""What "an integration" is (S1): the one seam both modes implement.

Code that drives an integration (the CLI, the scenario driver, `compare`, the migrator's
checks) holds an `Integration` and never asks which mode it is. `bridge.modes` is the only
place that maps a mode name to an implementation (S2).

Side effects go through the services' HTTP APIs (the clients in `bridge.clients`) and the
state store (`bridge.store`), both reached through the `Context` an integration is built with.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar, Protocol, runtime_checkable

from bridge.domain import (
    Connection,
    Credentials,
    Expense,
    IntegrationStatus,
    Invoice,
    Portal,
    Side,
    SyncReport,
    Transaction,
)


@runtime_checkable
class Integration(Protocol):
    mode: ClassVar[str]

    def portals(self, credentials: Credentials) -> list[Portal]:
        """Portals these credentials may connect (legacy: owned ones; enhanced: admin ones)."""

    def connect(self, credentials: Credentials, portal_id: str) -> Connection:
        """Connect the organization to a portal; refuses wrong keys and wrong roles."""

    def disconnect(self) -> None:
        """Drop the connection (L3); recorded state stays in the store."""

    def status(self) -> IntegrationStatus:
        """Connection and, where the mode has them, per-module sync states (E5)."""

    def sync(self) -> SyncReport:
        """Bring Projects-side changes into Books (legacy: mirroring, enhanced: module sync)."""

    def create_invoice(
        self, project_id: str, customer_id: str | None = None, side: Side = Side.BOOKS
    ) -> Invoice:
        """Invoice a project's unbilled billable work and expenses on either side."""

    def finalize_invoice(self, invoice_id: str, customer_id: str) -> Invoice:
        """Give a draft its customer so that it can be sent (L4)."""

    def record_expense(
        self,
        project_id: str,
        amount: Decimal,
        date: dt.date,
        customer_id: str | None = None,
        description: str = "",
        side: Side = Side.PROJECTS,
    ) -> Expense:
        """Record an expense on one side; the integration makes it visible on the other."""

    def transactions(self, project_id: str) -> list[Transaction]:
        """A project's transactions as the integration knows them (both sides)."""

    def disable(self) -> None:
        """Stop syncing; keep the data (E10)."""

    def reenable(self, portal_id: str) -> Connection:
        """Re-enable, only with the portal connected before (E11, M6)."""
