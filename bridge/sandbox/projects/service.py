"""The Projects half as the app sees it: routes, the caller (ZSC key or OAuth token), errors.

`Zoho-zsckey <key>` names the Projects user holding that key (a wrong, revoked or inactive
user's key answers 401, 6401); `Zoho-oauthtoken <token>` acts as the Projects user whose email
is the Books token user's email.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from bridge.sandbox import accounts, limits
from bridge.sandbox.db import Body, Tx
from bridge.sandbox.errors import Refusal
from bridge.sandbox.http import Match, Request, Response
from bridge.sandbox.projects.common import SERVICE
from bridge.sandbox.projects.handlers import ProjectsCall
from bridge.sandbox.projects.routes import PREFIX, router
from bridge.sandbox.projects.state import ProjectsState

UNAUTHORIZED = 6401
FAULTS = {"429": (429, 6429, "Too many requests. Please try again later."),
          "500": (500, 6500, "Internal Server Error")}


class ProjectsService:
    name = SERVICE
    prefix = PREFIX

    def __init__(self) -> None:
        self.router = router()

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
        return Response(status, {"error": {"code": code, "message": message}})

    def fault(self, kind: str) -> Response:
        return self.error(*FAULTS[kind])

    def no_route(self, method_not_allowed: bool) -> Response:
        if method_not_allowed:
            return self.error(405, 6405, "Method Not Allowed")
        return self.error(404, 6404, "Resource Not Found")

    def run(self, tx: Tx, now: dt.datetime, request: Request, match: Match[Any]) -> Response:
        caller = authenticate(tx, now, request)
        assert match.route is not None
        call = ProjectsCall(request, ProjectsState(tx, now, caller))
        response: Response = match.route.handler(call, match.params)
        return response


def authenticate(tx: Tx, now: dt.datetime, request: Request) -> Body:
    scheme, value = accounts.credential(request)
    if scheme.lower() == "zoho-zsckey":
        found = tx.select(SERVICE, "users", ref=value, limit=1) if value else []
        if not found or not found[0].get("active", True):
            raise Refusal(401, UNAUTHORIZED, "Invalid ZSC key")
        return found[0]
    if scheme.lower() == "zoho-oauthtoken":
        try:
            books_user = tx.get("books", "users", accounts.token_user(tx, now, value))
        except Refusal as exc:
            raise Refusal(401, UNAUTHORIZED, f"Invalid OAuth token ({exc.message})") from exc
        email = str((books_user or {}).get("email", "")).lower()
        found = tx.select(SERVICE, "users", where=["lower(json_extract(d.body, '$.email')) = ?"],
                          params=[email], limit=1) if email else []
        if not found or not found[0].get("active", True):
            raise Refusal(401, UNAUTHORIZED, "No active Projects user for this token")
        return found[0]
    raise Refusal(401, UNAUTHORIZED, "Authorization required: Zoho-zsckey or Zoho-oauthtoken")
