"""The accounts server and Books authentication: minting, expiry, the mint limit."""

from __future__ import annotations

import httpx

from bridge.clock import FakeClock
from sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    Sandbox,
)

from .conftest import Books, mint_token
from .scenario import BETH_BOOKS, small_scenario


def test_a_token_expires_after_an_hour_on_the_sandbox_clock(books: Books,
                                                            clock: FakeClock) -> None:
    assert books("GET", "/users/me").status_code == 200
    clock.advance(3599)
    assert books("GET", "/users/me").status_code == 200
    clock.advance(1)
    expired = books("GET", "/users/me")
    assert expired.status_code == 401 and expired.json()["code"] == 57
    assert "You are not authorized to perform this operation" in expired.json()["message"]
    fresh = Books(books.http, mint_token(books.http))
    assert fresh("GET", "/users/me").status_code == 200


def test_bad_tokens_and_schemes(http: httpx.Client) -> None:
    for header in ({}, {"Authorization": "Zoho-oauthtoken nope"},
                   {"Authorization": "Bearer whatever"}):
        answer = http.get("/books/v3/users/me", headers=header)
        assert answer.status_code == 401 and answer.json()["code"] == 57


def test_at_most_ten_mints_per_ten_minutes(http: httpx.Client, clock: FakeClock) -> None:
    for _ in range(10):
        mint_token(http)
    form = {"grant_type": "refresh_token", "refresh_token": SANDBOX_REFRESH_TOKEN,
            "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}
    denied = http.post("/oauth/v2/token", data=form)
    assert denied.status_code == 400 and denied.json()["error"] == "Access Denied"
    clock.advance(600)
    assert http.post("/oauth/v2/token", data=form).status_code == 200


def test_wrong_client_or_refresh_token(http: httpx.Client) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": SANDBOX_REFRESH_TOKEN,
            "client_id": SANDBOX_CLIENT_ID, "client_secret": "guess"}
    assert http.post("/oauth/v2/token", data=form).json() == {"error": "invalid_client"}
    form.update(client_secret=SANDBOX_CLIENT_SECRET, refresh_token="other")
    assert http.post("/oauth/v2/token", data=form).json() == {"error": "invalid_code"}


def test_token_values_are_deterministic(sandbox: Sandbox, http: httpx.Client) -> None:
    first = mint_token(http)
    sandbox.reset()
    sandbox.seed(small_scenario())
    assert mint_token(http) == first


def test_the_token_user_is_the_current_user_or_first_admin(sandbox: Sandbox,
                                                          http: httpx.Client) -> None:
    scenario = small_scenario()
    for user in scenario["books"]["users"]:
        user.pop("is_current_user", None)
    scenario["books"]["users"].reverse()  # Beth (staff) first, Ada (admin) second
    sandbox.seed(scenario)
    me = Books(http, mint_token(http))("GET", "/users/me").json()["user"]
    assert me["user_role"] == "admin" and me["user_id"] != BETH_BOOKS
