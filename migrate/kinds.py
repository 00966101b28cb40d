"""The kinds of record a migration carries, in the order it carries them.

Every kind lives in one table scoped by `connection_id`; a kind names its key (unique within
a scope) and the columns that make up the record. Run, verify and rollback all read this.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from bridge.store.tables import BilledTask, IdMap, InvoiceLineRow, TransactionRow


@dataclass(frozen=True)
class Kind:
    name: str
    table: Table
    key: tuple[str, ...]
    fields: tuple[str, ...]

    def key_of(self, row: object) -> tuple[object, ...]:
        return tuple(getattr(row, k) for k in self.key)

    def key_text(self, key: tuple[object, ...]) -> str:
        return "/".join(str(k) for k in key)


def _t(model: object) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


KINDS: tuple[Kind, ...] = (
    Kind("id_map", _t(IdMap), ("kind", "projects_id"), ("books_id", "fingerprint")),
    Kind("transactions", _t(TransactionRow), ("kind", "books_id"),
         ("projects_id", "project_id", "customer_id", "currency", "total", "status", "origin", "number")),
    Kind("invoice_lines", _t(InvoiceLineRow), ("invoice_id", "line_no"),
         ("description", "task_id", "expense_id", "quantity", "rate", "amount")),
    Kind("billed_tasks", _t(BilledTask), ("task_id",), ("invoice_id", "side", "state")),
)
BY_NAME = {k.name: k for k in KINDS}
