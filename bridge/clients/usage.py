"""Calls made per service, account and UTC day: in memory, or in the state store.

Kept in the store (`ApiUsage` rows), a resumed run knows how much of the day's budget is
left. `consume` checks and counts in one step so that two processes sharing a store cannot
both take the last call.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bridge.errors import StoreError
from bridge.store import Store
from bridge.store.tables import ApiUsage


class UsageStore(Protocol):
    def used(self, service: str, account: str, day: dt.date) -> int:
        """Calls counted so far on `day`."""
        ...

    def consume(self, service: str, account: str, day: dt.date, cap: int | None) -> bool:
        """Count one call if fewer than `cap` were counted (always, if `cap` is None)."""
        ...

    def exhaust(self, service: str, account: str, day: dt.date, cap: int) -> None:
        """The service says the day's budget is spent: count at least `cap` calls."""
        ...


class MemoryUsage:
    """Usage for one process, when there is no store."""

    def __init__(self) -> None:
        self._calls: dict[tuple[str, str, dt.date], int] = {}
        self._lock = threading.Lock()

    def used(self, service: str, account: str, day: dt.date) -> int:
        return self._calls.get((service, account, day), 0)

    def consume(self, service: str, account: str, day: dt.date, cap: int | None) -> bool:
        key = (service, account, day)
        with self._lock:
            calls = self._calls.get(key, 0)
            if cap is not None and calls >= cap:
                return False
            self._calls[key] = calls + 1
            return True

    def exhaust(self, service: str, account: str, day: dt.date, cap: int) -> None:
        key = (service, account, day)
        with self._lock:
            self._calls[key] = max(self._calls.get(key, 0), cap)


class StoreUsage:
    """Usage in the state store's `api_usage` table."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def used(self, service: str, account: str, day: dt.date) -> int:
        try:
            with self._store.session() as s:
                row = s.get(ApiUsage, (service, account, day))
                return row.calls if row else 0
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read API usage: {type(exc).__name__}") from exc

    def consume(self, service: str, account: str, day: dt.date, cap: int | None) -> bool:
        for _ in range(3):  # a racing first insert of the day's row: read it again
            try:
                return self._consume_once(service, account, day, cap)
            except IntegrityError:
                continue
            except SQLAlchemyError as exc:
                raise StoreError(f"cannot count API usage: {type(exc).__name__}") from exc
        raise StoreError("cannot count API usage: the day's row kept changing")

    def _consume_once(self, service: str, account: str, day: dt.date, cap: int | None) -> bool:
        with self._store.session() as s:
            stmt = (
                update(ApiUsage)
                .where(
                    ApiUsage.service == service, ApiUsage.account == account, ApiUsage.day == day
                )
                .values(calls=ApiUsage.calls + 1)
                .execution_options(synchronize_session=False)
            )
            if cap is not None:
                stmt = stmt.where(ApiUsage.calls < cap)  # check and count in one statement
            if cast(CursorResult[object], s.execute(stmt)).rowcount == 1:
                return True
            if s.get(ApiUsage, (service, account, day)) is not None:
                return False  # the row exists, so the cap held it back
            if cap is not None and cap <= 0:
                return False
            s.add(ApiUsage(service=service, account=account, day=day, calls=1))
            s.flush()
            return True

    def exhaust(self, service: str, account: str, day: dt.date, cap: int) -> None:
        try:
            with self._store.session() as s:
                row = s.get(ApiUsage, (service, account, day))
                if row is None:
                    s.add(ApiUsage(service=service, account=account, day=day, calls=cap))
                elif row.calls < cap:
                    row.calls = cap
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot record API usage: {type(exc).__name__}") from exc
