"""A named lock that holds across processes, and across machines on a shared server.

The `locks` row says who holds it (host, pid, since when). On PostgreSQL a session-level
advisory lock is the real guard: it dies with the holder's connection, so a killed holder
frees it and the row is taken over. On SQLite the row is the guard, and a holder on this
host whose pid is gone (or whose heartbeat is stale) is taken over.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import time
import uuid
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, delete, select, text, update
from sqlalchemy.exc import IntegrityError

from bridge.clock import Clock, SystemClock
from bridge.errors import LockHeld
from bridge.store import Store
from bridge.store.errors import store_errors
from bridge.store.tables import LockRow

STALE_AFTER = dt.timedelta(minutes=10)
DEAD_HOLDER_GRACE = 5.0  # seconds


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class NamedLock:
    def __init__(self, store: Store, name: str, clock: Clock | None = None) -> None:
        self.store, self.name = store, name
        self.clock = clock or SystemClock()
        self.token = str(uuid.uuid4())
        self.host, self.pid = socket.gethostname(), os.getpid()
        self._pg_conn: Connection | None = None

    def acquire(self) -> Self:
        if self.store.dialect == "postgresql":
            with store_errors(self.store.engine.url):  # a lost server: a StoreError, the connection closed
                try:
                    self._acquire_advisory()
                except BaseException:
                    if self._pg_conn is not None:
                        self._pg_conn.close()
                        self._pg_conn = None
                    raise
        try:
            self._claim_row()
        except LockHeld:
            self._release_advisory()
            raise
        return self

    def _acquire_advisory(self) -> None:
        self._pg_conn = self.store.engine.connect()
        got = self._try_advisory()
        if not got and self._holder_gone():
            # A killed holder's session ends a moment after its socket closes: wait for
            # PostgreSQL to notice rather than refuse a lock nobody holds.
            deadline = time.monotonic() + DEAD_HOLDER_GRACE
            while not got and time.monotonic() < deadline:
                time.sleep(0.1)
                got = self._try_advisory()
        if not got:
            raise self._held(self._holder())

    def _try_advisory(self) -> bool:
        assert self._pg_conn is not None
        got = bool(self._pg_conn.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": _advisory_key(self.name)}).scalar())
        self._pg_conn.commit()
        return got

    def _holder_gone(self) -> bool:
        row = self._holder()
        return row is not None and row.holder_host == self.host and not pid_alive(row.holder_pid)

    def _holder(self) -> LockRow | None:
        with self.store.session() as s:
            return s.get(LockRow, self.name)

    def _held(self, row: LockRow | None) -> LockHeld:
        if row is None:
            return LockHeld(f"lock {self.name!r} is held by another process")
        return LockHeld(
            f"lock {self.name!r} is held by pid {row.holder_pid} on {row.holder_host} "
            f"since {row.acquired_at.isoformat(timespec='seconds')}",
            hint="wait for it to finish; a holder that died is taken over automatically",
        )

    def _claim_row(self) -> None:
        now = self.clock.now()
        values: dict[str, Any] = {
            "holder_host": self.host, "holder_pid": self.pid, "token": self.token,
            "acquired_at": now, "heartbeat_at": now,
        }
        try:
            with self.store.session() as s:
                s.add(LockRow(name=self.name, **values))
            return
        except IntegrityError:
            pass
        with self.store.session() as s:
            row = s.get(LockRow, self.name, with_for_update=True)
            if row is None or self._is_dead(row, now):
                old = row.token if row else None
                if row is None:
                    s.add(LockRow(name=self.name, **values))
                else:
                    res = s.execute(
                        update(LockRow).where(LockRow.name == self.name, LockRow.token == old).values(**values)
                    )
                    if res.rowcount != 1:  # type: ignore[attr-defined]
                        raise self._held(row)
                return
            raise self._held(row)

    def _is_dead(self, row: LockRow, now: dt.datetime) -> bool:
        if self._pg_conn is not None:
            return True  # we hold the advisory lock: whoever wrote the row is gone
        if row.holder_host == self.host:
            return not pid_alive(row.holder_pid)
        return now - row.heartbeat_at > STALE_AFTER

    def heartbeat(self) -> None:
        with self.store.session() as s:
            s.execute(
                update(LockRow).where(LockRow.name == self.name, LockRow.token == self.token)
                .values(heartbeat_at=self.clock.now())
            )

    def release(self) -> None:
        with self.store.session() as s:
            s.execute(delete(LockRow).where(LockRow.name == self.name, LockRow.token == self.token))
        self._release_advisory()

    def _release_advisory(self) -> None:
        if self._pg_conn is not None:
            self._pg_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _advisory_key(self.name)})
            self._pg_conn.commit()
            self._pg_conn.close()
            self._pg_conn = None

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def current_holder(store: Store, name: str) -> LockRow | None:
    with store.session() as s:
        return s.execute(select(LockRow).where(LockRow.name == name)).scalar_one_or_none()


def lock_alive(store: Store, name: str, clock: Clock) -> bool:
    """Whether a live process holds the lock: a holder on this host whose pid is gone holds
    nothing, nor one elsewhere whose heartbeat is older than STALE_AFTER (as `acquire` judges
    a holder it may take over)."""
    row = current_holder(store, name)
    if row is None:
        return False
    if row.holder_host == socket.gethostname():
        return pid_alive(row.holder_pid)
    return clock.now() - row.heartbeat_at <= STALE_AFTER
