"""The kinds of record a migration carries, in the order it carries them, and which columns
of what the migration writes `verify` compares (M3).

Every kind lives in one table scoped by `connection_id`; a kind names its key (unique within
a scope) and the columns that make up the record. Run, verify and rollback all read this.

The compared columns are derived from the table metadata: every column is compared unless
`NOT_COMPARED` lists it with its reason (docs/MIGRATION.md, "What verify compares"), so a
column added later is compared by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from bridge.store.tables import (
    BilledTask,
    ConnectionRow,
    IdMap,
    InvoiceLineRow,
    MigrationLeftOut,
    Preferences,
    TransactionRow,
)

#: table -> column -> why verify does not compare it. Everything else the migration writes
#: is compared; tests/migrate/test_verify_columns.py corrupts each compared column in turn.
NOT_COMPARED: dict[str, dict[str, str]] = {
    "connections": {
        "id": "by construction: the run names its target connection (target_connection_id)",
        "changed_at": "a timestamp every state or credential change sets (a no-op disable too); "
                      "the state itself is compared",
    },
    "preferences": {
        "connection_id": "by construction: verify reads the target connection's row",
        "updated_at": "a timestamp the run sets and every preference save moves; the values are compared",
    },
    "id_map": {"connection_id": "by construction: the scope verify reads"},
    "transactions": {"connection_id": "by construction: the scope verify reads"},
    "invoice_lines": {"connection_id": "by construction: the scope verify reads"},
    "billed_tasks": {"connection_id": "by construction: the scope verify reads"},
    "migration_leftouts": {
        "migration_id": "by construction: verify reads the run's left-outs by it",
        "reason": "free text for people, written from the reason code; the code is the rule and is compared",
    },
}

#: Columns of a carried record whose expected value comes from the run, not the legacy row.
FROM_RUN: tuple[str, ...] = ("migration_id",)


@dataclass(frozen=True)
class Kind:
    name: str
    table: Table
    key: tuple[str, ...]
    #: columns copied from the legacy record (compared with it)
    fields: tuple[str, ...]
    #: columns set from the run (compared with it), after `fields`
    from_run: tuple[str, ...] = ()

    @property
    def compared(self) -> tuple[str, ...]:
        """Every compared non-key column, in the order verify reads them."""
        return self.fields + self.from_run

    def key_of(self, row: object) -> tuple[object, ...]:
        return tuple(getattr(row, k) for k in self.key)

    def key_text(self, key: tuple[object, ...]) -> str:
        return "/".join(str(k) for k in key)


def _t(model: object) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def compared_columns(table: Table, key: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The table's columns in declaration order, minus the key and `NOT_COMPARED`."""
    skip = NOT_COMPARED.get(table.name, {})
    return tuple(c.name for c in table.columns if c.name not in key and c.name not in skip)


def _kind(name: str, model: object, key: tuple[str, ...]) -> Kind:
    table = _t(model)
    cols = compared_columns(table, key)
    return Kind(name, table, key, tuple(c for c in cols if c not in FROM_RUN),
                tuple(c for c in cols if c in FROM_RUN))


KINDS: tuple[Kind, ...] = (
    _kind("id_map", IdMap, ("kind", "projects_id")),
    _kind("transactions", TransactionRow, ("kind", "books_id")),
    _kind("invoice_lines", InvoiceLineRow, ("invoice_id", "line_no")),
    _kind("billed_tasks", BilledTask, ("task_id",)),
)
BY_NAME = {k.name: k for k in KINDS}

#: Every table the migration writes that verify checks, with the key verify names a record by.
#: (migration_runs and migration_journal are the run's own bookkeeping, not migrated state.)
WRITTEN: dict[str, tuple[Table, tuple[str, ...]]] = {
    "connection": (_t(ConnectionRow), ("id",)),
    "preferences": (_t(Preferences), ("connection_id",)),
    **{k.name: (k.table, k.key) for k in KINDS},
    "left_out": (_t(MigrationLeftOut), ("kind", "key")),
}
