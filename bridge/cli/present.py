"""The CLI's one output contract: how each domain type looks in `--json` and in a table.

- money is always `{"amount": "240.00", "currency": "USD"}` in JSON and `240.00 USD` in a
  table (amounts as strings: a float would lose cents);
- ids are named after their kind (`invoice_id`, `expense_id`, `transaction_id`, `task_id`,
  `portal_id`, `record_id` where the kind varies); never a bare `id`;
- timestamps are ISO 8601 in UTC with a `Z` (`2026-12-01T17:49:33Z`), dates `YYYY-MM-DD`;
- every `--json` answer is one JSON object on stdout; a failure is `{"error": {"type",
  "message", "hint", "exit_code", ...}}` on stdout, with the one-line message on stderr too;
- secrets are removed from the structure before it is serialized (never by rewriting text,
  which could break the JSON or hide a record's `key`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from bridge.domain import (
    Connection,
    Expense,
    Invoice,
    InvoiceLine,
    LeftOff,
    ModuleStatus,
    Money,
    Transaction,
)

#: field names whose values are credentials wherever they appear: dropped from any output
SECRET_FIELDS = frozenset({"zsc_key", "access_token", "refresh_token", "client_secret", "password",
                           "authorization", "api_key", "secret"})
HIDDEN = "***"


def money(amount: Decimal | str | int, currency: str) -> dict[str, str]:
    return {"amount": f"{Decimal(str(amount)):.2f}", "currency": currency}


def money_text(value: Mapping[str, str] | Money | None) -> str:
    """`240.00 USD`, the one way a table shows money."""
    if value is None:
        return "-"
    if isinstance(value, Money):
        return str(value)
    return f"{Decimal(value['amount']):.2f} {value['currency']}"


def timestamp(value: dt.datetime | str | None) -> str | None:
    """ISO 8601 UTC with a Z; a naive datetime is taken as UTC (the store keeps UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def invoice_line(line: InvoiceLine, currency: str) -> dict[str, Any]:
    return {"description": line.description, "quantity": str(line.quantity),
            "rate": money(line.rate, currency), "amount": money(line.amount, currency),
            "task_id": line.task_id, "expense_id": line.expense_id,
            "time_entry_ids": list(line.time_entry_ids)}


def left_off(item: LeftOff) -> dict[str, str]:
    return {"kind": item.kind, "record_id": item.record_id, "name": item.name, "code": item.code,
            "reason": item.reason}


def invoice(inv: Invoice) -> dict[str, Any]:
    return {"invoice_id": inv.invoice_id, "number": inv.number, "project_id": inv.project_id,
            "customer_id": inv.customer_id, "status": inv.status, "origin": inv.origin.value,
            "total": money(inv.total.amount, inv.currency),
            "lines": [invoice_line(ln, inv.currency) for ln in inv.lines],
            "left_off": [left_off(x) for x in inv.left_off]}


def expense(exp: Expense) -> dict[str, Any]:
    return {"expense_id": exp.expense_id, "project_id": exp.project_id, "customer_id": exp.customer_id,
            "amount": money(exp.amount.amount, exp.amount.currency), "date": exp.date.isoformat(),
            "description": exp.description, "billable": exp.billable, "side": exp.side.value}


def transaction(t: Transaction) -> dict[str, Any]:
    return {"kind": t.kind.value, "transaction_id": t.transaction_id, "number": t.number,
            "project_id": t.project_id, "customer_id": t.customer_id,
            "total": money(t.total.amount, t.total.currency), "status": t.status, "origin": t.origin.value}


def connection(conn: Connection | None) -> dict[str, Any] | None:
    if conn is None:
        return None
    return {"mode": conn.mode, "portal_id": conn.portal_id, "organization_id": conn.organization_id,
            "email": conn.email, "state": conn.state, "shared": dict(conn.shared),
            "connected_at": timestamp(conn.connected_at)}


def module_status(m: ModuleStatus) -> dict[str, Any]:
    return {"module": m.module, "state": m.state, "last_synced_at": timestamp(m.last_synced_at),
            "fetched": m.fetched, "failed": m.failed}


def jsonable(value: Any) -> Any:
    """Anything a command returns, as plain JSON values under the contract above."""
    shaped = _SHAPES.get(type(value))
    if shaped is not None:
        return jsonable(shaped(value))
    if isinstance(value, Money):
        return money(value.amount, value.currency)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable({f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.repr})
    if hasattr(value, "to_json"):
        return jsonable(value.to_json())
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


_SHAPES: dict[type, Any] = {Invoice: invoice, Expense: expense, Transaction: transaction,
                            Connection: connection, ModuleStatus: module_status, LeftOff: left_off}


def scrub(value: Any, secrets: Iterable[str] = ()) -> Any:
    """`value` with every credential field dropped and every known secret value replaced by
    ***, walking the structure (so the result is still the same JSON shape)."""
    known = tuple(s for s in secrets if s)
    return _scrub(value, known)


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        return {k: _scrub(v, secrets) for k, v in value.items() if str(k).lower() not in SECRET_FIELDS}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, str):
        for s in secrets:
            if s in value:
                value = value.replace(s, HIDDEN)
        return value
    return value


def error_payload(exc_type: str, message: str, exit_code: int, hint: str | None = None,
                  **extra: Any) -> dict[str, Any]:
    """The one shape of a failure under --json."""
    body: dict[str, Any] = {"type": exc_type, "message": message, "exit_code": exit_code}
    if hint:
        body["hint"] = hint
    body.update(extra)
    return {"error": body}
