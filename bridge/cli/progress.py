"""How long work shows itself while it runs, always on stderr (stdout is for the result).

Progress (`progress_for`): library code reports `(task, done, total)` (bridge.progress);
this turns the reports into one of three displays, chosen by --progress:

    bar    a rich bar per task: done/total, percent, rate per second, ETA, elapsed
    plain  one line per task when it starts, one every PLAIN_INTERVAL seconds while it runs,
           and a final one: for CI logs, which keep every line
    off    nothing

`auto` is a bar when stderr is a terminal and nothing otherwise, or with --json; an explicit
bar or plain shows even with --json (it is on stderr). -q turns it off.

Waits (`show_waits`): the `bridge.waits` logger's records as lines on stderr, from the whole
command: at normal verbosity the waits over bridge.progress.NOTICEABLE seconds, with -vv
every one (each retry), with -q none. Under a bar they print above it.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

from bridge.cli.app import App
from bridge.progress import Progress as Callback
from bridge.progress import no_progress, waits

if TYPE_CHECKING:
    from rich.progress import TaskID

#: seconds between two lines of one running task in plain mode
PLAIN_INTERVAL = 5.0


def display_mode(app: App) -> str:
    """bar, plain or off, for this command."""
    if app.progress in ("bar", "plain", "off"):
        return app.progress
    if app.json:
        return "off"
    return "bar" if _stderr_is_terminal() else "off"


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


@contextmanager
def progress_for(app: App, label: str = "", *, keep_finished: bool = True) -> Iterator[Callback]:
    """The callback to hand to long work; its display ends (final lines, bar left in place)
    when the block does, normally or not. `label` goes before each task's name (`verify `:
    the verification's tasks are named as the run's are). Without `keep_finished`, the bar
    drops a task once it is done (a fleet worker's display shows what runs now, not the
    hundreds of tasks it ran)."""
    mode = display_mode(app)
    if mode == "bar":
        with _bar(keep_finished=keep_finished) as callback:
            yield _labelled(callback, label)
    elif mode == "plain":
        lines = PlainLines(_to_stderr)
        try:
            yield _labelled(lines.update, label)
        except BaseException:
            lines.close(stopped=True)
            raise
        lines.close(stopped=False)
    else:
        yield no_progress


def _labelled(callback: Callback, label: str) -> Callback:
    if not label:
        return callback

    def update(name: str, done: int, total: int | None) -> None:
        callback(label + name, done, total)

    return update


def _to_stderr(line: str) -> None:
    click.echo(line, err=True)


# -- bar ---------------------------------------------------------------------------------------
@contextmanager
def _bar(*, keep_finished: bool = True) -> Iterator[Callback]:
    # rich is imported here, not at the top: every command loads this module (for its waits)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        Task,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Count(ProgressColumn):
        """12,000/50,000 (or 12,000 while the total is not known)."""

        def render(self, task: Task) -> Text:
            done = int(task.completed)
            return Text(f"{done:,}/{int(task.total):,}" if task.total is not None else f"{done:,}")

    class Rate(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(per_second(speed) if speed else "")

    # stdout is never redirected: it carries the result, which must not land on stderr
    with Progress(TextColumn("{task.description:<24}"), BarColumn(), Count(), TaskProgressColumn(),
                  Rate(), TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), redirect_stdout=False) as bar:
        tasks: dict[str, TaskID] = {}

        def update(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                # a resumed task starts where it was: its first count is not this run's speed
                tasks[name] = bar.add_task(name, total=total, completed=done)
            else:
                bar.update(tasks[name], completed=done, total=total)
            if not keep_finished and total is not None and done >= total:
                bar.remove_task(tasks.pop(name))

        yield update


# -- plain ------------------------------------------------------------------------------------
@dataclass
class _Task:
    name: str
    first: int
    started: float
    done: int
    total: int | None
    shown: int = -1  # done when its last line was printed
    finished: bool = False

    def rate(self, now: float) -> float | None:
        """Items per second in this run (a resumed task's first count is not its speed); none
        for a task of one step, where a rate says nothing."""
        elapsed = now - self.started
        return (self.done - self.first) / elapsed if elapsed > 0 and self.done - self.first > 1 else None


class PlainLines:
    """Progress as lines: `progress: invoices 12,000/50,000 (24%) 3,100/s ETA 12s`."""

    def __init__(self, write: Callable[[str], None], interval: float = PLAIN_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._write, self._interval, self._clock = write, interval, clock
        self._tasks: dict[str, _Task] = {}
        self._last = clock()
        self._lock = threading.Lock()

    def update(self, name: str, done: int, total: int | None) -> None:
        with self._lock:
            now = self._clock()
            task = self._tasks.get(name)
            if task is None:  # shown as it starts, before its first batch ends
                task = self._tasks[name] = _Task(name, done, now, done, total)
                self._show(task, now)
            task.done, task.total = done, total
            if total is not None and done >= total:
                self._finish(task, now, stopped=False)
            elif now - self._last >= self._interval:
                for t in self._tasks.values():
                    if not t.finished and t.done != t.shown:
                        self._show(t, now)

    def close(self, *, stopped: bool) -> None:
        """The final line of every task not finished yet (stopped: the work was interrupted
        or failed, so they end where they are)."""
        with self._lock:
            now = self._clock()
            for task in self._tasks.values():
                self._finish(task, now, stopped=stopped)

    def _show(self, task: _Task, now: float) -> None:
        if task.total is None and task.done == 0:
            self._write(f"progress: {task.name} started")
            task.shown, self._last = task.done, now
            return
        parts = [f"progress: {task.name} {_count(task.done, task.total)}"]
        rate = task.rate(now)
        if rate:
            parts.append(per_second(rate))
            if task.total is not None and task.total > task.done:
                parts.append(f"ETA {duration((task.total - task.done) / rate)}")
        self._write(" ".join(parts))
        task.shown, self._last = task.done, now

    def _finish(self, task: _Task, now: float, *, stopped: bool) -> None:
        if task.finished:
            return
        task.finished = True
        rate = task.rate(now)
        speed = f" {per_second(rate)}," if rate else ""
        if stopped:
            self._write(f"progress: {task.name} stopped at {_count(task.done, task.total)}")
        else:
            self._write(f"progress: {task.name} {_count(task.done, task.total)}{speed} "
                        f"done in {duration(now - task.started)}")
        self._last = now


def _count(done: int, total: int | None) -> str:
    if total is None:
        return f"{done:,}"
    percent = 100 if total <= 0 else min(100, done * 100 // total)
    return f"{done:,}/{total:,} ({percent}%)"


def per_second(rate: float) -> str:
    """3,100/s, 42/s, 4.3/s, 0.05/s: whole numbers once they are large enough to read so."""
    return f"{rate:,.0f}/s" if rate >= 10 else f"{rate:.2g}/s"


def duration(seconds: float) -> str:
    """12s, 3m05s, 1h02m."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


# -- waits ------------------------------------------------------------------------------------
class _WaitLines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            # looked up per line: under a bar, rich has put its own stderr there (the line
            # then prints above the bar), and a test runner swaps it per command
            stream = sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - a display problem must never stop the work
            self.handleError(record)


def show_waits(app: App) -> Callable[[], None]:
    """Print the command's waits on stderr as its verbosity says; returns the undo (the
    logger is process-wide, and tests run many commands in one process)."""
    if app.verbosity < 0:
        return lambda: None
    level = logging.DEBUG if app.verbosity >= 2 or app.debug else logging.INFO
    handler = _WaitLines(level)
    before = waits.level, waits.propagate
    waits.addHandler(handler)
    waits.setLevel(level)
    waits.propagate = False  # with --debug the root handler would print each wait again

    def undo() -> None:
        waits.removeHandler(handler)
        waits.setLevel(before[0])
        waits.propagate = before[1]

    return undo
