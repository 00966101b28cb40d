"""What an invoice left off and why, shown the same way by both modes' invoice commands."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import click

from bridge.cli.tables import print_table


def show_left_off(items: Iterable[Mapping[str, Any]]) -> None:
    """A table of the records the invoice did not bill, with the reason; nothing when none."""
    rows = list(items)
    if not rows:
        return
    print_table(f"Left off ({len(rows)})", ["kind", "id", "name", "code", "reason"],
                [(x["kind"], x["record_id"], x["name"], x["code"], x["reason"]) for x in rows])
    click.echo("left off: what the billing rule does not allow (docs/BILLING.md)")
