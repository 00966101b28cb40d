"""The sandbox as a target: a Context whose clients reach the sandbox's two services, in
process (an httpx transport, no network) or at a served root. bridge.targets reaches this
module by name, so the production path never imports the sandbox."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import httpx

from bridge.clients import Endpoints, OAuthTokenSource
from bridge.clock import Clock, SystemClock
from bridge.context import Context
from bridge.domain import Credentials, ExpenseAccounts
from bridge.secrets import MemorySecrets, SecretBox, SecretTokenCache
from bridge.store import Store
from bridge.targets import service_context
from sandbox import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_EXPENSE_ACCOUNT_ID,
    SANDBOX_PAID_THROUGH_ACCOUNT_ID,
    SANDBOX_REFRESH_TOKEN,
    SANDBOX_TIME_ITEM_ID,
    Sandbox,
    projects_refresh_token,
)


class SandboxDayClock:
    """The sandbox's own time (a scenario's `today`, kept in its database), so the toolkit
    judges "in the future" by the same day the imitated services live in."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._system = SystemClock()

    def now(self) -> dt.datetime:
        return self._sandbox.now()

    def sleep(self, seconds: float) -> None:
        self._system.sleep(seconds)


def embedded_sandbox(home: Path, clock: Clock | None = None, *, name: str = "sandbox.db") -> Sandbox:
    """The sandbox whose state is the file HOME/NAME (made if absent)."""
    home.mkdir(parents=True, exist_ok=True)
    return Sandbox(home / name, clock=clock or SystemClock())


class SandboxProjectsAuth:
    """One token source per Projects user (by email), kept for the Context's life so each
    user mints once an hour, not once per client."""

    def __init__(self, accounts_url: str, clock: Clock, transport: httpx.BaseTransport | None,
                 secrets: SecretBox) -> None:
        self._accounts_url, self._clock, self._transport = accounts_url, clock, transport
        self._secrets = secrets
        self._sources: dict[str, OAuthTokenSource] = {}
        self._lock = threading.Lock()

    def __call__(self, credentials: Credentials) -> OAuthTokenSource:
        refresh = projects_refresh_token(credentials.email)
        with self._lock:
            if refresh not in self._sources:
                self._sources[refresh] = OAuthTokenSource(
                    self._accounts_url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, refresh,
                    self._clock, self._transport, cache=SecretTokenCache(self._secrets, refresh))
            return self._sources[refresh]

    def secrets(self) -> tuple[str, ...]:
        with self._lock:
            sources = list(self._sources.values())
        return tuple(v for source in sources for v in source.secrets())


def sandbox_context(
    sandbox: Sandbox, store: Store, *, clock: Clock | None = None, secrets: SecretBox | None = None,
    transport: httpx.BaseTransport | None = None, root: str = "http://sandbox", pace: bool = False,
    organization_id: str | None = None, plan: str | None = None, live: bool = False,
) -> Context:
    """A Context on a sandbox: in-process by default, or at `root` with a real transport.
    `plan`: the Books plan whose daily cap pacing assumes (as a live profile's `plan`).
    `live`: behave as on the real services (public API calls only), for rehearsals and tests."""
    clock = clock or SandboxDayClock(sandbox)
    secrets = secrets or MemorySecrets()
    transport = transport if transport is not None else sandbox.transport()
    endpoints = Endpoints.sandbox(root)
    auth = OAuthTokenSource(endpoints.accounts, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET,
                            SANDBOX_REFRESH_TOKEN, clock, transport,
                            cache=SecretTokenCache(secrets, SANDBOX_REFRESH_TOKEN))
    projects_auth = SandboxProjectsAuth(endpoints.accounts, clock, transport, secrets)
    return service_context(endpoints, store, clock=clock, secrets=secrets, transport=transport,
                    books_auth=auth, organization_id=organization_id, plan=plan, pace=pace,
                    expense_accounts=ExpenseAccounts(SANDBOX_EXPENSE_ACCOUNT_ID, SANDBOX_PAID_THROUGH_ACCOUNT_ID),
                    time_item_id=SANDBOX_TIME_ITEM_ID,
                    projects_auth=projects_auth, zsc_check=True, scrub=[projects_auth.secrets], live=live)
