"""Fixtures for the sandbox's own tests: one seeded Sandbox per test on a FakeClock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.clock import FakeClock
from bridge.sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    Sandbox,
)

from .scenario import ADA_KEY, ORG, small_scenario

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def mint_token(http: httpx.Client) -> str:
    answer = http.post("/oauth/v2/token", data={
        "grant_type": "refresh_token", "refresh_token": SANDBOX_REFRESH_TOKEN,
        "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


class Books:
    """Calls to /books/v3 with a token and the organization id."""

    def __init__(self, http: httpx.Client, token: str, org: str = ORG) -> None:
        self.http = http
        self.token = token
        self.org = org

    def __call__(self, method: str, path: str, json: Any = None,
                 **params: Any) -> httpx.Response:
        return self.http.request(
            method, f"/books/v3{path}", json=json, params={"organization_id": self.org, **params},
            headers={"Authorization": f"Zoho-oauthtoken {self.token}"})


class Projects:
    """Calls to /restapi with a ZSC key; POST bodies are form-encoded."""

    def __init__(self, http: httpx.Client, key: str = ADA_KEY) -> None:
        self.http = http
        self.key = key

    def __call__(self, method: str, path: str, data: dict[str, str] | None = None,
                 **params: Any) -> httpx.Response:
        return self.http.request(method, f"/restapi{path}", data=data, params=params,
                                 headers={"Authorization": f"Zoho-zsckey {self.key}"})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sandbox(tmp_path: Path, clock: FakeClock) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path / "sandbox.db", clock=clock, seed=7)
    box.seed(small_scenario())
    yield box
    box.close()


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with sandbox.client() as client:
        yield client


@pytest.fixture
def books(http: httpx.Client) -> Books:
    return Books(http, mint_token(http))


@pytest.fixture
def projects(http: httpx.Client) -> Projects:
    return Projects(http)
