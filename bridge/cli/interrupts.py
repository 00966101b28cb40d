"""Ctrl-C: exit 130 (as a shell reports a program stopped by SIGINT), saying what was kept
and which command goes on, never click's "Aborted!" and exit 1.

A long command wraps its work in `resumable`:

    with resumable(app, "migrate run", saved=lambda: migration_saved(app)):
        with progress_for(app) as progress:
            run_migration(ctx, progress=progress)

A KeyboardInterrupt inside becomes `Interrupted`. Its message is read by `saved` once the
work has unwound (transactions rolled back, locks released) while the store is still open:

    interrupted: migration 7f3a... stopped after 12,000 of 50,000 records (committed batches
    are kept); resume with: bpbridge migrate run

With --json the same goes to stdout as one JSON object, `{"error": {"type": "Interrupted",
"message", "resume", "exit_code": 130}}`. A Ctrl-C anywhere else (or at a prompt, which click
turns into Abort) is turned into a plain `Interrupted` by the root group (`interrupted`).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
from click.core import ParameterSource

from bridge.cli.app import App

#: 128 + SIGINT
EXIT_CODE = 130
PROG = "bpbridge"
#: root options that choose the state a command works on: a resume command repeats those
#: given on the command line (those from the environment are still there)
_ROOT_OPTIONS = (("home", "--home"), ("db", "--db"), ("mode", "--mode"), ("target", "--target"),
                 ("profile", "--profile"))


class Interrupted(click.ClickException):
    exit_code = EXIT_CODE

    def __init__(self, message: str, resume: str | None, as_json: bool) -> None:
        super().__init__(message)
        self.resume, self.as_json = resume, as_json

    def to_json(self) -> dict[str, Any]:
        return {"error": {"type": "Interrupted", "message": self.message, "resume": self.resume,
                          "exit_code": self.exit_code}}

    def show(self, file: IO[Any] | None = None) -> None:
        if self.as_json:
            click.echo(json.dumps(self.to_json()))
        tail = f"; resume with: {self.resume}" if self.resume else ""
        click.echo(f"interrupted: {self.message}{tail}", err=True)


@contextmanager
def resumable(app: App, resume: str | None, *, saved: Callable[[], str] | None = None,
              root_options: bool = True) -> Iterator[None]:
    """Turn a Ctrl-C in the block into `Interrupted`: `saved()` says what the work kept,
    `resume` is the command that goes on (after the program name and, with `root_options`,
    the root options this command line gave)."""
    try:
        yield
    except KeyboardInterrupt as exc:
        raise Interrupted(_what_was_saved(saved), resume_command(resume, root_options) if resume else None,
                          app.json) from exc


def _what_was_saved(saved: Callable[[], str] | None) -> str:
    if saved is None:
        return "stopped before it finished"
    try:
        return saved()
    except (Exception, KeyboardInterrupt):  # noqa: BLE001 - a second Ctrl-C, or the store is gone
        return "stopped before it finished (what it had saved could not be read)"


def interrupted(ctx: click.Context) -> Interrupted:
    """A Ctrl-C outside any `resumable` block (the root group's context)."""
    app = ctx.obj if isinstance(ctx.obj, App) else None
    what = " ".join(w for w in (_prog(ctx), ctx.invoked_subcommand) if w)
    return Interrupted(f"`{what}` stopped before it finished", None, bool(app and app.json))


def resume_command(words: str, root_options: bool = True) -> str:
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    parts = [_prog(root)]
    hidden = False
    if root_options and root is not None:
        for name, flag in _ROOT_OPTIONS:
            value = root.params.get(name)
            if value is not None and root.get_parameter_source(name) is ParameterSource.COMMANDLINE:
                if name == "db" and _has_password(str(value)):  # never printed: no command to paste
                    parts += [flag, '"$BRIDGE_DB"']
                    hidden = True
                else:
                    parts += [flag, shlex.quote(str(value))]
    parts.append(words)
    command = " ".join(parts)
    return f"{command}  # with BRIDGE_DB set to the --db URL given (its password is not printed)" if hidden else command


def _prog(root: click.Context | None) -> str:
    name = root.info_name if root is not None else None
    return name if name in ("bpbridge", "bridge", "python -m bridge") else PROG


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password is not None
    except (ArgumentError, ValueError):  # a path, not a URL
        return False
