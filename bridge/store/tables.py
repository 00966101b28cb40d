"""The state store's schema: typed ORM tables shared by both modes and the migrator.

State is scoped by `connection_id`: a legacy connection and the enhanced connection a
migration makes from it live side by side, so converting is copying rows from one scope to
the other, and rolling back is deleting the target scope's rows.

Ids from the services are strings. Money is Numeric with a fixed scale; times are UTC.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bridge.store.types import Amount, Measure, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = String(64)


def key_text(length: int) -> String:
    """A string column that batched reads order by: code-point ("C") collation on
    PostgreSQL, so ORDER BY uses the key's index and matches Python's string order."""
    return String(length).with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")


KeyId = key_text(64)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ConnectionRow(Base):
    """One integration connection (legacy or enhanced) between an organization and a portal."""

    __tablename__ = "connections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[str] = mapped_column(Id)
    portal_id: Mapped[str] = mapped_column(Id)
    email: Mapped[str] = mapped_column(String(320))
    #: connected | disabled | disconnected | migrated
    state: Mapped[str] = mapped_column(String(16))
    #: L10/E2: what setting up shared with Projects.
    shared_name: Mapped[str] = mapped_column(String(200), default="")
    shared_email: Mapped[str] = mapped_column(String(320), default="")
    #: sha256 prefix of the key, to tell "same key" without keeping it here.
    key_fingerprint: Mapped[str] = mapped_column(String(16), default="")
    connected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    migrated_from: Mapped[int | None] = mapped_column(ForeignKey("connections.id"), nullable=True)


class Preferences(Base):
    """E3: modules to sync, the General Timesheets switch, the optional cutoff date."""

    __tablename__ = "preferences"
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    modules: Mapped[list[str]] = mapped_column(JSON)
    general_timesheets: Mapped[bool] = mapped_column(Boolean, default=False)
    cutoff_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class IdMap(Base):
    """A Projects record and the Books record that stands for it."""

    __tablename__ = "id_map"
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    #: customer | project | user | task | bug | time_entry | expense | invoice
    kind: Mapped[str] = mapped_column(key_text(16), primary_key=True)
    projects_id: Mapped[str] = mapped_column(KeyId, primary_key=True)
    books_id: Mapped[str] = mapped_column(Id)
    #: hash of the upstream record as last written: unchanged hash means no write (E14).
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    migration_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    __table_args__ = (Index("ix_id_map_books", "connection_id", "kind", "books_id"),)


class TransactionRow(Base):
    """An invoice, expense, estimate or bill linked to a project, as both sides see it."""

    __tablename__ = "transactions"
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(key_text(16), primary_key=True)
    books_id: Mapped[str] = mapped_column(KeyId, primary_key=True)
    projects_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    project_id: Mapped[str] = mapped_column(Id)  # the Projects project id
    customer_id: Mapped[str | None] = mapped_column(Id, nullable=True)  # Books contact id
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))  # books | projects
    number: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    migration_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    __table_args__ = (Index("ix_transactions_project", "connection_id", "project_id"),)


class InvoiceLineRow(Base):
    __tablename__ = "invoice_lines"
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(KeyId, primary_key=True)  # Books invoice id
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    task_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    expense_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    quantity: Mapped[Decimal] = mapped_column(Measure)
    rate: Mapped[Decimal] = mapped_column(Measure)
    amount: Mapped[Decimal] = mapped_column(Amount)
    migration_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class BilledTask(Base):
    """L8/E9: a task billed once per connection; the primary key is the guarantee.

    A claim is written (invoice_id empty, state 'claimed') and committed before the remote
    invoice is created, so two racing processes cannot both pass: the second insert fails.
    """

    __tablename__ = "billed_tasks"
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    task_id: Mapped[str] = mapped_column(KeyId, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(Id, default="")
    side: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="billed")  # claimed | billed
    billed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    migration_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: host:pid of the process holding a 'claimed' row, so a claim whose process died can be
    #: told from one still at work (bridge.billing.claims.settle_stale_claims)
    holder: Mapped[str | None] = mapped_column(String(120), nullable=True)


class SyncRun(Base):
    """E7: one run of one module."""

    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"))
    module: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # in_progress | synced | failed | interrupted
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    holder: Mapped[str] = mapped_column(String(200), default="")  # host:pid of the syncing process


class SyncError(Base):
    """E8: one error of one record; resolved (not deleted) when a later run fixes it."""

    __tablename__ = "sync_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"))
    module: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(Id)
    record_name: Mapped[str] = mapped_column(String(200), default="")
    reason_code: Mapped[str] = mapped_column(String(48))
    reason: Mapped[str] = mapped_column(Text)
    fix: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    resolved_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"), nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    __table_args__ = (Index("ix_sync_errors_open", "connection_id", "module", "record_id"),)


class MigrationRun(Base):
    __tablename__ = "migration_runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source_connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"))
    target_connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(16))  # running | done | rolled_back
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: the legacy connection's state before migrating, restored by rollback
    source_state: Mapped[str] = mapped_column(String(16), default="connected", server_default="connected")
    #: Projects project ids that existed upstream when the run started (what it judged by)
    upstream_projects: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    #: summary of the services' user-visible data when the run started (M3)
    services_before: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    #: when the target was last re-enabled through the gate (E11/M6, enhanced.setup.reenable);
    #: until then `migrate verify` holds it to its migrated state
    reenabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MigrationLeftOut(Base):
    """M1: a legacy record the migration could not carry over, with the reason."""

    __tablename__ = "migration_leftouts"
    migration_id: Mapped[str] = mapped_column(ForeignKey("migration_runs.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    reason_code: Mapped[str] = mapped_column(String(48))
    reason: Mapped[str] = mapped_column(Text)


class MigrationJournal(Base):
    """M5: progress per step; a batch and its journal update commit together."""

    __tablename__ = "migration_journal"
    migration_id: Mapped[str] = mapped_column(ForeignKey("migration_runs.id"), primary_key=True)
    step: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_key: Mapped[str] = mapped_column(String(200), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LockRow(Base):
    """A named lock that holds across processes (and machines, on a shared server)."""

    __tablename__ = "locks"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder_host: Mapped[str] = mapped_column(String(200))
    holder_pid: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(36))
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ApiUsage(Base):
    """Calls made per service, account and UTC day, so a resumed run knows what is left."""

    __tablename__ = "api_usage"
    service: Mapped[str] = mapped_column(String(16), primary_key=True)
    account: Mapped[str] = mapped_column(Id, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)


__all__ = [
    "ApiUsage", "Base", "BilledTask", "ConnectionRow", "IdMap", "InvoiceLineRow", "LockRow",
    "MigrationJournal", "MigrationLeftOut", "MigrationRun", "Preferences", "SyncError", "SyncRun", "TransactionRow",
    "UniqueConstraint",
]
