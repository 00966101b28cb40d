"""The enhanced integration (E1-E14) behind the shared interface (S1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from bridge.capabilities import operation_key
from bridge.context import Context
from bridge.domain import (
    Connection,
    ConnectionState,
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
from bridge.store import repo
from enhanced import (
    bills,
    estimates,
    history,
    preferences,
    setup,
    status,
    sync_errors,
    transactions,
)
from enhanced.sync.engine import run_sync


class EnhancedIntegration:
    mode: ClassVar[str] = "enhanced"

    def __init__(self, ctx: Context, progress: Progress | None = None) -> None:
        self.ctx = ctx
        self.progress = progress

    def _require(self, name: str, side: Side | None = None) -> None:
        # bridge.capabilities decides; under --target live this refuses before any call
        self.ctx.require(operation_key(self.mode, name, side))

    # -- E1-E3, E6 ------------------------------------------------------------------------------
    def portals(self, credentials: Credentials) -> list[Portal]:
        self._require("portals")
        return setup.portals(self.ctx, credentials)

    def connect(self, credentials: Credentials, portal_id: str) -> Connection:
        self._require("connect")
        return setup.connect(self.ctx, credentials, portal_id)

    def disconnect(self) -> None:
        self._require("disconnect")
        setup.set_state(self.ctx, ConnectionState.DISCONNECTED.value)

    def update_credentials(self, email: str | None = None, key: str | None = None) -> Connection:
        self._require("update_credentials")
        return setup.update_credentials(self.ctx, email, key)

    def set_preferences(
        self, modules: Sequence[str] | None = None, general_timesheets: bool | None = None,
        cutoff_date: dt.date | None = None, clear_cutoff: bool = False,
    ) -> preferences.Prefs:
        row = setup.connection_row(self.ctx)
        with self.ctx.store.session() as s:
            return preferences.save(s, row.id, self.ctx.clock.now(), modules=modules,
                                    general_timesheets=general_timesheets, cutoff_date=cutoff_date,
                                    clear_cutoff=clear_cutoff)

    def preferences(self) -> preferences.Prefs:
        row = setup.connection_row(self.ctx)
        with self.ctx.store.session() as s:
            return preferences.load(s, row.id)

    # -- E4, E5, E7, E8 --------------------------------------------------------------------------
    def sync(self, progress: Progress | None = None) -> SyncReport:
        self._require("sync")
        return run_sync(self.ctx, progress or self.progress)

    def status(self) -> IntegrationStatus:
        self._require("status")
        with self.ctx.store.session() as s:
            row = repo.latest_connection(s, self.mode)
            if row is None:
                return IntegrationStatus(self.mode, None)
            return IntegrationStatus(self.mode, repo.to_connection(row), status.module_statuses(s, row.id))

    def history(self, limit: int = 100) -> list[dict[str, Any]]:
        row = setup.connection_row(self.ctx)
        with self.ctx.store.session() as s:
            return history.history(s, row.id, limit)

    def error_summary(self) -> list[dict[str, Any]]:
        row = setup.connection_row(self.ctx)
        with self.ctx.store.session() as s:
            return sync_errors.summary(s, row.id)

    def error_details(self, include_resolved: bool = False) -> list[dict[str, Any]]:
        row = setup.connection_row(self.ctx)
        with self.ctx.store.session() as s:
            return sync_errors.details(s, row.id, include_resolved)

    # -- E9 ----------------------------------------------------------------------------------------
    def create_invoice(self, project_id: str, customer_id: str | None = None, side: Side = Side.BOOKS) -> Invoice:
        self._require("create_invoice", Side(side))
        return transactions.create_invoice(self.ctx, project_id, customer_id, side)

    def finalize_invoice(self, invoice_id: str, customer_id: str) -> Invoice:
        self._require("finalize")
        # enhanced invoices are made with the project's customer; finalizing may only change it
        return transactions.finalize_invoice(self.ctx, invoice_id, customer_id)

    def record_expense(
        self, project_id: str, amount: Decimal, date: dt.date, customer_id: str | None = None,
        description: str = "", side: Side = Side.PROJECTS,
    ) -> Expense:
        self._require("record_expense", Side(side))
        return transactions.record_expense(self.ctx, project_id, amount, date, customer_id, description, side)

    def create_estimate(self, project_id: str, customer_id: str | None = None,
                        side: Side = Side.BOOKS) -> Transaction:
        """Quote what an invoice would bill now; it bills nothing (enhanced only)."""
        self._require("create_estimate", Side(side))
        return estimates.create_estimate(self.ctx, project_id, customer_id, side)

    def record_bill(self, project_id: str, vendor_id: str, amount: Decimal, date: dt.date,
                    description: str = "", side: Side = Side.BOOKS, *, bill_number: str | None = None,
                    billable: bool = True) -> Transaction:
        """A vendor's bill for the project's cost (enhanced only)."""
        self._require("record_bill", Side(side))
        return bills.record_bill(self.ctx, project_id, vendor_id, amount, date, description, side,
                                 bill_number=bill_number, billable=billable)

    def transactions(self, project_id: str) -> list[Transaction]:
        self._require("transactions")
        return transactions.transactions(self.ctx, project_id)

    # -- E10, E11 ----------------------------------------------------------------------------------
    def disable(self) -> None:
        self._require("disable")
        setup.set_state(self.ctx, ConnectionState.DISABLED.value)

    def reenable(self, portal_id: str) -> Connection:
        self._require("reenable")
        return setup.reenable(self.ctx, portal_id)
