"""Tables never cut an id, an amount or a timestamp (issue 15: `46000000…` at 80 columns)."""

from __future__ import annotations

import io

from rich.console import Console

from bridge.cli.tables import cell, print_table

INVOICE = "460000000000000123"
WHEN = "2026-12-01T17:49:33Z"


def test_a_narrow_terminal_gets_whole_ids_and_timestamps() -> None:
    out = io.StringIO()
    narrow = Console(file=out, width=40, force_terminal=False)
    print_table("Invoices", ["invoice", "when", "description", "total"],
                [(INVOICE, WHEN, "a long description that may fold onto several lines", "1,710.00 USD")], out=narrow)
    text = out.getvalue()
    assert INVOICE in text and WHEN in text and "1,710.00 USD" in text
    assert "…" not in text


def test_a_cell_is_never_a_python_repr() -> None:
    assert [cell(None), cell(""), cell(True), cell(False), cell(12)] == ["-", "-", "yes", "no", "12"]
