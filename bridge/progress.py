"""What long work tells whoever runs it: how far it is, and when it waits.

Progress is a callback the caller passes in: `progress(task, done, total)`, `done` being
how many of the task's items are finished so far (not an increment, so a repeated or
resumed report is harmless) and `total` None while unknown. Work calls it with `done=0`
when a task starts, so a display can show the task before its first batch ends.

Waits go to the `bridge.waits` logger, one record per wait: INFO for a wait a person would
notice (over `NOTICEABLE` seconds), DEBUG for the short ones. The message is the whole line
("waiting 60 s: Books answered 429 ..."); the record also carries `wait_seconds`. Nothing
here knows about terminals: the CLI decides what to show (bridge/cli/progress.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

#: (task, done so far, total or None when not known yet)
Progress = Callable[[str, int, "int | None"], None]

waits = logging.getLogger("bridge.waits")

#: seconds: a longer wait is announced at normal verbosity, a shorter one only with -vv
NOTICEABLE = 2.0


def no_progress(task: str, done: int, total: int | None) -> None:
    """The callback of work nobody watches."""


def announce_wait(seconds: float, reason: str) -> None:
    """Log one wait about to start: `reason` says who asked for it and why."""
    level = logging.INFO if seconds > NOTICEABLE else logging.DEBUG
    if waits.isEnabledFor(level):
        waits.log(level, "waiting %s: %s", format_seconds(seconds), reason,
                  extra={"wait_seconds": seconds})


def format_seconds(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
