"""How long to wait before trying again: the retry policy, backoff with jitter, Retry-After."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and waits for one call.

    `max_attempts` counts every send (the first included). The n-th retry waits
    `min(cap, base * 2**(n-1))`, stretched by up to `jitter` (a fraction) drawn from a random
    source seeded with `seed`, so runs are repeatable. A `Retry-After` from the service is
    used as given; one longer than `max_wait` is not slept through: the call raises
    `RateLimited` with the resume time, and the caller decides.
    """

    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    jitter: float = 0.1
    seed: int | None = 0
    max_wait: float = 900.0
    #: Books code 44 (per-minute limit) carries no Retry-After: wait for the minute to pass.
    minute_limit_wait: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_cap < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("backoff_base and backoff_cap must be >= 0, jitter within [0, 1]")


class Backoff:
    """The waits of one ServiceHttp: the policy plus its own seeded random source."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self._random = random.Random(policy.seed)

    def delay(self, retry_number: int) -> float:
        """Wait before retry number `retry_number` (1 = the first retry)."""
        p = self.policy
        raw = min(p.backoff_cap, p.backoff_base * 2.0 ** max(retry_number - 1, 0))
        return min(p.backoff_cap, raw * (1 + p.jitter * self._random.random()))


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - now).total_seconds(), 0.0)


def next_utc_midnight(now: dt.datetime) -> dt.datetime:
    """When a per-UTC-day budget starts again."""
    now = now.astimezone(dt.UTC)
    return dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
