"""The sandbox's notion of now: the injected Clock, moved by `POST /_sandbox/clock`.

A clock that can be moved (a FakeClock: it has `set` and `advance`) is moved itself, so a test
holding the same clock sees the change. Any other clock (the system clock) gets an offset kept
in the database, so every process on the same file agrees on the sandbox's time.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

from bridge.clock import Clock
from sandbox.db import Db

OFFSET_KEY = "clock_offset_seconds"


@runtime_checkable
class MovableClock(Protocol):
    def now(self) -> dt.datetime: ...

    def set(self, when: dt.datetime) -> None: ...

    def advance(self, seconds: float) -> None: ...


class SandboxClock:
    def __init__(self, base: Clock, db: Db) -> None:
        self.base = base
        self.db = db

    def now(self) -> dt.datetime:
        offset = float(self.db.read_meta(OFFSET_KEY, 0.0))
        now = self.base.now()
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.UTC)
        return now + dt.timedelta(seconds=offset)

    def set(self, when: dt.datetime) -> dt.datetime:
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        if isinstance(self.base, MovableClock):
            self.base.set(when)
            self._store_offset(0.0)
        else:
            self._store_offset((when - self.base.now()).total_seconds())
        return self.now()

    def advance(self, seconds: float) -> dt.datetime:
        if isinstance(self.base, MovableClock):
            self.base.advance(seconds)
        else:
            with self.db.tx(write=True) as tx:
                tx.set_meta(OFFSET_KEY, float(tx.meta(OFFSET_KEY, 0.0)) + seconds)
        return self.now()

    def _store_offset(self, seconds: float) -> None:
        with self.db.tx(write=True) as tx:
            tx.set_meta(OFFSET_KEY, seconds)
