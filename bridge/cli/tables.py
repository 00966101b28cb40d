"""Tables as every command prints them: nothing cut.

Ids, numbers, amounts and timestamps are read and copied whole, so their columns never fold
or crop; when a table is wider than the terminal it is printed at its own width (the
terminal wraps the lines) rather than rich cutting `46000000…`. Piped into a file, the
width is that of the table, unless COLUMNS says otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

#: free-text columns: these may fold onto several lines; every other column stays whole
FOLDING = frozenset({"name", "description", "reason", "what to do", "left out", "detail", "fix", "last error"})
RIGHT = frozenset({"total", "amount", "rate", "quantity", "count", "fetched", "created", "updated",
                   "skipped", "failed", "records", "upstream", "new", "mapped"})


def cell(value: Any) -> str:
    """A value as a table shows it: '-' for nothing, never a Python repr."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def console() -> Console:
    out = Console(soft_wrap=True)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(width=240, soft_wrap=True)
    return out


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                out: Console | None = None) -> None:
    out = out or console()
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for column in columns:
        whole = column not in FOLDING
        table.add_column(column, no_wrap=whole, overflow="fold",
                         justify="right" if column in RIGHT else "left")
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    need = out.measure(table, options=out.options.update_width(1 << 16)).minimum
    (out if need <= out.width else Console(width=need, soft_wrap=True, file=out.file)).print(table)
