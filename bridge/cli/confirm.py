"""Safe by default: a command that deletes, disconnects, disables or un-bills says what it
will do and asks first.

    @confirm_option
    def rollback(app: App, yes: bool) -> None:
        confirm(app, yes, "roll back migration 3", ["...what it deletes...", "...what it keeps..."])

`--yes` (`-y`) skips the question. Without a terminal on stdin (CI, a pipe, a cron job) and
without `--yes` the command refuses (exit 2, a JSON error under `--json`) before it changes
anything: a script never hangs on a prompt and never acts on a question nobody read. The
question and the description go to stderr, so stdout stays one JSON document.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from bridge.cli.app import App
from bridge.errors import BridgeError, InputError

F = TypeVar("F", bound=Callable[..., Any])


class ConfirmationRequired(InputError):
    """A destructive command with no `--yes` and no terminal to ask on: refused, nothing changed."""

    def __init__(self, action: str, would: Sequence[str]) -> None:
        super().__init__(
            f"refusing to {action} without confirmation: stdin is not a terminal and --yes was not "
            "given; nothing was changed",
            hint="rerun with --yes to confirm (after reading what it will do)")
        self.would = list(would)

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "would": self.would}


class Cancelled(BridgeError):
    """The user answered no: nothing changed (exit 1)."""


def confirm_option(f: F) -> F:
    """The `--yes/-y` flag of a destructive command (the value arrives as `yes`)."""
    return click.option("--yes", "-y", "yes", is_flag=True,
                        help="Do it without asking (required when stdin is not a terminal).")(f)


def stdin_is_tty() -> bool:
    """Whether a question can be asked (a function, so tests can pretend there is a terminal)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def confirm(app: App, yes: bool, action: str, would: Sequence[str]) -> None:
    """Return if the user agreed to `action` (or passed --yes); raise otherwise.

    `action` completes "refusing to ..." and "... ?" (e.g. "roll back migration 3");
    `would` is one or two lines of what it will do, shown before the question and in a refusal.
    """
    if yes:
        return
    if not stdin_is_tty():
        if not app.json:
            for line in would:
                click.echo(f"would: {line}", err=True)
        raise ConfirmationRequired(action, would)
    for line in would:
        click.echo(line, err=True)
    if not click.confirm(f"{action[:1].upper()}{action[1:]}?", default=False, err=True):
        raise Cancelled(f"cancelled: did not {action}; nothing was changed")
