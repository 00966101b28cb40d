"""What "an integration" is (S1): the one seam both modes implement.

Code that drives an integration (the CLI, the scenario driver, `compare`, the migrator's
checks) holds an `Integration` and never asks which mode it is. `bridge.modes` is the only
place that maps a mode name to an implementation (S2).

What only one mode does is declared here too, as its own protocol (`HasPreferences`,
`HasReports`, `HasSyncRecords`, `HasEstimatesAndBills`): a caller narrows with `isinstance`,
and a mode simply lacks what it does not do (no method that raises NotImplementedError).

Side effects go through the services' HTTP APIs (the clients in `bridge.clients`) and the
state store (`bridge.store`), both reached through the `Context` an integration is built with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar, Protocol, runtime_checkable

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
from bridge.progress import Progress


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

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """Bring Projects-side changes into Books (legacy: mirroring, enhanced: module sync);
        `progress` hears of the work where the mode counts it (bridge.progress)."""

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


class SyncPreferences(Protocol):
    """What to sync (E3), as an integration with preferences answers it."""

    @property
    def modules(self) -> tuple[str, ...]: ...

    @property
    def general_timesheets(self) -> bool: ...

    @property
    def cutoff_date(self) -> dt.date | None: ...

    def to_json(self) -> dict[str, object]: ...


@runtime_checkable
class HasPreferences(Protocol):
    """Sync preferences (E3: enhanced only); a change applies at the next sync."""

    def preferences(self) -> SyncPreferences: ...

    def set_preferences(
        self, modules: Sequence[str] | None = None, general_timesheets: bool | None = None,
        cutoff_date: dt.date | None = None, clear_cutoff: bool = False,
    ) -> SyncPreferences: ...


@runtime_checkable
class HasReports(Protocol):
    """Invoices and expenses per project with totals per currency (L9: legacy only)."""

    def report(self, project_id: str | None = None) -> dict[str, Any]: ...


@runtime_checkable
class HasSyncRecords(Protocol):
    """Sync history, the error summary and details, and a key/email change (E6-E8: enhanced)."""

    def history(self, limit: int = 100) -> list[dict[str, Any]]: ...

    def error_summary(self) -> list[dict[str, Any]]: ...

    def error_details(self, include_resolved: bool = False) -> list[dict[str, Any]]: ...

    def update_credentials(self, email: str | None = None, key: str | None = None) -> Connection: ...


@runtime_checkable
class HasEstimatesAndBills(Protocol):
    """Estimates and vendor bills for synced projects (E9: enhanced only)."""

    def create_estimate(self, project_id: str, customer_id: str | None = None,
                        side: Side = Side.BOOKS) -> Transaction: ...

    def record_bill(self, project_id: str, vendor_id: str, amount: Decimal, date: dt.date,
                    description: str = "", side: Side = Side.BOOKS, *, bill_number: str | None = None,
                    billable: bool = True) -> Transaction: ...
