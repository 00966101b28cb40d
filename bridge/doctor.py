"""`bpbridge doctor`: check a live profile before anything relies on it, one finding per check.

Checks run in order and stop being meaningful once one fails (no token: no Books check), so
a later check is reported as skipped, naming the check it waits on. Every detail is scrubbed
of the profile's secrets and any key given, whatever the services answer.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import httpx

from bridge.clients import BooksClient, OAuthTokenSource, ProjectsClient, ServiceHttp
from bridge.clients.auth import AuthProvider
from bridge.clients.scopes import all_scopes, needed_by
from bridge.clients.scopes import missing as missing_scopes
from bridge.clock import Clock, SystemClock
from bridge.errors import BridgeError, redact
from bridge.profile import Profile, profile_path
from bridge.secrets import SecretBox, SecretTokenCache

# the expense accounts too: Books refuses an expense without them, and both modes record expenses;
# and the time item: invoices.yml requires an item_id on every invoice line
REQUIRED = ("client_id", "client_secret", "refresh_token", "organization_id", "portal_id",
            "expense_account_id", "paid_through_account_id", "time_item_id")
KEY_ENV, EMAIL_ENV = "BRIDGE_ZSC_KEY", "BRIDGE_EMAIL"
OK, FAIL, SKIP = "ok", "fail", "skipped"


@dataclass
class Check:
    name: str
    status: str  # ok | fail | skipped
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status != FAIL


@dataclass
class Report:
    profile: str
    path: str
    checks: list[Check]
    bad_config: bool  # the profile itself is unusable (exit 2), not a failed check (exit 1)
    #: what live mode can and cannot do (bridge.capabilities), whatever the checks found
    capabilities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.bad_config:
            return 2
        return 0 if all(c.ok for c in self.checks) else 1

    def to_json(self) -> dict[str, object]:
        return {"profile": self.profile, "path": self.path, "ok": self.exit_code == 0,
                "exit_code": self.exit_code, "checks": [asdict(c) for c in self.checks],
                "capabilities": self.capabilities}


def _read_profile(name: str, checks: list[Check]) -> tuple[Profile | None, bool]:
    """The profile with env overrides, and whether it is fit to use; findings go to `checks`."""
    path = profile_path(name)
    data: dict[str, str] = {}
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            checks.append(Check("permissions", FAIL, f"{path} is mode {mode:04o}: others can read its secrets",
                                f"chmod 600 {path}"))
        else:
            checks.append(Check("permissions", OK, f"{path} is mode {mode:04o}"))
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            checks.append(Check("profile", FAIL, f"{path} is not valid JSON ({type(exc).__name__})",
                                "rewrite it as a JSON object of profile fields"))
            return None, False
        if not isinstance(data, dict):
            checks.append(Check("profile", FAIL, f"{path} is not a JSON object", "rewrite it as a JSON object"))
            return None, False
    else:
        checks.append(Check("permissions", SKIP, f"no file {path}; fields from BRIDGE_LIVE_* only"))
    known = {f.name for f in fields(Profile)} - {"name"}
    unknown = sorted(set(data) - known)
    if unknown:
        checks.append(Check("profile", FAIL, f"unknown fields: {', '.join(unknown)}",
                            f"remove them; known fields: {', '.join(sorted(known))}"))
        return None, False
    for f in known:
        env = os.environ.get(f"BRIDGE_LIVE_{f.upper()}")
        if env:
            data[f] = env
    profile = Profile(name=name, **{k: str(v) for k, v in data.items()})
    missing = [f for f in REQUIRED if not getattr(profile, f)]
    if missing:
        checks.append(Check("required fields", FAIL, f"missing: {', '.join(missing)}",
                            f"write them to {path} (mode 0600) or set BRIDGE_LIVE_<FIELD>"))
        return profile, False
    try:
        profile.endpoints()
    except ValueError as exc:
        checks.append(Check("required fields", FAIL, str(exc), "set data_centre or base_url"))
        return profile, False
    checks.append(Check("required fields", OK, "all set: " + ", ".join(REQUIRED)))
    return profile, True


def _reachable(name: str, url: str, transport: httpx.BaseTransport | None) -> Check:
    try:
        with httpx.Client(transport=transport, timeout=10.0) as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        return Check(f"reach {name}", FAIL, f"{url}: no answer ({type(exc).__name__})",
                     "check the data centre / base_url, DNS, proxy and firewall")
    return Check(f"reach {name}", OK, f"{url} answers (HTTP {response.status_code})")


def _attempt(name: str, action: Callable[[], str], fix: str) -> Check:
    try:
        return Check(name, OK, action())
    except BridgeError as exc:
        return Check(name, FAIL, exc.message, exc.hint or fix)


def run_doctor(name: str | None = None, *, transport: httpx.BaseTransport | None = None,
               clock: Clock | None = None, box: SecretBox | None = None) -> Report:
    """`box`: where the CLI keeps tokens; sharing it, the doctor's mint counts toward the
    same 10 per 10 minutes as the other commands' (and leaves them a fresh token)."""
    name = name or "default"
    checks: list[Check] = []
    profile, usable = _read_profile(name, checks)
    report = Report(name, str(profile_path(name)), checks, bad_config=not usable)
    report.capabilities = capability_matrix()
    secrets: list[str] = [os.environ.get(KEY_ENV, "")]
    if profile is not None:
        secrets += list(profile.secrets())
    if not usable or profile is None:
        return _scrubbed(report, secrets)
    clock = clock or SystemClock()
    ep = profile.endpoints()
    for host, url in (("accounts", ep.accounts), ("Books", ep.books), ("Projects", ep.projects)):
        checks.append(_reachable(host, url, transport))
    cache = SecretTokenCache(box, profile.refresh_token) if box is not None else None
    auth = OAuthTokenSource(ep.accounts, profile.client_id, profile.client_secret, profile.refresh_token,
                            clock, transport, cache=cache)
    try:
        token = _attempt("token", lambda: _mint(auth, ep.accounts),
                         "check client_id, client_secret and refresh_token")
        checks.append(token)
        secrets += list(auth.secrets())
        checks.append(_scopes(auth) if token.status == OK else Check("scopes", SKIP, "needs a token"))
        if token.status != OK:
            checks.append(Check("organization", SKIP, "needs a token"))
            checks.append(Check("portal", SKIP, "needs a token"))
            return _scrubbed(report, secrets)
        checks.append(_organization(profile, ep.books, auth, clock, transport))
        checks.append(_portal(profile, ep.projects, auth, clock, transport))
        secrets += list(auth.secrets())
    finally:
        auth.close()
    return _scrubbed(report, secrets)


