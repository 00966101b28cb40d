"""The comparison as terminal tables (rich): undeclared differences first, then the
declared ones counted per rule with their reasons."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from bridge.compare.diff import change_text
from bridge.compare.result import CompareResult


def print_table(result: CompareResult, console: Console | None = None) -> None:
    console = console or Console()
    comparison = result.comparison
    for mode, failure in result.failures.items():
        if failure:
            console.print(f"[bold red]{mode} stopped:[/] {failure}", soft_wrap=True)
    if comparison.undeclared:
        table = Table(title=f"{result.scenario}: undeclared differences", title_justify="left")
        table.add_column("where", overflow="fold")
        table.add_column("difference", overflow="fold")
        for d in comparison.undeclared:
            table.add_row(d.where, change_text(d))
        console.print(table)
    counts = Counter(str(d.declared) for d in comparison.declared)
    if counts:
        table = Table(title=f"{result.scenario}: declared differences", title_justify="left")
        for col in ("declared difference", "count", "SPEC", "reason"):
            table.add_column(col, overflow="fold")
        for rule_id, n in sorted(counts.items()):
            rule = result.declared.rule(rule_id)
            table.add_row(rule_id, str(n), ", ".join(rule.spec), rule.reason)
        console.print(table)
    verdict = "[green]no undeclared differences[/]" if result.ok else \
        f"[bold red]{len(comparison.undeclared)} undeclared difference(s)[/]"
    console.print(f"{' vs '.join(comparison.modes)}: {verdict}, {len(comparison.declared)} declared")
