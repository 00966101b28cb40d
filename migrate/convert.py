"""M1: how one legacy record becomes an enhanced one, or is left out with a reason.

Rules (docs/MIGRATION.md says the same for people):
- id maps (customer, expense and invoice mappings) carry over as they are;
- a transaction carries over linked to its project; it is left out when its project no
  longer exists upstream (`project_deleted_upstream`) or when it is a legacy draft that
  never got a customer (`draft_without_customer`: Books cannot hold it);
- an invoice line follows its invoice (`invoice_left_out` when the invoice is left out);
- every billed-task mark carries over, whatever happened to its invoice, so that the
  enhanced integration can never bill a task the legacy one billed (L8 -> E9).

The rules are written twice over one set of reasons: `Converter` judges one row in Python
(the plan, which lists every record), `SqlRules` states the same tests as SQL conditions
(the run, which copies a batch with INSERT ... SELECT and never reads the rows). Each
`Rule` holds its reason once, as a template both render; tests/migrate/test_plan_records.py
holds the two to the same records.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from string import Formatter
from typing import Any

from sqlalchemy import ColumnElement, String, Table, and_, cast, exists, literal, or_, select

from bridge.store.tables import MigrationLeftOut
from migrate.kinds import Kind


@dataclass(frozen=True)
class LeftOut:
    reason_code: str
    reason: str


@dataclass(frozen=True)
class Rule:
    """Why a record is left out: its code, and its reason as a template over the record's columns."""

    code: str
    template: str

    def verdict(self, row: Any) -> LeftOut:
        return LeftOut(self.code, self.template.format_map({f: getattr(row, f) for f in self.fields}))

    @property
    def fields(self) -> list[str]:
        return [name for _, name, _, _ in Formatter().parse(self.template) if name]

    def reason_sql(self, table: Table) -> ColumnElement[str]:
        """The reason the template gives, built in SQL from the row's columns."""
        parts: list[ColumnElement[str]] = []
        for text, name, _, _ in Formatter().parse(self.template):
            if text:
                parts.append(literal(text, String))
            if name:
                parts.append(_as_text(table.c[name]))
        return reduce(operator.add, parts)


DRAFT_WITHOUT_CUSTOMER = Rule(
    "draft_without_customer",
    "{kind} {books_id} is a draft without a customer; finalize it in legacy mode first "
    "(bpbridge legacy invoice finalize)")
PROJECT_DELETED_UPSTREAM = Rule(
    "project_deleted_upstream",
    "project {project_id} no longer exists in Projects; the {kind} stays in Books but cannot be linked to a project")
INVOICE_LEFT_OUT = Rule("invoice_left_out", "its invoice {invoice_id} was left out")


def _as_text(col: ColumnElement[Any]) -> ColumnElement[str]:
    return col if isinstance(col.type, String) else cast(col, String)


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
            return DRAFT_WITHOUT_CUSTOMER.verdict(row)
        if row.project_id not in self.upstream_projects:
            return PROJECT_DELETED_UPSTREAM.verdict(row)
        return None

    def _invoice_lines(self, row: Any) -> LeftOut | None:
        if row.invoice_id in self.left_out_invoices:
            return INVOICE_LEFT_OUT.verdict(row)
        return None

    def _billed_tasks(self, row: Any) -> LeftOut | None:
        return None


@dataclass
class SqlRules:
    """`Converter`'s tests as SQL conditions on a kind's table, for a run that copies in SQL.
    The columns they read are NOT NULL or tested with IS NULL, so a condition is never NULL
    and every row is either carried or left out."""

    migration_id: str
    upstream_projects: Sequence[str]

    def rules(self, kind: Kind) -> list[tuple[ColumnElement[bool], Rule]]:
        """(condition, rule) in the order `Converter` tries them; none when the kind never leaves out."""
        t = kind.table.c
        if kind.name == "transactions":
            return [
                (and_(t.status == "draft", or_(t.customer_id.is_(None), t.customer_id == "")), DRAFT_WITHOUT_CUSTOMER),
                (t.project_id.not_in(list(self.upstream_projects)), PROJECT_DELETED_UPSTREAM),
            ]
        if kind.name == "invoice_lines":
            # the invoices this run left out, as it recorded them (kind "transactions", key "invoice/<id>")
            lo = MigrationLeftOut.__table__.c
            left = exists(select(lo.key).where(lo.migration_id == self.migration_id, lo.kind == "transactions",
                                               lo.key == literal("invoice/", String) + t.invoice_id))
            return [(left, INVOICE_LEFT_OUT)]
        return []

    @staticmethod
    def key_text(kind: Kind) -> ColumnElement[str]:
        """`Kind.key_text` in SQL: the key columns as text, joined by "/"."""
        parts: list[ColumnElement[str]] = []
        for n, name in enumerate(kind.key):
            if n:
                parts.append(literal("/", String))
            parts.append(_as_text(kind.table.c[name]))
        return reduce(operator.add, parts)
