"""What an invoice left off and why, shown the same way by both modes' invoice commands."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from bridge.domain import LeftOff


def left_off_json(items: Iterable[LeftOff]) -> list[dict[str, str]]:
    return [x.to_json() for x in items]


def show_left_off(items: Iterable[Mapping[str, Any]]) -> None:
    """A table of the records the invoice did not bill, with the reason; nothing when none."""
    rows = list(items)
    if not rows:
        return
    table = Table(title=f"Left off ({len(rows)})")
    for column in ("kind", "id", "name", "code", "reason"):
        table.add_column(column, overflow="fold")
    for x in rows:
        table.add_row(x["kind"], x["id"], x["name"], x["code"], x["reason"])
    Console(soft_wrap=True).print(table)
    click.echo("left off: what the billing rule does not allow (docs/BILLING.md)")
