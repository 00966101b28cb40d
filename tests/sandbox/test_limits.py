"""Rate limits on a FakeClock: Books 44 / 45 / 1070, the Projects lockout."""

from __future__ import annotations

import threading
import time

import httpx

from bridge.clock import FakeClock
from sandbox import Sandbox

from .conftest import Books, Projects, mint_token
from .scenario import BOB_EMAIL, ORG


def test_limits_are_off_until_switched_on(books: Books) -> None:
    assert {books("GET", "/contacts").status_code for _ in range(120)} == {200}


def test_books_per_minute_code_44(sandbox: Sandbox, books: Books, clock: FakeClock) -> None:
    sandbox.set_limits()
    for _ in range(100):
        assert books("GET", "/contacts").status_code == 200
    refused = books("GET", "/contacts")
    assert refused.status_code == 429 and refused.json()["code"] == 44
    clock.advance(61)
    assert books("GET", "/contacts").status_code == 200


def test_books_daily_cap_code_45_follows_the_plan(sandbox: Sandbox, books: Books,
                                                  clock: FakeClock) -> None:
    sandbox.patch_record("books", "organizations", ORG, {"plan_name": "FREE"})
    sandbox.set_limits(books_daily={"free": 30})  # the free plan's 1,000, scaled down
    for i in range(30):
        clock.advance(1)
        assert books("GET", "/contacts").status_code == 200, i
    capped = books("GET", "/contacts")
    assert capped.status_code == 429 and capped.json()["code"] == 45
    assert "exceeded the maximum call rate limit of 30" in capped.json()["message"]
    clock.advance(24 * 3600)
    assert Books(books.http, mint_token(books.http))("GET", "/contacts").status_code == 200


def test_default_daily_caps_by_plan(http: httpx.Client) -> None:
    daily = http.get("/_sandbox/limits").json()["limits"]["books_daily"]
    assert daily == {"free": 1000, "standard": 2000, "professional": 5000, "premium": 10000}


def test_books_in_flight_code_1070(sandbox: Sandbox, books: Books) -> None:
    sandbox.set_limits()
    gate = threading.Event()
    def hold(seconds: float) -> None:  # "delay" faults hold calls in flight until the gate
        gate.wait(5)

    sandbox.app.sleep = hold
    sandbox.set_faults(rate=1.0, kinds=["delay"], delay_ms=1, services=["books"])
    statuses: list[int] = []

    def call() -> None:
        with sandbox.client() as http:
            statuses.append(Books(http, books.token)("GET", "/contacts").status_code)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while sandbox.db.read_meta("faults_drawn", 0) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    eleventh = books("GET", "/contacts")
    gate.set()
    for thread in threads:
        thread.join()
    assert eleventh.status_code == 429 and eleventh.json()["code"] == 1070
    assert statuses == [200] * 10
    sandbox.clear_faults()
    assert books("GET", "/contacts").status_code == 200  # the slots were given back


def test_projects_lockout_after_100_calls_in_2_minutes(sandbox: Sandbox, projects: Projects,
                                                       clock: FakeClock, http: httpx.Client
                                                       ) -> None:
    sandbox.set_limits()
    for _ in range(100):
        assert projects("GET", "/portals").status_code == 200
    locked = projects("GET", "/portals")
    assert locked.status_code == 429 and "error" in locked.json()
    clock.advance(29 * 60)
    assert projects("GET", "/portals").status_code == 429
    # another caller is not locked out
    assert Projects(http, BOB_EMAIL)("GET", "/portals").status_code == 200
    clock.advance(60)
    assert projects("GET", "/portals").status_code == 200
