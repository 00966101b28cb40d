"""The legacy connection as the store holds it: find it, require it enabled, write under it.

Legacy keeps one connection row per (organization, portal): reconnecting to the same portal
reuses the row, so the invoiced-task marks (L8) and mirrors recorded under it stay in force.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.errors import NotConnected
from bridge.store.repo import latest_connection, live_connection, require_enabled

if TYPE_CHECKING:
    from bridge.context import Context
    from bridge.store.tables import ConnectionRow

MODE = "legacy"


def current(ctx: Context) -> ConnectionRow:
    """The live (connected or disabled) legacy connection, else NotConnected."""
    with ctx.store.session() as s:
        return live_connection(s, MODE)


def enabled(ctx: Context) -> ConnectionRow:
    """The legacy connection, refusing unless it is connected (not disabled)."""
    row = current(ctx)
    require_enabled(row)
    return row


def recorded(ctx: Context) -> ConnectionRow:
    """The latest legacy connection in any state: what it recorded stays readable after a
    disconnect."""
    with ctx.store.session() as s:
        row = latest_connection(s, MODE)
    if row is None:
        raise NotConnected("no legacy integration was ever connected",
                           hint="run `bpbridge legacy connect` first")
    return row
