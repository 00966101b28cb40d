"""`@reads_store`: marks a command that only reads the state store.

Such a command opens an existing store and never makes one, nor its folder: run where there
is none (a mistyped --db or --home, a first run), it is refused with "no store at PATH"
before anything else happens (no sandbox, no call), instead of leaving an empty store behind.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

from bridge.cli.app import App

F = TypeVar("F", bound=Callable[..., Any])


def reads_store(f: F) -> F:
    """Put it anywhere under the command's decorator (`@group.command()`)."""

    @functools.wraps(f)
    def opened_for_reading(*args: Any, **kwargs: Any) -> Any:
        app = click.get_current_context().find_object(App)
        if app is not None:
            app.store_for_reading()
        return f(*args, **kwargs)

    return cast(F, opened_for_reading)
