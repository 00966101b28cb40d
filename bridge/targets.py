"""Where a Context's clients point: the real services a live profile names, or the sandbox
of both services (in-process, or served over HTTP), which lives in its own package
(sandbox/wiring.py) and is reached by name. The modes never know which."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
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
from bridge.secrets import FileSecrets, SecretBox, SecretTokenCache
from bridge.store import Store

if TYPE_CHECKING:
    from bridge.profile import Profile


def scenario_clock(scenario: dict[str, Any]) -> dt.datetime:
    """The moment a scenario runs at: its `today`, 09:00 UTC."""
    day = dt.date.fromisoformat(scenario.get("today", "2026-01-05"))
    return dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=dt.UTC)


#: The OAuth token source Projects calls carry for given credentials: live, the profile's
#: one token (with both services' scopes) whoever the credentials name; in the sandbox, the
#: token of the Projects user the credentials' email names. The ZSC key is never sent.
ProjectsAuth = Callable[[Credentials], OAuthTokenSource]


def service_context(
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


def _only_organization(books_http: ServiceHttp) -> str:
    orgs = list(BooksClient(books_http, "").list_organizations())
    if len(orgs) != 1:
        raise ConfigError(
            f"the Books account has {len(orgs)} organizations; say which one to use",
            hint="set organization_id in the profile (or seed the sandbox with `bpbridge sandbox load`)",
        )
    return str(orgs[0]["organization_id"])


def live_context(store: Store, home: Path, profile: Profile) -> Context:
    """The real services a live profile names; tokens cached in HOME's secrets."""
    clock = SystemClock()
    endpoints = profile.endpoints()
    secrets = FileSecrets(home / "secrets.json")
    auth = OAuthTokenSource(endpoints.accounts, profile.client_id, profile.client_secret,
                            profile.refresh_token, clock, cache=SecretTokenCache(secrets, profile.refresh_token))
    return service_context(endpoints, store, clock=clock, secrets=secrets,
                    transport=None, books_auth=auth, organization_id=profile.organization_id,
                    plan=profile.plan, pace=True, expense_accounts=profile.expense_accounts(),
                    time_item_id=profile.time_item_id or None, live=True)


def build_context(target: str, store: Store, home: Path, *, profile: Profile | None = None,
                  sandbox: object | None = None, pace: bool = False, plan: str | None = None,
                  root: str | None = None) -> Context:
    """A Context from plain values (no click, no environment): `target` "live" uses the
    live `profile` (which paces, under its own plan); "sandbox" uses `sandbox`, else the
    embedded one in HOME, pacing its calls under the Books `plan` as live mode does if `pace`,
    reached in process or, when it is served at `root`, over real HTTP."""
    if target == "live":
        if profile is None:
            raise ConfigError("the live target needs a profile", hint="pass --profile NAME (see `bpbridge doctor`)")
        return live_context(store, home, profile)
    wiring = sandbox_wiring()
    world = sandbox if sandbox is not None else wiring.embedded_sandbox(home)
    over_http = {} if root is None else {"root": root, "transport": httpx.HTTPTransport()}
    context: Context = wiring.sandbox_context(world, store, secrets=FileSecrets(home / "secrets.json"),
                                              pace=pace, plan=plan, **over_http)
    return context


#: the sandbox of both services is its own top-level package, plugged in by name (as
#: bridge.modes names the modes), so that nothing on the production path imports it
SANDBOX_WIRING = "sandbox.wiring"


def sandbox_wiring() -> ModuleType:
    """`sandbox.wiring`: `embedded_sandbox(home)`, `sandbox_context(sandbox, store, ...)`."""
    return importlib.import_module(SANDBOX_WIRING)
