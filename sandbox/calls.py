"""Counts of the calls the services received, per service, method and path template.

Tests read them to prove "no write call" (E14) and to check call budgets; every call counts,
refused or not, since a real service would have seen it too.
"""

from __future__ import annotations

from typing import Any

from sandbox.db import Tx

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def record(tx: Tx, service: str, method: str, template: str) -> None:
    tx.conn.execute(
        "INSERT INTO calls (service, method, template, count) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (service, method, template) DO UPDATE SET count = count + 1",
        (service, method, template))


def report(tx: Tx) -> dict[str, Any]:
    rows = tx.conn.execute(
        "SELECT service, method, template, count FROM calls ORDER BY service, template, method"
    ).fetchall()
    calls = [{"service": s, "method": m, "path": t, "count": c} for s, m, t, c in rows]
    totals: dict[str, int] = {}
    writes: dict[str, int] = {}
    for row in calls:
        totals[row["service"]] = totals.get(row["service"], 0) + row["count"]
        if row["method"] in WRITES:
            writes[row["service"]] = writes.get(row["service"], 0) + row["count"]
    return {"calls": calls, "totals": totals, "writes": writes}


def reset(tx: Tx) -> None:
    tx.conn.execute("DELETE FROM calls")
