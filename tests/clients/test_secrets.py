"""Secrets never reach log records, exception text or reprs."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from bridge.clients import (
    BooksClient,
    OAuthTokenSource,
    ProjectsClient,
    RetryPolicy,
    StaticTokenAuth,
)
from bridge.clock import FakeClock
from bridge.errors import ServiceError
from bridge.secrets import FileSecrets

from ._support import ACCOUNTS, ORG, books_http, projects_http, reply

CLIENT_SECRET = "cs-7f3a9d1e5b"
REFRESH = "1000.rt-2b8c4e6a0f"
TOKEN = "1000.at-9e1d7c5b3a"
ZSC = "zsc-4f6e8d0c2b"


def leaks(text: str) -> list[str]:
    return [s for s in (CLIENT_SECRET, REFRESH, TOKEN, ZSC) if s in text]


def all_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)


def test_books_with_oauth(caplog: pytest.LogCaptureFixture, clock: FakeClock) -> None:
    caplog.set_level(logging.DEBUG)
    minted = 0

    def accounts(request: httpx.Request) -> httpx.Response:
        nonlocal minted
        minted += 1
        return reply(200, {"access_token": f"{TOKEN}{minted}", "expires_in": 3600})

    def books(request: httpx.Request) -> httpx.Response:
        token = request.headers["Authorization"].split()[-1]
        if token.endswith("1"):
            return reply(
                401, {"code": 57, "message": "You are not authorized to perform this operation"}
            )
        if request.method == "POST":
            # a service that echoes credentials back in its message
            return reply(
                400,
                {"code": 4, "message": f"Invalid value for token {token}; refresh_token={REFRESH}"},
            )
        raise httpx.ReadTimeout(f"timed out sending Zoho-oauthtoken {token}", request=request)

    auth = OAuthTokenSource(
        ACCOUNTS, "client-1", CLIENT_SECRET, REFRESH, clock, httpx.MockTransport(accounts)
    )
    http = books_http(books, clock, auth=auth, retry=RetryPolicy(max_attempts=2))
    client = BooksClient(http, ORG)
    errors: list[ServiceError] = []
    with pytest.raises(ServiceError) as refused:
        client.create_contact({"contact_name": "Acme"})
    errors.append(refused.value)
    with pytest.raises(ServiceError) as timed_out:
        client.get_organization()
    errors.append(timed_out.value)
    assert minted == 2
    for exc in errors:
        assert leaks(str(exc)) == [] and leaks(repr(exc)) == [] and leaks(str(exc.to_json())) == []
    assert "Invalid value for token ***" in str(errors[0])
    assert leaks(all_logged(caplog)) == []
    assert leaks(repr(auth)) == [] and leaks(repr(http)) == [] and leaks(repr(client)) == []


def test_projects_with_oauth_and_a_zsc_key_check(caplog: pytest.LogCaptureFixture,
                                                 clock: FakeClock) -> None:
    caplog.set_level(logging.DEBUG)

    def projects(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Zoho-oauthtoken {TOKEN}"
        assert ZSC not in str(request.url) and ZSC.encode() not in request.content
        return reply(401, {"error": {"status_code": "401", "title": "INVALID_OAUTHTOKEN",
                                     "details": [{"message": f"bad token {TOKEN}"}]}})

    client = ProjectsClient(projects_http(projects, clock, auth=StaticTokenAuth(TOKEN)), "42",
                            zsc_check=True)
    with pytest.raises(ServiceError) as info:
        client.verify_zsc_key(ZSC)
    assert info.value.status == 401 and info.value.title == "INVALID_OAUTHTOKEN"
    assert leaks(str(info.value)) == [] and "***" in str(info.value)
    assert leaks(all_logged(caplog)) == [] and leaks(repr(client)) == []


def test_two_processes_writing_different_secrets_lose_neither(tmp_path: Path) -> None:
    """FileSecrets writes under an exclusive lock: concurrent writers of different names
    all land (without the lock, read-modify-write races drop some)."""
    import multiprocessing

    path = tmp_path / "secrets.json"
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_write_many, args=(path, f"w{n}")) for n in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    box = FileSecrets(path)
    assert all(box.get(f"w{n}:{i}") == "v" for n in range(4) for i in range(25))


def _write_many(path: Path, prefix: str) -> None:
    box = FileSecrets(path)
    for i in range(25):
        box.put(f"{prefix}:{i}", "v")
