"""Where a Context's clients point: the embedded sandbox (in-process, no network), a served
sandbox, or the real services named by a live profile. The modes never know which."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bridge.clients import (
    BooksClient,
    Endpoints,
    LimiterPool,
    OAuthTokenSource,
    ProjectsClient,
    ServiceHttp,
    StoreUsage,
)
from bridge.clock import Clock, SystemClock
from bridge.context import Context
from bridge.domain import Credentials, ExpenseAccounts
from bridge.errors import ConfigError
from bridge.secrets import FileSecrets, MemorySecrets, SecretBox, SecretTokenCache
from bridge.store import Store

if TYPE_CHECKING:
    from bridge.profile import Profile
    from bridge.sandbox import Sandbox


def scenario_clock(scenario: dict[str, Any]) -> dt.datetime:
    """The moment a scenario runs at: its `today`, 09:00 UTC."""
    day = dt.date.fromisoformat(scenario.get("today", "2026-01-05"))
    return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=dt.UTC)


class SandboxClock:
    """The sandbox's own time (a scenario's `today`, kept in its database), so the toolkit
    judges "in the future" by the same day the imitated services live in."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._system = SystemClock()

    def now(self) -> dt.datetime:
        return self._sandbox.now()

    def sleep(self, seconds: float) -> None:
        self._system.sleep(seconds)


def embedded_sandbox(home: Path, clock: Clock | None = None) -> Sandbox:
    from bridge.sandbox import Sandbox

    home.mkdir(parents=True, exist_ok=True)
    return Sandbox(home / "sandbox.db", clock=clock or SystemClock())


#: The OAuth token source Projects calls carry for given credentials: live, the profile's
#: one token (with both services' scopes) whoever the credentials name; in the sandbox, the
#: token of the Projects user the credentials' email names. The ZSC key is never sent.
ProjectsAuth = Callable[[Credentials], OAuthTokenSource]


def _context(
    endpoints: Endpoints, store: Store, *, clock: Clock, secrets: SecretBox,
    transport: httpx.BaseTransport | None, books_auth: OAuthTokenSource, organization_id: str | None,
    plan: str | None, pace: bool, expense_accounts: ExpenseAccounts | None,
    time_item_id: str | None = None,
    projects_auth: ProjectsAuth | None = None, zsc_check: bool = False,
    scrub: list[Callable[[], tuple[str, ...]]] | None = None,
    live: bool = False,
) -> Context:
    # one pool per Context: every client of one account shares one pacing window
    pool = LimiterPool(clock, StoreUsage(store)) if pace else None
    books_http = ServiceHttp("Books", endpoints.books, transport=transport, auth=books_auth, clock=clock)
    org = organization_id or _only_organization(books_http)
    if pool is not None:
        books_http.limiter = pool.books(org, plan or "standard")
    books = BooksClient(books_http, org)

    def projects_factory(credentials: Credentials, portal_id: str | None) -> ProjectsClient:
        auth = projects_auth(credentials) if projects_auth is not None else books_auth
        http = ServiceHttp("Projects", endpoints.projects, transport=transport,
                           auth=auth, clock=clock,
                           limiter=pool.projects(credentials.email) if pool is not None else None)
        return ProjectsClient(http, portal_id, zsc_check=zsc_check)

    return Context(store=store, books=books, projects_factory=projects_factory, clock=clock,
                   secrets=secrets, scrub=[books_auth.secrets, *(scrub or [])],
                   expense_accounts=expense_accounts, time_item_id=time_item_id, live=live)


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
        from bridge.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, projects_refresh_token

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


def _only_organization(books_http: ServiceHttp) -> str:
    orgs = list(BooksClient(books_http, "").list_organizations())
    if len(orgs) != 1:
        raise ConfigError(
            f"the Books account has {len(orgs)} organizations; say which one to use",
            hint="set organization_id in the profile (or seed the sandbox with `bpbridge sandbox load`)",
        )
    return str(orgs[0]["organization_id"])


def sandbox_context(
    sandbox: Sandbox, store: Store, *, clock: Clock | None = None, secrets: SecretBox | None = None,
    transport: httpx.BaseTransport | None = None, root: str = "http://sandbox", pace: bool = False,
    organization_id: str | None = None, plan: str | None = None, live: bool = False,
) -> Context:
    """A Context on a sandbox: in-process by default, or at `root` with a real transport.
    `plan`: the Books plan whose daily cap pacing assumes (as a live profile's `plan`).
    `live`: behave as on the real services (public API calls only), for rehearsals and tests."""
    from bridge.sandbox import (
        SANDBOX_CLIENT_ID,
        SANDBOX_CLIENT_SECRET,
        SANDBOX_EXPENSE_ACCOUNT_ID,
        SANDBOX_PAID_THROUGH_ACCOUNT_ID,
        SANDBOX_REFRESH_TOKEN,
        SANDBOX_TIME_ITEM_ID,
    )

    clock = clock or SandboxClock(sandbox)
    secrets = secrets or MemorySecrets()
    transport = transport if transport is not None else sandbox.transport()
    endpoints = Endpoints.sandbox(root)
    auth = OAuthTokenSource(endpoints.accounts, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET,
                            SANDBOX_REFRESH_TOKEN, clock, transport,
                            cache=SecretTokenCache(secrets, SANDBOX_REFRESH_TOKEN))
    projects_auth = SandboxProjectsAuth(endpoints.accounts, clock, transport, secrets)
    return _context(endpoints, store, clock=clock, secrets=secrets, transport=transport,
                    books_auth=auth, organization_id=organization_id, plan=plan, pace=pace,
                    expense_accounts=ExpenseAccounts(SANDBOX_EXPENSE_ACCOUNT_ID, SANDBOX_PAID_THROUGH_ACCOUNT_ID),
                    time_item_id=SANDBOX_TIME_ITEM_ID,
                    projects_auth=projects_auth, zsc_check=True, scrub=[projects_auth.secrets], live=live)


def live_context(store: Store, home: Path, profile: Profile) -> Context:
    """The real services a live profile names; tokens cached in HOME's secrets."""
    clock = SystemClock()
    endpoints = profile.endpoints()
    secrets = FileSecrets(home / "secrets.json")
    auth = OAuthTokenSource(endpoints.accounts, profile.client_id, profile.client_secret,
                            profile.refresh_token, clock, cache=SecretTokenCache(secrets, profile.refresh_token))
    return _context(endpoints, store, clock=clock, secrets=secrets,
                    transport=None, books_auth=auth, organization_id=profile.organization_id,
                    plan=profile.plan, pace=True, expense_accounts=profile.expense_accounts(),
                    time_item_id=profile.time_item_id or None, live=True)


def build_context(target: str, store: Store, home: Path, *, profile: Profile | None = None,
                  sandbox: Sandbox | None = None) -> Context:
    """A Context from plain values (no click, no environment): `target` "live" uses the
    live `profile`; "sandbox" uses `sandbox`, else the embedded one in HOME."""
    if target == "live":
        if profile is None:
            raise ConfigError("the live target needs a profile", hint="pass --profile NAME (see `bpbridge doctor`)")
        return live_context(store, home, profile)
    return sandbox_context(sandbox if sandbox is not None else embedded_sandbox(home), store,
                           secrets=FileSecrets(home / "secrets.json"))