def _mint(auth: OAuthTokenSource, accounts: str) -> str:
    # mint even when a token is cached: a cached token says nothing about today's secret
    auth.renew()
    auth.access_token()
    return f"minted an access token at {accounts}"


def _scopes(auth: OAuthTokenSource) -> Check:
    """Every scope some command needs (bridge.clients.scopes), against what the token
    answer said it granted: a missing one is named, with the commands that need it."""
    needed = all_scopes()
    granted = auth.granted_scopes
    if granted is None:
        return Check("scopes", SKIP, "the accounts server did not say which scopes the token has; "
                     f"the commands need {len(needed)}, listed in the README")
    lacking = missing_scopes(needed, granted)
    if not lacking:
        return Check("scopes", OK, f"the token has the {len(needed)} scopes the commands need")
    detail = "; ".join(f"{s} (for {', '.join(needed_by(s)[:3])}"
                       f"{', ...' if len(needed_by(s)) > 3 else ''})" for s in lacking)
    return Check("scopes", FAIL, f"the token lacks {len(lacking)} scope(s): {detail}",
                 "mint a new refresh token whose grant includes: " + ",".join(lacking))


def _organization(profile: Profile, url: str, auth: AuthProvider, clock: Clock,
                  transport: httpx.BaseTransport | None) -> Check:
    def look() -> str:
        with ServiceHttp("Books", url, transport=transport, auth=auth, clock=clock) as http:
            org = BooksClient(http, profile.organization_id).get_organization()
        return f"organization {profile.organization_id} ({org.get('name', '')}) is visible in Books"

    return _attempt("organization", look, "check organization_id: `GET /organizations` lists the ones "
                    "this token sees")


def _portal(profile: Profile, url: str, oauth: AuthProvider, clock: Clock,
            transport: httpx.BaseTransport | None) -> Check:
    # Projects API v3 takes OAuth only: the ZSC key is never sent (docs/CONTRACTS.md)
    auth: AuthProvider = oauth
    who = "the OAuth token"

    def look() -> str:
        with ServiceHttp("Projects", url, transport=transport, auth=auth, clock=clock) as http:
            portals = {str(p.get("id")): p for p in ProjectsClient(http, None).list_portals()}
        found = portals.get(profile.portal_id)
        if found is None:
            raise BridgeError(f"portal {profile.portal_id} is not among the {len(portals)} portal(s) "
                              f"{who} sees ({', '.join(sorted(portals)) or 'none'})",
                              hint="check portal_id, or use the key of a user of that portal")
        return f"portal {profile.portal_id} ({found.get('name', '')}) is visible to {who} as {found.get('role', '?')}"

    return _attempt("portal", look, "check portal_id")


def _scrubbed(report: Report, secrets: list[str]) -> Report:
    values = tuple(s for s in secrets if s)
    for c in report.checks:
        c.detail, c.fix = redact(c.detail, values), redact(c.fix, values)
    return report


def capability_matrix() -> list[dict[str, Any]]:
    """Per integration operation: whether it runs live, what the public API lacks, what to do
    instead (bridge.capabilities, the same table the README carries). Static: no call."""
    from bridge.capabilities import matrix_rows

    return matrix_rows()
