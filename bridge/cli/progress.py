"""Progress on a terminal (a bar with records per second); silent with --json or no TTY."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from bridge.cli.app import App

Advance = Callable[[str, int, int], None]


class _RecordsPerSecond(TextColumn):
    def __init__(self) -> None:
        super().__init__("")

    def render(self, task):  # type: ignore[no-untyped-def]
        speed = task.finished_speed or task.speed
        return f"{speed:,.0f} rec/s" if speed else ""


@contextmanager
def progress_for(app: App) -> Iterator[Advance | None]:
    console = Console(stderr=True)
    if app.json or not console.is_terminal:
        yield None
        return
    with Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                  _RecordsPerSecond(), TimeElapsedColumn(), console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], advance=done, total=total)

        yield advance
