"""The Projects half as the app sees it: routes, the caller (an OAuth token), v3 errors.

Only `Authorization: Zoho-oauthtoken <token>` is accepted, as v3 accepts only OAuth
(PROJECTS-V3.md §1): a `Zoho-zsckey` header answers 401. The token says who calls: one
minted from a Projects user's refresh token (`accounts.projects_refresh_token`) acts as
that user; one minted from the Books refresh token acts as the Projects user with the Books
user's email (one token with both services' scopes). An inactive user is refused (401).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from typing import Any

from sandbox import accounts, limits
from sandbox.db import Body, Tx
from sandbox.errors import Refusal
from sandbox.http import Match, Request, Response
from sandbox.projects.common import SERVICE
from sandbox.projects.errors import URL_RULE_NOT_CONFIGURED, envelope
from sandbox.projects.handlers import ProjectsCall
from sandbox.projects.routes import PREFIX, router
from sandbox.projects.state import ProjectsState

UNAUTHORIZED = 6401
FAULTS = {"429": (429, 6429, "Too many requests. Please try again later."),
          "500": (500, 6500, "Internal Server Error")}


class ProjectsService:
    name = SERVICE
    prefix = PREFIX

    def __init__(self) -> None:
        self.router = router()
        self._local = threading.local()  # the request path errors name, per serving thread

    def limit_key(self, request: Request) -> str:
        """Projects limits count per caller: the credential, hashed (never stored as is)."""
        header = request.headers.get("authorization", "")
        return hashlib.sha256(header.encode()).hexdigest()[:24]

    def admit(self, tx: Tx, settings: limits.LimitSettings, request: Request,
              now: dt.datetime) -> tuple[Refusal | None, str | None]:
        """The 2-minute window and the lockout; nothing is held while the call runs."""
        return limits.admit_projects(tx, settings, self.limit_key(request), now), None

    def release(self, tx: Tx, key: str) -> None:
        """Projects holds nothing in flight."""

    def error(self, status: int, code: int, message: str) -> Response:
        return envelope(status, code, message, self._path)

    def fault(self, kind: str) -> Response:
        return self.error(*FAULTS[kind])

    def no_route(self, method_not_allowed: bool) -> Response:
        """v3 answers a method or path it has no rule for with 400 [doc P0]."""
        return self.error(400, 6405, f"{URL_RULE_NOT_CONFIGURED}: no such API ({self._path})")

    def run(self, tx: Tx, now: dt.datetime, request: Request, match: Match[Any]) -> Response:
        caller = authenticate(tx, now, request)
        assert match.route is not None
        call = ProjectsCall(request, ProjectsState(tx, now, caller))
        response: Response = match.route.handler(call, match.params)
        return response

    def begin(self, request: Request) -> None:
        """Remember the path this request's errors name (`instance`)."""
        self._local.path = request.path

    @property
    def _path(self) -> str:
        return str(getattr(self._local, "path", ""))


def authenticate(tx: Tx, now: dt.datetime, request: Request) -> Body:
    scheme, value = accounts.credential(request)
    if scheme.lower() == "zoho-zsckey":
        raise Refusal(401, UNAUTHORIZED, "INVALID_OAUTHTOKEN: API v3 does not take a ZSC key; "
                      "send Authorization: Zoho-oauthtoken <access token>")
    if scheme.lower() != "zoho-oauthtoken":
        raise Refusal(401, UNAUTHORIZED,
                      "INVALID_OAUTHTOKEN: send Authorization: Zoho-oauthtoken <access token>")
    try:
        record = accounts.token_record(tx, now, value)
    except Refusal as exc:
        raise Refusal(401, UNAUTHORIZED, f"INVALID_OAUTHTOKEN: {exc.message}") from exc
    found: list[Body] = []
    if record.get("projects_user_id"):
        user = tx.get(SERVICE, "users", str(record["projects_user_id"]))
        found = [user] if user is not None else []
    else:
        books_user = tx.get("books", "users", str(record.get("user_id") or ""))
        email = str((books_user or {}).get("email", "")).lower()
        found = tx.select(SERVICE, "users", where=["lower(json_extract(d.body, '$.email')) = ?"],
                          params=[email], limit=1) if email else []
    if not found or not found[0].get("active", True):
        raise Refusal(401, UNAUTHORIZED, "INVALID_OAUTHTOKEN: no active Projects user for this token")
    return found[0]
