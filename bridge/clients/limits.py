"""Pacing calls under a service's documented limits before they are sent.

One `RateLimiter` stands for one account's budget (a Books organization, a Projects caller);
every `ServiceHttp` that spends that budget shares it. Per call it takes an in-flight slot,
counts the call against the UTC day's budget (refusing with `RateLimited` once spent), and
waits on the injectable clock until the sliding window has room.
"""

from __future__ import annotations

import collections
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bridge.clients._backoff import next_utc_midnight
from bridge.clients.usage import MemoryUsage, UsageStore
from bridge.clock import Clock
from bridge.errors import RateLimited
from bridge.progress import announce_wait

#: Books daily call caps per plan [2nd]; plans above Premium share its cap.
BOOKS_PLANS: dict[str, int] = {
    "free": 1000,
    "standard": 2000,
    "professional": 5000,
    "premium": 10000,
    "elite": 10000,
    "ultimate": 10000,
}


@dataclass(frozen=True)
class Limits:
    """`per_window` calls per `window_seconds`; at most `in_flight` at once; `daily` per UTC day."""

    per_window: int
    window_seconds: float
    in_flight: int | None = None
    daily: int | None = None


def books_limits(plan: str = "standard") -> Limits:
    """100 per minute per organization, the plan's daily cap, 5 (free) or 10 in flight."""
    try:
        daily = BOOKS_PLANS[plan.lower()]
    except KeyError:
        raise ValueError(f"unknown Books plan {plan!r}; one of: {', '.join(BOOKS_PLANS)}") from None
    return Limits(
        per_window=100,
        window_seconds=60.0,
        in_flight=5 if plan.lower() == "free" else 10,
        daily=daily,
    )


def projects_limits() -> Limits:
    """100 calls per 2 minutes per caller (more locks the caller out for 30 minutes)."""
    return Limits(per_window=100, window_seconds=120.0)


class RateLimiter:
    """Paces one account's calls; share one instance between everything using that account."""

    def __init__(
        self,
        service: str,
        account: str,
        limits: Limits,
        clock: Clock,
        usage: UsageStore | None = None,
        *,
        skew_seconds: float = 1.0,
    ) -> None:
        self.service, self.account, self.limits = service, account, limits
        self._clock = clock
        self._usage: UsageStore = usage if usage is not None else MemoryUsage()
        # The window is widened a little so clock skew against the service cannot let a
        # 101st call into what the service counts as the same window.
        self._window = dt.timedelta(seconds=limits.window_seconds + skew_seconds)
        self._sent: collections.deque[dt.datetime] = collections.deque()
        self._lock = threading.Lock()
        self._in_flight = threading.BoundedSemaphore(limits.in_flight) if limits.in_flight else None

    @contextmanager
    def slot(self, call: str) -> Iterator[None]:
        """Hold this while one request is in flight; raises `RateLimited` if the day is spent."""
        if self._in_flight is not None:
            self._in_flight.acquire()
        try:
            self._take_daily(call)
            self._pace(call)
            yield
        finally:
            if self._in_flight is not None:
                self._in_flight.release()

    def _take_daily(self, call: str) -> None:
        day = self._clock.now().astimezone(dt.UTC).date()
        if not self._usage.consume(self.service, self.account, day, self.limits.daily):
            resume = self.resume_at()
            raise RateLimited(
                self.service,
                call,
                f"the daily budget of {self.limits.daily} calls for {self.account} is spent; "
                f"calls can resume at {resume.isoformat()} (next UTC midnight)",
                resume_at=resume,
                hint=f"resume the run after {resume.isoformat()}",
            )

    def _pace(self, call: str) -> None:
        while True:
            with self._lock:
                now = self._clock.now()
                horizon = now - self._window
                while self._sent and self._sent[0] <= horizon:
                    self._sent.popleft()
                if len(self._sent) < self.limits.per_window:
                    self._sent.append(now)
                    return
                wait = (self._sent[0] - horizon).total_seconds()
            announce_wait(wait, f"pacing {self.service} calls for {self.account} under its limit of "
                                f"{self.limits.per_window} per {self.limits.window_seconds:g} s "
                                f"(next: {call})")
            self._clock.sleep(wait)  # outside the lock: other threads may read the window

    def spent_today(self) -> None:
        """The service said the day's budget is spent (Books code 45): remember it."""
        if self.limits.daily is not None:
            day = self._clock.now().astimezone(dt.UTC).date()
            self._usage.exhaust(self.service, self.account, day, self.limits.daily)

    def used_today(self) -> int:
        day = self._clock.now().astimezone(dt.UTC).date()
        return self._usage.used(self.service, self.account, day)

    def remaining_today(self) -> int | None:
        """Calls left today, or None when the service has no daily cap."""
        if self.limits.daily is None:
            return None
        return max(self.limits.daily - self.used_today(), 0)

    def resume_at(self) -> dt.datetime:
        return next_utc_midnight(self._clock.now())

    def __repr__(self) -> str:
        return f"RateLimiter({self.service!r}, {self.account!r}, {self.limits!r})"


def books_limiter(
    organization_id: str, clock: Clock, *, plan: str = "standard", usage: UsageStore | None = None
) -> RateLimiter:
    return RateLimiter("Books", organization_id, books_limits(plan), clock, usage)


def projects_limiter(account: str, clock: Clock, *, usage: UsageStore | None = None) -> RateLimiter:
    """`account`: whoever the Projects limit is counted for (the key's user, or the portal)."""
    return RateLimiter("Projects", account, projects_limits(), clock, usage)


class LimiterPool:
    """One limiter per (service, account): every client of an account shares its budget.

    A pool lives as long as the process's clients (e.g. on the Context); building a fresh
    limiter per client would let two clients of one caller each spend the full window.
    """

    def __init__(self, clock: Clock, usage: UsageStore | None = None) -> None:
        self._clock = clock
        self._usage: UsageStore = usage if usage is not None else MemoryUsage()
        self._limiters: dict[tuple[str, str], RateLimiter] = {}
        self._lock = threading.Lock()

    def books(self, organization_id: str, plan: str = "standard") -> RateLimiter:
        return self._get("Books", organization_id, lambda: books_limits(plan))

    def projects(self, account: str) -> RateLimiter:
        return self._get("Projects", account, projects_limits)

    def _get(self, service: str, account: str, limits: Callable[[], Limits]) -> RateLimiter:
        with self._lock:
            key = (service, account)
            if key not in self._limiters:
                self._limiters[key] = RateLimiter(
                    service, account, limits(), self._clock, self._usage
                )
            return self._limiters[key]
