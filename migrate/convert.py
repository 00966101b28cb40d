"""M1: how one legacy record becomes an enhanced one, or is left out with a reason.

Rules (docs/MIGRATION.md says the same for people):
- id maps (customer, expense and invoice mappings) carry over as they are;
- a transaction carries over linked to its project; it is left out when its project no
  longer exists upstream (`project_deleted_upstream`) or when it is a legacy draft that
  never got a customer (`draft_without_customer`: Books cannot hold it);
- an invoice line follows its invoice (`invoice_left_out` when the invoice is left out);
- every billed-task mark carries over, whatever happened to its invoice, so that the
  enhanced integration can never bill a task the legacy one billed (L8 -> E9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.kinds import Kind


@dataclass(frozen=True)
class LeftOut:
    reason_code: str
    reason: str


@dataclass
class Converter:
    target_connection: int
    migration_id: str
    upstream_projects: frozenset[str]
    left_out_invoices: set[str]

    def convert(self, kind: Kind, row: Any) -> dict[str, Any] | LeftOut:
        verdict: LeftOut | None = getattr(self, f"_{kind.name}")(row)
        if verdict is not None:
            return verdict
        record: dict[str, Any] = row._asdict()
        record["connection_id"] = self.target_connection
        record["migration_id"] = self.migration_id
        return record

    def _id_map(self, row: Any) -> LeftOut | None:
        return None

    def _transactions(self, row: Any) -> LeftOut | None:
        if row.status == "draft" and not row.customer_id:
            return LeftOut("draft_without_customer",
                           f"{row.kind} {row.books_id} is a draft without a customer; "
                           "finalize it in legacy mode first (bpbridge legacy invoice finalize)")
        if row.project_id not in self.upstream_projects:
            return LeftOut("project_deleted_upstream",
                           f"project {row.project_id} no longer exists in Projects; the {row.kind} "
                           "stays in Books but cannot be linked to a project")
        return None

    def _invoice_lines(self, row: Any) -> LeftOut | None:
        if row.invoice_id in self.left_out_invoices:
            return LeftOut("invoice_left_out", f"its invoice {row.invoice_id} was left out")
        return None

    def _billed_tasks(self, row: Any) -> LeftOut | None:
        return None
