"""The Books half as the app sees it: routes, authentication, the organization, the envelope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox import accounts, limits
from sandbox.books.common import NOT_FOUND, REQUIRED, SERVICE
from sandbox.books.handlers import BooksCall
from sandbox.books.routes import ORG_FREE, PREFIX, router
from sandbox.books.state import BooksState
from sandbox.db import Tx
from sandbox.errors import Refusal
from sandbox.http import Match, Request, Response

FAULTS = {"429": (429, 44, "You have made too many requests. Please try again after some time."),
          "500": (500, 1000, "Internal error")}


class BooksService:
    name = SERVICE
    prefix = PREFIX

    def __init__(self) -> None:
        self.router = router()

    def limit_key(self, request: Request) -> str:
        """Books limits count per organization."""
        return request.query.get("organization_id", "")

    def admit(self, tx: Tx, settings: limits.LimitSettings, request: Request,
              now: dt.datetime) -> tuple[Refusal | None, str | None]:
        """Limits by the organization's plan; an admitted call holds an in-flight slot."""
        key = self.limit_key(request)
        org = tx.get(SERVICE, "organizations", key) if key else None
        plan = str((org or {}).get("plan_name", "premium")).lower()
        refusal = limits.admit_books(tx, settings, key, plan, now)
        return refusal, None if refusal else key

    def release(self, tx: Tx, key: str) -> None:
        limits.release(tx, key)

    def error(self, status: int, code: int, message: str) -> Response:
        return Response(status, {"code": code, "message": message})

    def fault(self, kind: str) -> Response:
        return self.error(*FAULTS[kind])

    def no_route(self, method_not_allowed: bool) -> Response:
        if method_not_allowed:
            return self.error(405, 37, "The HTTP method is not allowed for the requested resource")
        return self.error(404, 5, "Invalid URL Passed")

    def run(self, tx: Tx, now: dt.datetime, request: Request, match: Match[Any]) -> Response:
        scheme, token = accounts.credential(request)
        if scheme.lower() != "zoho-oauthtoken":
            raise Refusal(401, accounts.NOT_AUTHORIZED, accounts.MESSAGE_57)
        user_id = accounts.token_user(tx, now, token)
        user = tx.get(SERVICE, "users", user_id)
        if user is None or user.get("status") == "inactive":
            raise Refusal(401, accounts.NOT_AUTHORIZED, accounts.MESSAGE_57)
        org_id = request.query.get("organization_id", "").strip()
        assert match.route is not None
        if match.route.pattern not in ORG_FREE:
            if not org_id:
                raise Refusal(400, REQUIRED, "organization_id is required.")
            if tx.get(SERVICE, "organizations", org_id) is None:
                raise Refusal(404, NOT_FOUND, "Organization does not exist.")
        state = BooksState(tx, now, org_id, user_id)
        response: Response = match.route.handler(BooksCall(request, state), match.params)
        return response
