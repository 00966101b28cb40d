"""Domain types shared by both modes: frozen dataclasses, Decimal money, string ids.

No httpx or ORM types here. Ids are the services' ids as strings (18-digit numbers upstream).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")


@dataclass(frozen=True, order=True)
class Money:
    amount: Decimal
    currency: str

    @staticmethod
    def of(amount: str | int | Decimal, currency: str) -> Money:
        return Money(Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP), currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount:.2f} {self.currency}"


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Side(StrEnum):
    BOOKS = "books"
    PROJECTS = "projects"


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    OTHER = "other"


class Mode(StrEnum):
    """The two generations of the integration (S2: bridge.modes maps each to its class)."""

    LEGACY = "legacy"
    ENHANCED = "enhanced"


class ConnectionState(StrEnum):
    """A stored connection's state: the one list (the store keeps the value)."""

    CONNECTED = "connected"
    DISABLED = "disabled"
    DISCONNECTED = "disconnected"
    MIGRATED = "migrated"  # a legacy connection a migration carried to enhanced (M4)


#: connections that still count as the organization's integration (enabled or not)
LIVE_STATES: tuple[ConnectionState, ...] = (ConnectionState.CONNECTED, ConnectionState.DISABLED)


class ModuleState(StrEnum):
    """A sync module's (or legacy mirror kind's) state as status shows it (E5)."""

    SYNCED = "synced"
    FAILED = "failed"
    IN_PROGRESS = "in_progress"
    INTERRUPTED = "interrupted"
    NEVER = "never"


class Module(StrEnum):
    """Enhanced sync modules, in dependency order (E4)."""

    PROJECTS = "projects"
    USERS = "users"
    TASKS = "tasks"
    BUGS = "bugs"
    TIMESHEETS = "timesheets"
    USER_RATES = "user_rates"


MODULE_ORDER: tuple[Module, ...] = tuple(Module)


class TxnKind(StrEnum):
    INVOICE = "invoice"
    EXPENSE = "expense"
    ESTIMATE = "estimate"
    BILL = "bill"


@dataclass(frozen=True)
class Portal:
    portal_id: str
    name: str
    role: Role


@dataclass(frozen=True)
class Expense:
    expense_id: str
    project_id: str
    customer_id: str | None
    amount: Money
    date: dt.date
    description: str = ""
    billable: bool = True
    side: Side = Side.PROJECTS


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    quantity: Decimal
    rate: Decimal
    task_id: str | None = None
    expense_id: str | None = None
    time_entry_ids: tuple[str, ...] = ()

    @property
    def amount(self) -> Decimal:
        return round_money(self.quantity * self.rate)


def lines_total(lines: Iterable[InvoiceLine], currency: str) -> Money:
    """The one invoice total: each line rounded to the cent (as Books shows it), then summed."""
    return Money(round_money(sum((line.amount for line in lines), Decimal(0))), currency)


@dataclass(frozen=True)
class LeftOff:
    """A record an invoice did not bill, and why (bridge.billing.eligibility names the codes)."""

    kind: str  # task | time_log | expense
    record_id: str
    name: str
    code: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.record_id, "name": self.name, "code": self.code,
                "reason": self.reason}


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    project_id: str
    customer_id: str | None
    currency: str
    status: str
    origin: Side
    lines: tuple[InvoiceLine, ...] = ()
    number: str = ""
    #: what the invoice did not bill and why; only on the answer to the create that made it
    left_off: tuple[LeftOff, ...] = field(default=(), compare=False)

    @property
    def total(self) -> Money:
        return lines_total(self.lines, self.currency)


@dataclass(frozen=True)
class Transaction:
    """What a project's Finance view / Books' project transactions list shows."""

    kind: TxnKind
    transaction_id: str
    project_id: str
    customer_id: str | None
    total: Money
    status: str
    origin: Side
    number: str = ""


@dataclass(frozen=True)
class ExpenseAccounts:
    """The Books accounts every expense is booked to and paid from (Books requires both)."""

    account_id: str
    paid_through_account_id: str

    def fields(self) -> dict[str, str]:
        return {"account_id": self.account_id, "paid_through_account_id": self.paid_through_account_id}


@dataclass(frozen=True)
class Credentials:
    """Email + ZSC key of the Projects account. The key never appears in repr."""

    email: str
    zsc_key: str = field(repr=False)


@dataclass(frozen=True)
class Connection:
    mode: str
    portal_id: str
    organization_id: str
    email: str
    state: str  # a ConnectionState value
    shared: dict[str, str] = field(default_factory=dict)  # L10/E2: what we shared with Projects
    connected_at: dt.datetime | None = None


@dataclass(frozen=True)
class ModuleStatus:
    module: str
    state: str  # a ModuleState value
    last_synced_at: dt.datetime | None
    fetched: int = 0
    failed: int = 0


@dataclass(frozen=True)
class IntegrationStatus:
    mode: str
    connection: Connection | None
    modules: tuple[ModuleStatus, ...] = ()

    @property
    def badge(self) -> str:
        if self.connection is None:
            return "Not connected"
        if self.connection.state != ConnectionState.CONNECTED:
            return self.connection.state.capitalize()
        if any(m.state == ModuleState.IN_PROGRESS for m in self.modules):
            return "Sync in Progress"
        return "Active"


@dataclass(frozen=True)
class SyncFailure:
    """One record a sync could not bring over, why, and what to do (E8; legacy's mirror too)."""

    module: str
    record_id: str
    reason_code: str
    reason: str
    fix: str
    record_name: str = ""

    def to_json(self) -> dict[str, str]:
        return {"module": self.module, "record_id": self.record_id, "record_name": self.record_name,
                "reason_code": self.reason_code, "reason": self.reason, "fix": self.fix}


@dataclass(frozen=True)
class SyncReport:
    """What one `sync` did: per module/kind counts, plus failures with reasons."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: tuple[SyncFailure, ...] = ()
