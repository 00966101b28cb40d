"""The state the CLI's commands share, built once by the root group (`ctx.obj`).

Everything heavy (store, sandbox, clients) is built lazily, so `--help` and `fixtures check`
touch nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bridge.errors import NotInPublicApi

if TYPE_CHECKING:
    from bridge.context import Context
    from bridge.interface import Integration
    from bridge.profile import Profile
    from bridge.store import Store
    from sandbox import Sandbox


#: how long work shows its progress: a bar on a terminal, periodic lines, or nothing
PROGRESS_MODES = ("auto", "bar", "plain", "off")


@dataclass
class App:
    db: str | None
    mode: str | None
    target: str
    json: bool
    debug: bool
    profile: str | None = None
    home_dir: Path | None = None
    #: -1 quiet, 0 normal, 1+ verbose
    verbosity: int = 0
    progress: str = "auto"
    _store: Store | None = None
    _sandbox: Sandbox | None = None
    _context: Context | None = None
    _profile: Profile | None = None
    scrub: list[str] = field(default_factory=list)

    @property
    def home(self) -> Path:
        """The folder of the sandbox, secrets and default store: --home, $BRIDGE_HOME, else
        a per-user data folder (never the working directory)."""
        from bridge.store import default_home

        return self.home_dir if self.home_dir is not None else default_home()

    @property
    def store_url(self) -> str:
        from bridge.store import default_url, normalize_url

        return normalize_url(self.db) if self.db else default_url(self.home)

    def store(self) -> Store:
        return self._open_store(create=True)

    def live_profile(self) -> Profile:
        """The live profile (loaded once): refused before anything else is opened when it is
        unusable, e.g. readable by others (bridge.profile)."""
        from bridge.profile import load_profile

        if self._profile is None:
            self._profile = load_profile(self.profile)
        return self._profile

    def _open_store(self, *, create: bool) -> Store:
        from bridge.store import Store

        if self.target == "live":
            self.live_profile()  # its secrets are at stake: checked before the store is touched
        if self._store is None:
            if self.verbosity >= 1:  # before opening: if it fails, the user knows which one
                err(f"store: {shown_url(self.store_url)}; target: {self.target_shown}")
            self._store = Store.open(self.store_url, create=create)
        return self._store

    def store_for_reading(self) -> Store:
        """The store for a command that only reads: an existing one, never made (nor its
        folder); a missing one is refused (NoStore). Later `store()` calls get this one."""

        if self._context is not None:
            return self._context.store  # the context in use holds its store already
        return self._open_store(create=False)
    @property
    def target_shown(self) -> str:
        if self.target == "live":
            return f"live (profile {self.profile})" if self.profile else "live (the default profile)"
        return f"sandbox ({self.home / 'sandbox.db'})"

    def refuse_live(self, tool: str) -> None:
        """Sandbox tools stay in the sandbox: under --target live they would reset or seed the
        local sandbox and then replay writes against the real services. Refused before any call."""
        if self.target == "live":
            raise NotInPublicApi(
                f"`bpbridge {tool}` is a sandbox tool and does not run with --target live "
                "(it would write the scenario's data to the live services)",
                hint=f"drop --target live (or BRIDGE_TARGET=live) to run `bpbridge {tool}` on the sandbox; "
                     "to rehearse against real HTTP, point a live profile's base_url at `bpbridge sandbox serve`")

    def sandbox(self) -> Sandbox:
        from sandbox.wiring import embedded_sandbox

        self.refuse_live("sandbox")  # a net: nothing reaches the local sandbox on a live target
        if self._sandbox is None:
            self._sandbox = embedded_sandbox(self.home)
        return self._sandbox

    def context(self) -> Context:
        from bridge.targets import build_context

        if self._context is None:
            store = self.store()  # first: a store that cannot be used stops the command before the sandbox is made
            sandbox = None if self.target == "live" else self.sandbox()
            profile = self.live_profile() if self.target == "live" else None
            self._context = build_context(self.target, store, self.home, profile=profile, sandbox=sandbox)
        return self._context

    def integration(self, mode: str | None = None) -> Integration:
        from bridge.modes import open_integration

        return open_integration(mode or self.mode, self.context())

    def secret_values(self) -> tuple[str, ...]:
        values = list(self.scrub)
        if self._context is not None:
            values.extend(self._context.secret_values())
        return tuple(v for v in values if v)

    def emit(self, data: Mapping[str, Any], human: Callable[[dict[str, Any]], object] | None = None) -> None:
        """Print a result: one JSON object with --json (or when there is no human view), else
        the human view. Both see the same data: shaped by `present.jsonable` (the output
        contract), the store used added, secrets removed from the structure."""
        from bridge.cli.present import jsonable, scrub

        shaped: dict[str, Any] = jsonable(data)
        if self._store is not None:
            shaped.setdefault("store", shown_url(self.store_url))
        shaped = scrub(shaped, self.secret_values())
        if self.json or human is None:
            click.echo(json.dumps(shaped, indent=2, sort_keys=True))
        else:
            human(shaped)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def shown_url(url: str) -> str:
    """A store URL as it may be printed: its password hidden."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(a URL that does not parse)"


def err(text: str) -> None:
    click.echo(text, err=True)
