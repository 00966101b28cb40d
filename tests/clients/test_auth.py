"""OAuth tokens: minted, cached, re-minted on expiry and on a 401, never over 10 per 10 minutes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from bridge.clients import OAuthTokenSource
from bridge.clock import FakeClock
from bridge.errors import RateLimited, ServiceError

from ._support import ACCOUNTS, ORG, books_http, form_of, reply


class Accounts:
    """The accounts server: mints `tok-1`, `tok-2`..."""

    def __init__(self) -> None:
        self.mints: list[dict[str, str]] = []
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        self.mints.append(form_of(request))
        return reply(
            200,
            {
                "access_token": f"tok-{len(self.mints)}",
                "expires_in": 3600,
                "api_domain": "https://www.zohoapis.test",
                "token_type": "Bearer",
            },
        )


def source(clock: FakeClock, server: Any) -> OAuthTokenSource:
    return OAuthTokenSource(
        ACCOUNTS, "client-1", "shh-secret", "refresh-1", clock, httpx.MockTransport(server)
    )


def test_mints_with_the_refresh_token_and_caches(clock: FakeClock) -> None:
    server = Accounts()
    auth = source(clock, server)
    assert auth.headers() == {"Authorization": "Zoho-oauthtoken tok-1"}
    assert auth.headers() == {"Authorization": "Zoho-oauthtoken tok-1"}
    assert server.paths == ["/oauth/v2/token"]
    assert server.mints == [
        {
            "grant_type": "refresh_token",
            "refresh_token": "refresh-1",
            "client_id": "client-1",
            "client_secret": "shh-secret",
        }
    ]


def test_re_mints_shortly_before_expiry(clock: FakeClock) -> None:
    server = Accounts()
    auth = source(clock, server)
    auth.access_token()
    clock.advance(3600 - 61)
    assert auth.access_token() == "tok-1"
    clock.advance(2)  # now within the last minute of the token's life
    assert auth.access_token() == "tok-2"
    assert len(server.mints) == 2


def test_an_eleventh_mint_in_ten_minutes_is_refused(clock: FakeClock) -> None:
    server = Accounts()
    auth = source(clock, server)
    start = clock.now()
    for _ in range(10):
        auth.renew()
        auth.access_token()
        clock.advance(30)
    auth.renew()
    with pytest.raises(RateLimited) as info:
        auth.access_token()
    assert len(server.mints) == 10  # refused here, not sent
    assert info.value.service == "Accounts" and info.value.resume_at == start + dt.timedelta(
        minutes=10
    )
    assert "10 access tokens minted" in str(info.value)
    clock.set(start + dt.timedelta(minutes=10))
    assert auth.access_token() == "tok-11"


def test_a_401_re_mints_once(clock: FakeClock) -> None:
    server = Accounts()
    auth = source(clock, server)
    seen: list[str] = []

    def books(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Zoho-oauthtoken tok-1":  # revoked behind our back
            return reply(
                401, {"code": 57, "message": "You are not authorized to perform this operation"}
            )
        return reply(200, {"code": 0, "organization": {"organization_id": ORG}})

    http = books_http(books, clock, auth=auth)
    assert http.request("GET", f"/organizations/{ORG}")["organization"]["organization_id"] == ORG
    assert seen == ["Zoho-oauthtoken tok-1", "Zoho-oauthtoken tok-2"]

    def always_401(request: httpx.Request) -> httpx.Response:
        return reply(
            401, {"code": 57, "message": "You are not authorized to perform this operation"}
        )

    with pytest.raises(ServiceError) as info:
        books_http(always_401, clock, auth=auth).request("GET", "/invoices")
    assert info.value.status == 401 and info.value.code == 57
    assert len(server.mints) == 3  # one renewal for that call, not a loop


def test_an_accounts_error_under_200_is_an_error(clock: FakeClock) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return reply(200, {"error": "invalid_code"})

    with pytest.raises(ServiceError) as info:
        source(clock, server).access_token()
    assert str(info.value) == "Accounts POST /oauth/v2/token failed (HTTP 200): invalid_code"
    assert info.value.hint and "refresh token" in info.value.hint


def test_accounts_timeouts_and_refusals(clock: FakeClock) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ServiceError, match="Accounts POST /oauth/v2/token failed: no answer"):
        source(clock, slow).access_token()

    def denied(request: httpx.Request) -> httpx.Response:
        return reply(400, {"error": "Access Denied"})

    with pytest.raises(ServiceError, match="Access Denied"):
        source(clock, denied).access_token()


def test_there_is_no_zsc_key_auth_provider() -> None:
    """Projects API v3 is OAuth only: nothing in the toolkit can put a ZSC key in a header."""
    import bridge.clients
    import bridge.clients.auth

    assert not hasattr(bridge.clients, "ZscKeyAuth")
    assert not hasattr(bridge.clients.auth, "ZscKeyAuth")
