"""The accounts server: `POST /oauth/v2/token` mints access tokens from a refresh token.

Tokens live 3600 s on the sandbox clock; a refresh token mints at most 10 tokens per 10
minutes. Token values are derived from a counter, never random, so runs repeat exactly.
Errors answer 400 with `{"error": "..."}` as the accounts server does.

Refresh tokens say whose tokens they mint: the seeded REFRESH_TOKEN is the Books user's
(the toolkit's profile); every Projects user has a deterministic one,
`projects_refresh_token(email)`, standing for "this user authorized the toolkit" (the sandbox
has no consent screen). Its access tokens act as that Projects user on the Projects half.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from bridge.clients.scopes import all_scopes
from sandbox.db import Tx
from sandbox.errors import Refusal
from sandbox.http import Request, Response

SERVICE = "accounts"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
REFRESH_TOKEN = "sandbox-refresh-token"
TOKEN_TTL = 3600
MINTS_PER_WINDOW = 10
MINT_WINDOW = 600
PROJECTS_PREFIX = "sandbox-projects-refresh-"

# what a refresh token was granted, answered as the token answer's `scope` [guess: the
# accounts server's answer is documented without it]; a refresh token record's own "scope"
# (a test patches it) overrides this: every scope the toolkit's commands need
GRANTED = " ".join(sorted(all_scopes()))

NOT_AUTHORIZED = 57
MESSAGE_57 = "You are not authorized to perform this operation"


def seed(tx: Tx, books_user_id: str) -> None:
    """The OAuth client and refresh token a scenario's toolkit uses (acting as that user)."""
    tx.insert(SERVICE, "clients", CLIENT_ID,
              {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    tx.insert(SERVICE, "refresh_tokens", REFRESH_TOKEN,
              {"refresh_token": REFRESH_TOKEN, "client_id": CLIENT_ID, "user_id": books_user_id})


def projects_refresh_token(email: str) -> str:
    """The refresh token a Projects user's consent would give the toolkit (sandbox only)."""
    return PROJECTS_PREFIX + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def _projects_refresh(tx: Tx, token: str) -> dict[str, str] | None:
    """The refresh record of a Projects user's token (users may be added after the seed)."""
    if not token.startswith(PROJECTS_PREFIX):
        return None
    for user in tx.select("projects", "users"):
        if projects_refresh_token(str(user.get("email") or "")) == token:
            return {"refresh_token": token, "client_id": CLIENT_ID, "user_id": "",
                    "projects_user_id": str(user["id"])}
    return None


def _error(text: str, description: str = "") -> Response:
    body = {"error": text}
    if description:
        body["error_description"] = description
    return Response(400, body)


def mint(tx: Tx, now: dt.datetime, request: Request) -> Response:
    """The token endpoint (form-encoded body, as the accounts server takes it)."""
    form = {**request.query, **request.form()}
    if form.get("grant_type") != "refresh_token":
        return _error("unsupported_grant_type")
    client = tx.get(SERVICE, "clients", form.get("client_id", ""))
    if client is None or client["client_secret"] != form.get("client_secret"):
        return _error("invalid_client")
    refresh = tx.get(SERVICE, "refresh_tokens", form.get("refresh_token", "")) or \
        _projects_refresh(tx, form.get("refresh_token", ""))
    if refresh is None or refresh["client_id"] != client["client_id"]:
        return _error("invalid_code")
    ts = now.timestamp()
    recent = tx.conn.execute(
        "SELECT count(*) FROM hits WHERE scope='mint' AND key=? AND ts > ?",
        (refresh["refresh_token"], ts - MINT_WINDOW)).fetchone()[0]
    if recent >= MINTS_PER_WINDOW:
        return _error("Access Denied", "You have made too many requests continuously. "
                      "Please try again after some time.")
    tx.conn.execute("INSERT INTO hits (scope, key, ts) VALUES ('mint', ?, ?)",
                    (refresh["refresh_token"], ts))
    serial = tx.counter("access_token")
    digest = hashlib.sha256(f"{refresh['refresh_token']}:{serial}".encode()).hexdigest()
    token = f"1000.{digest[:32]}.{digest[32:64]}"
    record = {"user_id": refresh["user_id"], "expires_at": ts + TOKEN_TTL}
    if refresh.get("projects_user_id"):
        record["projects_user_id"] = refresh["projects_user_id"]
    tx.insert(SERVICE, "access_tokens", token, record)
    return Response(200, {"access_token": token, "api_domain": request.base_url,
                          "token_type": "Bearer", "expires_in": TOKEN_TTL,
                          "scope": refresh.get("scope") or GRANTED})


def credential(request: Request) -> tuple[str, str]:
    """The Authorization header as (scheme, value); empty strings when absent."""
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    return scheme, value.strip()


def token_record(tx: Tx, now: dt.datetime, token: str) -> dict[str, Any]:
    """Whom an access token acts as (`user_id`: Books; `projects_user_id`: Projects);
    401 (code 57) when unknown or expired."""
    record = tx.get(SERVICE, "access_tokens", token) if token else None
    if record is None:
        raise Refusal(401, NOT_AUTHORIZED, MESSAGE_57)
    if now.timestamp() >= float(record["expires_at"]):
        raise Refusal(401, NOT_AUTHORIZED, f"{MESSAGE_57}: the access token has expired")
    return dict(record)


def token_user(tx: Tx, now: dt.datetime, token: str) -> str:
    """The Books user an access token acts as; 401 (code 57) when unknown or expired."""
    return str(token_record(tx, now, token)["user_id"])
