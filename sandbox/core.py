"""`Sandbox`: one stateful imitation of Books, Projects and the accounts server.

All state lives in one SQLite file, so several processes opening the same path see one
world; `path=None` gives a private temporary file, removed on `close()`. The same WSGI app
serves in-process (`transport()`) and on a port (`serve()`), as STYLE.md asks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Self

import httpx

from bridge.clock import Clock, SystemClock
from sandbox import calls, faults, limits, world
from sandbox.app import SandboxApp
from sandbox.db import Body, Db
from sandbox.server import ServerHandle, serve
from sandbox.timekeeper import SandboxClock
from sandbox.transport import SandboxTransport


class Sandbox:
    def __init__(self, path: str | Path | None = None, clock: Clock | None = None,
                 seed: int = 0) -> None:
        self.db = Db(path)
        self.clock = SandboxClock(clock or SystemClock(), self.db)
        self.seed_value = seed  # the fault seed when a faults body names none
        self.app = SandboxApp(self.db, self.clock, default_seed=seed)
        self._servers: list[ServerHandle] = []

    @property
    def path(self) -> Path:
        return self.db.path

    # -- hosting ---------------------------------------------------------------------------
    def transport(self) -> httpx.BaseTransport:
        return SandboxTransport(app=self.app)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on the in-process transport (base URL http://sandbox)."""
        return httpx.Client(transport=self.transport(), base_url="http://sandbox", **kwargs)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
        handle = serve(self.app, host, port, after_request=self.db.release_thread)
        self._servers.append(handle)
        return handle

    # -- the world -------------------------------------------------------------------------
    def seed(self, scenario: dict[str, Any]) -> dict[str, Any]:
        """Replace the world with a scenario's data (both services) and the OAuth client."""
        return world.seed(self.db, self.clock, scenario)

    def reset(self) -> None:
        world.reset(self.db)

    def state(self) -> dict[str, Any]:
        return world.state(self.db)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def set_clock(self, when: dt.datetime) -> dt.datetime:
        return self.clock.set(when)

    def advance(self, seconds: float) -> dt.datetime:
        return self.clock.advance(seconds)

    # -- faults, limits, calls -------------------------------------------------------------
    def set_faults(self, **settings: Any) -> None:
        """Same fields as POST /_sandbox/faults; `seed` defaults to the sandbox's seed."""
        parsed = faults.FaultSettings.parse({"seed": self.seed_value, **settings})
        with self.db.tx(write=True) as tx:
            faults.configure(tx, parsed)

    def clear_faults(self) -> None:
        with self.db.tx(write=True) as tx:
            faults.clear(tx)

    def set_limits(self, enabled: bool = True, **overrides: Any) -> None:
        parsed = limits.LimitSettings.parse({"enabled": enabled, **overrides})
        with self.db.tx(write=True) as tx:
            limits.configure(tx, parsed)

    def calls(self) -> dict[str, Any]:
        with self.db.tx() as tx:
            return calls.report(tx)

    def reset_calls(self) -> None:
        with self.db.tx(write=True) as tx:
            calls.reset(tx)

    # -- single records, "upstream" --------------------------------------------------------
    def record(self, service: str, kind: str, id_: str) -> Body | None:
        with self.db.tx() as tx:
            return tx.get(service, kind, id_)

    def patch_record(self, service: str, kind: str, id_: str, fields: dict[str, Any]) -> Body:
        return world.patch_record(self.db, self.clock.now(), service, kind, id_, fields)

    def add_record(self, service: str, kind: str, body: Body) -> Body:
        return world.insert_record(self.db, self.clock.now(), service, kind, body)

    def delete_record(self, service: str, kind: str, id_: str) -> None:
        world.delete_record(self.db, service, kind, id_)

    # -- lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        for handle in self._servers:
            handle.stop()
        self._servers.clear()
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
