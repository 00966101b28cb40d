"""The limiter paces before sending, caps in-flight calls, and keeps the day's budget."""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import time

import httpx
import pytest

from bridge.clients import (
    LimiterPool,
    Limits,
    MemoryUsage,
    RateLimiter,
    StoreUsage,
    books_limiter,
    books_limits,
    projects_limiter,
)
from bridge.clock import FakeClock
from bridge.errors import RateLimited
from bridge.store import Store

from ._support import ORG, books_http, projects_http, reply

OK = {"code": 0, "message": "success", "invoice": {}}


def busiest_window(times: list[dt.datetime], seconds: float) -> int:
    """Most sends in any closed window [t, t + seconds]."""
    span = dt.timedelta(seconds=seconds)
    return max(bisect.bisect_right(times, t + span) - i for i, t in enumerate(times))


def test_books_calls_stay_under_100_in_any_minute(clock: FakeClock) -> None:
    sent: list[dt.datetime] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now())
        return reply(200, OK)

    http = books_http(handler, clock, limiter=books_limiter(ORG, clock, plan="premium"))
    for _ in range(250):
        http.request("GET", "/invoices/1")
    assert len(sent) == 250
    assert busiest_window(sent, 60) == 100
    assert (sent[-1] - sent[0]).total_seconds() < 2 * 61 + 1  # paced, not stalled
    assert clock.slept  # the waiting went through the clock


def test_projects_calls_stay_under_100_in_two_minutes(clock: FakeClock) -> None:
    sent: list[dt.datetime] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now())
        return reply(200, {"users": []})

    http = projects_http(handler, clock, limiter=projects_limiter("user-1", clock))
    for _ in range(150):
        http.request("GET", "/portal/1/users/")
    assert busiest_window(sent, 120) == 100


def test_the_daily_budget_is_refused_before_sending(clock: FakeClock) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return reply(200, OK)

    limiter = RateLimiter("Books", ORG, Limits(per_window=100, window_seconds=60, daily=3), clock)
    http = books_http(handler, clock, limiter=limiter)
    for _ in range(3):
        http.request("GET", "/invoices/1")
    assert limiter.remaining_today() == 0
    with pytest.raises(RateLimited) as info:
        http.request("GET", "/invoices/2")
    assert len(sent) == 3
    assert info.value.resume_at == dt.datetime(2026, 1, 6, tzinfo=dt.UTC)
    assert info.value.call == "GET /invoices/2"
    assert "daily budget of 3 calls" in str(info.value) and "2026-01-06T00:00:00+00:00" in str(
        info.value
    )
    clock.set(dt.datetime(2026, 1, 6, 0, 0, 1, tzinfo=dt.UTC))
    http.request("GET", "/invoices/2")
    assert len(sent) == 4


@pytest.mark.store
def test_usage_in_the_store_survives_a_restart(store: Store, clock: FakeClock) -> None:
    limits = Limits(per_window=100, window_seconds=60, daily=5)
    first = RateLimiter("Books", ORG, limits, clock, StoreUsage(store))
    with first.slot("GET /a"), first.slot("GET /b"):
        pass
    with first.slot("GET /c"):
        pass
    resumed = RateLimiter("Books", ORG, limits, clock, StoreUsage(store))  # a new run
    assert resumed.used_today() == 3 and resumed.remaining_today() == 2
    for _ in range(2):
        with resumed.slot("GET /d"):
            pass
    with pytest.raises(RateLimited), resumed.slot("GET /e"):
        pass
    assert StoreUsage(store).used("Books", ORG, clock.now().date()) == 5
    other = RateLimiter("Books", "other-org", limits, clock, StoreUsage(store))
    assert other.remaining_today() == 5  # counted per organization


@pytest.mark.store
def test_a_daily_cap_answer_is_remembered_in_the_store(store: Store, clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return reply(
            429, {"code": 45, "message": "You have exceeded the maximum call rate limit of 1000."}
        )

    limiter = books_limiter(ORG, clock, plan="free", usage=StoreUsage(store))
    with pytest.raises(RateLimited):
        books_http(handler, clock, limiter=limiter).request("GET", "/invoices")
    resumed = books_limiter(ORG, clock, plan="free", usage=StoreUsage(store))
    assert resumed.remaining_today() == 0


def test_memory_usage_counts_per_day_and_account() -> None:
    usage = MemoryUsage()
    day = dt.date(2026, 1, 5)
    assert usage.consume("Books", "a", day, 1) and not usage.consume("Books", "a", day, 1)
    assert usage.consume("Books", "b", day, 1) and usage.consume(
        "Books", "a", day + dt.timedelta(days=1), 1
    )
    assert usage.consume("Projects", "a", day, None) and usage.used("Projects", "a", day) == 1
    usage.exhaust("Projects", "a", day, 10)
    assert usage.used("Projects", "a", day) == 10


def test_in_flight_calls_are_capped(clock: FakeClock) -> None:
    lock = threading.Lock()
    now_running, most = 0, 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal now_running, most
        with lock:
            now_running += 1
            most = max(most, now_running)
        time.sleep(0.01)  # the service taking its time (real time: threads overlap here)
        with lock:
            now_running -= 1
        return reply(200, OK)

    limiter = RateLimiter(
        "Books", ORG, Limits(per_window=1000, window_seconds=60, in_flight=3), clock
    )
    http = books_http(handler, clock, limiter=limiter)
    threads = [
        threading.Thread(target=http.request, args=("GET", "/invoices/1")) for _ in range(12)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= most <= 3


def test_plans() -> None:
    assert books_limits("free") == Limits(100, 60.0, in_flight=5, daily=1000)
    assert books_limits("Professional").daily == 5000
    assert books_limits("premium").in_flight == 10
    with pytest.raises(ValueError, match="unknown Books plan"):
        books_limits("gold")


def test_a_pool_shares_one_limiter_per_account(clock: FakeClock) -> None:
    pool = LimiterPool(clock)
    assert pool.projects("ann@example.com") is pool.projects("ann@example.com")
    assert pool.projects("ann@example.com") is not pool.projects("bob@example.com")
    assert pool.books(ORG, "free").limits.daily == 1000
    sent: list[dt.datetime] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now())
        return reply(200, {"users": []})

    # two clients of one caller (as a factory builds them) spend one window between them
    first = projects_http(handler, clock, limiter=pool.projects("ann@example.com"))
    second = projects_http(handler, clock, limiter=pool.projects("ann@example.com"))
    for n in range(150):
        (first if n % 2 else second).request("GET", "/portal/1/users/")
    assert busiest_window(sent, 120) == 100
