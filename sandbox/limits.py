"""Rate limits, off until `POST /_sandbox/limits {"enabled": true}`; windows on the sandbox clock.

Books, per organization: 10 calls in flight (429, 1070), a daily cap by plan (429, 45, "...
exceeded the maximum call rate limit of N"), 100 calls per sliding minute (429, 44).
Projects, per caller: more than 100 calls in 2 minutes locks the caller out for 30 minutes
(429). Refused calls do not count toward a window (a client backing off is not punished twice).
The numbers can be overridden in the control body, e.g. to test a cap with fewer calls.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.db import Tx
from sandbox.errors import Refusal

SETTINGS_KEY = "limits"
DAILY_CAPS = {"free": 1000, "standard": 2000, "professional": 5000, "premium": 10000}
DAY = 86400.0


@dataclass(frozen=True)
class LimitSettings:
    enabled: bool = False
    books_per_minute: int = 100
    books_in_flight: int = 10
    books_daily: dict[str, int] = field(default_factory=lambda: dict(DAILY_CAPS))
    projects_calls: int = 100
    projects_window_seconds: int = 120
    projects_lockout_seconds: int = 1800

    @staticmethod
    def parse(data: dict[str, Any]) -> LimitSettings:
        base = LimitSettings()
        try:
            daily = {**base.books_daily,
                     **{str(k): int(v) for k, v in dict(data.get("books_daily", {})).items()}}
            numbers = {name: int(data.get(name, getattr(base, name))) for name in (
                "books_per_minute", "books_in_flight", "projects_calls",
                "projects_window_seconds", "projects_lockout_seconds")}
        except (TypeError, ValueError) as exc:
            raise ValueError(f"limits: bad value ({exc})") from exc
        if any(v < 1 for v in [*numbers.values(), *daily.values()]):
            raise ValueError("limits: every number must be at least 1")
        return LimitSettings(enabled=bool(data.get("enabled", True)), books_daily=daily,
                             **numbers)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def configure(tx: Tx, settings: LimitSettings) -> None:
    tx.set_meta(SETTINGS_KEY, settings.to_json())


def current(tx: Tx) -> LimitSettings:
    data = tx.meta(SETTINGS_KEY)
    return LimitSettings.parse(data) if data else LimitSettings()


def _hits(tx: Tx, scope: str, key: str, since: float) -> int:
    return int(tx.conn.execute(
        "SELECT count(*) FROM hits WHERE scope=? AND key=? AND ts > ?", (scope, key, since)
    ).fetchone()[0])


def _hit(tx: Tx, scope: str, key: str, ts: float) -> None:
    tx.conn.execute("INSERT INTO hits (scope, key, ts) VALUES (?, ?, ?)", (scope, key, ts))
    # forget what no window looks at any more
    tx.conn.execute("DELETE FROM hits WHERE scope=? AND key=? AND ts < ?", (scope, key, ts - DAY))


def admit_books(tx: Tx, settings: LimitSettings, org_id: str, plan: str,
                now: dt.datetime) -> Refusal | None:
    """Count one Books call in, or answer its refusal; an admitted call must be `release`d.

    Refusals are returned, not raised, so the caller's transaction still commits its counts.
    """
    ts = now.timestamp()
    flying = tx.conn.execute("SELECT n FROM inflight WHERE key=?", (org_id,)).fetchone()
    if flying and flying[0] >= settings.books_in_flight:
        return Refusal(429, 1070, "You have exceeded the maximum number of concurrent API "
                      f"requests ({settings.books_in_flight}). Please try again later.")
    cap = settings.books_daily.get(plan, DAILY_CAPS["premium"])
    midnight = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0,
                                                       microsecond=0).timestamp()
    if _hits(tx, "books", org_id, midnight - 1e-6) >= cap:
        return Refusal(429, 45, "You have made too many requests today. "
                      f"You have exceeded the maximum call rate limit of {cap}.")
    if _hits(tx, "books", org_id, ts - 60) >= settings.books_per_minute:
        return Refusal(429, 44, "You have made too many requests per minute "
                      f"(at most {settings.books_per_minute}). Please try again after a minute.")
    _hit(tx, "books", org_id, ts)
    tx.conn.execute("INSERT INTO inflight (key, n) VALUES (?, 1) "
                    "ON CONFLICT (key) DO UPDATE SET n = n + 1", (org_id,))
    return None


def release(tx: Tx, org_id: str) -> None:
    tx.conn.execute("UPDATE inflight SET n = max(n - 1, 0) WHERE key=?", (org_id,))


def admit_projects(tx: Tx, settings: LimitSettings, caller_key: str,
                   now: dt.datetime) -> Refusal | None:
    ts = now.timestamp()
    until = float(tx.meta(f"lockout:{caller_key}", 0.0))
    if ts < until:
        return Refusal(429, 6429, "Too many requests: you are locked out for "
                      f"{int(until - ts)} more seconds.")
    if _hits(tx, "projects", caller_key, ts - settings.projects_window_seconds) \
            >= settings.projects_calls:
        tx.set_meta(f"lockout:{caller_key}", ts + settings.projects_lockout_seconds)
        return Refusal(429, 6429, f"More than {settings.projects_calls} calls in "
                      f"{settings.projects_window_seconds} seconds: locked out for "
                      f"{settings.projects_lockout_seconds // 60} minutes.")
    _hit(tx, "projects", caller_key, ts)
    return None
