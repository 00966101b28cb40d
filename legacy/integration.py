"""Legacy mode (integrations enabled before 22 Oct 2018) behind the shared interface (S1).

Each part lives in its own module; this class only routes the protocol's calls to them:
connect.py (L1-L3, L10), invoicing.py (L4-L6, L8), expenses.py (L7), mirror.py (sync:
L6/L7 mirroring and edit reconciliation), report.py (L9).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from bridge.capabilities import operation_key
from bridge.context import Context
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
from bridge.store.repo import latest_connection, project_transactions, to_connection
from legacy import connect as connecting
from legacy import customers, expenses, invoicing, mirror
from legacy.report import report
from legacy.state import MODE, recorded
from legacy.status import mirror_modules


class LegacyIntegration:
    mode: ClassVar[str] = MODE

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _require(self, name: str, side: Side | None = None) -> None:
        # bridge.capabilities decides; under --target live this refuses before any call
        self.ctx.require(operation_key(MODE, name, side))

    def portals(self, credentials: Credentials) -> list[Portal]:
        self._require("portals")
        return connecting.owned_portals(self.ctx, credentials)

    def connect(self, credentials: Credentials, portal_id: str) -> Connection:
        self._require("connect")
        row = connecting.connect(self.ctx, credentials, portal_id)
        customers.learn(self.ctx, row, self.ctx.projects_of(row))
        return to_connection(row)

    def disconnect(self) -> None:
        self._require("disconnect")
        connecting.disconnect(self.ctx)

    def status(self) -> IntegrationStatus:
        self._require("status")
        with self.ctx.store.session() as s:
            row = latest_connection(s, MODE)
            if row is None:
                return IntegrationStatus(MODE, None)
            return IntegrationStatus(MODE, to_connection(row), mirror_modules(s, row.id))

    def sync(self, progress: Progress | None = None) -> SyncReport:
        """The mirror reports no progress (its waits still show): `progress` is not called."""
        self._require("sync")
        return mirror.sync(self.ctx)

    def create_invoice(
        self, project_id: str, customer_id: str | None = None, side: Side = Side.BOOKS
    ) -> Invoice:
        self._require("create_invoice", Side(side))
        return invoicing.create_invoice(self.ctx, project_id, customer_id, Side(side))

    def finalize_invoice(self, invoice_id: str, customer_id: str) -> Invoice:
        self._require("finalize")
        return invoicing.finalize_invoice(self.ctx, invoice_id, customer_id)

    def record_expense(
        self,
        project_id: str,
        amount: Decimal,
        date: dt.date,
        customer_id: str | None = None,
        description: str = "",
        side: Side = Side.PROJECTS,
    ) -> Expense:
        self._require("record_expense", Side(side))
        return expenses.record_expense(self.ctx, project_id, Decimal(amount), date, customer_id,
                                       description, Side(side))

    def transactions(self, project_id: str) -> list[Transaction]:
        self._require("transactions")
        row = recorded(self.ctx)
        with self.ctx.store.session() as s:
            return project_transactions(s, row.id, project_id)

    def disable(self) -> None:
        self._require("disable")
        connecting.set_enabled(self.ctx, False)

    def reenable(self, portal_id: str) -> Connection:
        self._require("reenable")
        return connecting.set_enabled(self.ctx, True, portal_id)

    def report(self, project_id: str | None = None) -> dict[str, Any]:
        """L9 (legacy only): invoices and expenses per project, totals per currency."""
        self._require("report")
        return report(self.ctx, project_id)
