"""Fixtures for the sandbox's own tests: one seeded Sandbox per test on a FakeClock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.clock import FakeClock
from sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_REFRESH_TOKEN,
    Sandbox,
    projects_refresh_token,
)

from .scenario import ADA_EMAIL, ORG, small_scenario

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def mint_token(http: httpx.Client, refresh_token: str = SANDBOX_REFRESH_TOKEN) -> str:
    answer = http.post("/oauth/v2/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
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
    """Calls to /api/v3 as one Projects user (an OAuth token from that user's refresh
    token); bodies are JSON."""

    def __init__(self, http: httpx.Client, email: str = ADA_EMAIL) -> None:
        self.http = http
        self.token = mint_token(http, projects_refresh_token(email))

    def __call__(self, method: str, path: str, json: Any = None,
                 **params: Any) -> httpx.Response:
        return self.http.request(method, f"/api/v3{path}", json=json, params=params,
                                 headers={"Authorization": f"Zoho-oauthtoken {self.token}"})


#: the time-log list's mandatory parameters, covering every seeded log
LOGS = {"view_type": "customdate", "start_date": "2000-01-01", "end_date": "2099-12-31"}


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
