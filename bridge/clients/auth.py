"""Credentials as header providers: OAuth tokens minted from a refresh token.

There is no ZSC-key provider: neither service takes a ZSC key as a header (Projects API v3
is OAuth only); the key is checked, where it can be, by `ProjectsClient.verify_zsc_key`.

A provider gives the headers for one request, says whether a 401 is worth one retry with
fresh credentials, and lists its secret values so the transport can scrub them from any
text it logs or raises. Reprs never show a secret.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import threading
from typing import Any, Protocol, runtime_checkable

import httpx

from bridge.clients._timeout import http_timeout, no_answer
from bridge.clients.scopes import parse_granted
from bridge.clock import Clock
from bridge.errors import RateLimited, ServiceError, ServiceTimeout, redact

log = logging.getLogger("bridge.clients.auth")

ACCOUNTS = "Accounts"
TOKEN_CALL = "POST /oauth/v2/token"


@runtime_checkable
class AuthProvider(Protocol):
    def headers(self) -> dict[str, str]:
        """Headers that authenticate the next request."""
        ...

    def renew(self) -> bool:
        """After a 401: drop cached credentials; True if a retry may now succeed."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Every secret value this provider holds, for redaction."""
        ...


class StaticTokenAuth:
    """`Authorization: Zoho-oauthtoken <token>` for a token minted elsewhere."""

    def __init__(self, token: str) -> None:
        self._token = token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self._token}"}

    def renew(self) -> bool:
        return False

    def secrets(self) -> tuple[str, ...]:
        return (self._token,)

    def __repr__(self) -> str:
        return "StaticTokenAuth(token=***)"


class TokenCache(Protocol):
    """Somewhere private (a 0600 file) to keep the current access token between processes."""

    def load(self) -> dict[str, Any] | None: ...

    def save(self, data: dict[str, Any]) -> None: ...


class OAuthTokenSource:
    """Access tokens minted from a refresh token, cached until shortly before they expire.

    The accounts server allows 10 mints per refresh token per 10 minutes; this source counts
    its own mints and refuses the 11th with `RateLimited` (naming when the next is allowed)
    instead of sending it and being answered "Access Denied".
    """

    #: the scopes the last mint's answer said were granted (its `scope`); None until a mint
    #: answers one [guess: the accounts server may leave it out; then nothing is known]
    _granted: frozenset[str] | None = None

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        return self._granted

    def __init__(
        self,
        accounts_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        clock: Clock,
        transport: httpx.BaseTransport | None = None,
        *,
        timeout: float | None = None,
        refresh_margin: float = 60.0,
        mint_limit: int = 10,
        mint_window: float = 600.0,
        cache: TokenCache | None = None,
    ) -> None:
        self._accounts_url = accounts_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._clock = clock
        self._margin = dt.timedelta(seconds=refresh_margin)
        self._mint_limit = mint_limit
        self._mint_window = dt.timedelta(seconds=mint_window)
        self._timeout = http_timeout() if timeout is None else timeout
        self._client = httpx.Client(transport=transport, timeout=httpx.Timeout(self._timeout))
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at: dt.datetime | None = None
        self._mints: collections.deque[dt.datetime] = collections.deque()
        # Old tokens stay secret after they are replaced: keep the last few for redaction.
        self._minted: collections.deque[str] = collections.deque(maxlen=20)
        # Separate CLI processes share the token (and the mint count) through the cache, so a
        # script of twenty commands does not spend twenty mints.
        self._cache = cache
        self._load_cache()

    # -- AuthProvider ---------------------------------------------------------------------
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Zoho-oauthtoken {self.access_token()}"}

    def renew(self) -> bool:
        with self._lock:
            self._token = None
            self._expires_at = None
        return True

    def secrets(self) -> tuple[str, ...]:
        return (self._client_secret, self._refresh_token, *self._minted)

    # -- tokens ---------------------------------------------------------------------------
    @property
    def mint_count(self) -> int:
        """Mints sent so far (for tests and reports)."""
        return len(self._minted)

    def access_token(self) -> str:
        with self._lock:
            now = self._clock.now()
            if self._token and self._expires_at and now < self._expires_at - self._margin:
                return self._token
            return self._mint(now)

    def _mint(self, now: dt.datetime) -> str:
        # Mints older than the window no longer count; nor do ones "after now", which another
        # process sharing the cache recorded on a clock ahead of ours.
        self._mints = collections.deque(m for m in sorted(self._mints) if now - self._mint_window < m <= now)
        if len(self._mints) >= self._mint_limit:
            resume = self._mints[0] + self._mint_window
            raise RateLimited(
                ACCOUNTS,
                TOKEN_CALL,
                f"{self._mint_limit} access tokens minted from this refresh token in the last "
                f"{int(self._mint_window.total_seconds() // 60)} minutes; the next is allowed at "
                f"{resume.isoformat()}",
                resume_at=resume,
                hint="something is discarding valid tokens; wait, then retry",
            )
        self._mints.append(now)
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        log.debug("minting an access token at %s/oauth/v2/token", self._accounts_url)
        try:
            response = self._client.post(f"{self._accounts_url}/oauth/v2/token", data=form)
        except httpx.TimeoutException as exc:
            raise ServiceTimeout(
                ACCOUNTS, TOKEN_CALL, no_answer(self._accounts_url, self._timeout, exc)
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise ServiceError(
                ACCOUNTS, TOKEN_CALL, self._scrub(f"{type(exc).__name__}: {exc}")
            ) from None
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code >= 400 or not isinstance(token, str) or not token:
            # The accounts server can answer an error with HTTP 200 ({"error": "invalid_code"}).
            error = body.get("error") if isinstance(body, dict) else None
            raise ServiceError(
                ACCOUNTS,
                TOKEN_CALL,
                self._scrub(str(error or response.text[:200] or "no access token in the answer")),
                status=response.status_code,
                hint="check the client id, client secret and refresh token "
                "(a refresh token mints at most 10 tokens per 10 minutes)",
            )
        expires_in = body.get("expires_in", 3600)
        try:
            lifetime = float(expires_in)
        except (TypeError, ValueError):
            lifetime = 3600.0
        self._token = token
        self._granted = parse_granted(body.get("scope"))
        self._minted.append(token)
        self._expires_at = now + dt.timedelta(seconds=lifetime)
        self._save_cache()
        return token

    def _load_cache(self) -> None:
        if self._cache is None:
            return
        data = self._cache.load()
        if not data:
            return
        try:
            self._mints.extend(dt.datetime.fromisoformat(m) for m in data.get("mints", []))
            if data.get("token") and data.get("expires_at"):
                self._token = str(data["token"])
                self._minted.append(self._token)
                self._expires_at = dt.datetime.fromisoformat(str(data["expires_at"]))
        except (TypeError, ValueError):
            self._token, self._expires_at = None, None  # a damaged cache costs one mint

    def _save_cache(self) -> None:
        if self._cache is not None and self._expires_at is not None:
            self._cache.save({"token": self._token, "expires_at": self._expires_at.isoformat(),
                              "mints": [m.isoformat() for m in self._mints]})

    def _scrub(self, text: str) -> str:
        return redact(text, self.secrets())

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"OAuthTokenSource(accounts_url={self._accounts_url!r}, client_id=***, secrets=***)"
