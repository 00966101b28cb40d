"""The one WSGI app serving both services, the accounts server and the control endpoints.

Each service call goes through the same steps, whatever the service:
1. count it (/_sandbox/calls), apply the limits if on, draw a fault — one short transaction;
2. a fault before the write answers now (429, 500, timeout) or waits (delay);
3. authenticate and run the handler in its own transaction, rolled back on any refusal,
   so a refused request changes nothing;
4. an `after_write` fault answers 500 (or times out) although the write was committed;
5. give back the in-flight slot.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from sandbox import accounts, calls, faults, limits
from sandbox.books.service import BooksService
from sandbox.control import Control
from sandbox.db import Db, Tx
from sandbox.errors import Refusal, SimulatedTimeout
from sandbox.http import Match, Request, Response, Router
from sandbox.projects.service import ProjectsService
from sandbox.timekeeper import SandboxClock

TOKEN_PATH = "/oauth/v2/token"
StartResponse = Callable[..., Any]


class Service(Protocol):
    name: str
    prefix: str

    @property
    def router(self) -> Router[Any]: ...

    def admit(self, tx: Tx, settings: limits.LimitSettings, request: Request,
              now: dt.datetime) -> tuple[Refusal | None, str | None]: ...

    def release(self, tx: Tx, key: str) -> None: ...

    def error(self, status: int, code: int, message: str) -> Response: ...

    def fault(self, kind: str) -> Response: ...

    def no_route(self, method_not_allowed: bool) -> Response: ...

    def run(self, tx: Tx, now: dt.datetime, request: Request, match: Match[Any]) -> Response: ...


class SandboxApp:
    def __init__(self, db: Db, clock: SandboxClock, default_seed: int = 0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.db = db
        self.clock = clock
        self.sleep = sleep  # "delay" faults wait on the real clock
        self.control = Control(db, clock, default_seed)
        self.services: list[Service] = [BooksService(), ProjectsService()]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        response = self.handle(Request.from_environ(environ))
        status, headers, data = response.encode()
        start_response(status, headers)
        return [data]

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            return self.control.handle(request)
        if path.rstrip("/") == TOKEN_PATH:
            return self.token(request)
        for service in self.services:
            if path == service.prefix or path.startswith(service.prefix + "/"):
                return self.service_call(service, request)
        return Response(404, {"error": f"nothing is served at {path}"})

    def token(self, request: Request) -> Response:
        with self.db.tx(write=True) as tx:
            calls.record(tx, accounts.SERVICE, request.method, TOKEN_PATH)
            if request.method != "POST":
                return Response(405, {"error": "method not allowed"})
            return accounts.mint(tx, self.clock.now(), request)

    def service_call(self, service: Service, request: Request) -> Response:
        begin = getattr(service, "begin", None)  # a service whose errors name the request
        if begin is not None:
            begin(request)
        match = service.router.match(request.method, request.path)
        now = self.clock.now()
        held: str | None = None
        with self.db.tx(write=True) as tx:
            calls.record(tx, service.name, request.method, match.template)
            refusal: Refusal | None = None
            settings = limits.current(tx)
            if settings.enabled:
                refusal, held = service.admit(tx, settings, request, now)
            fault = None if refusal else faults.draw(tx, service.name, request.method)
        if refusal is not None:
            return service.error(refusal.status, refusal.code, refusal.message)
        try:
            return self._carry_out(service, request, match, now, fault)
        finally:
            if held is not None:
                with self.db.tx(write=True) as tx:
                    service.release(tx, held)

    def _carry_out(self, service: Service, request: Request, match: Match[Any],
                   now: dt.datetime, fault: faults.Fault | None) -> Response:
        if fault is not None and not fault.after_write:
            if fault.kind == "delay":
                self.sleep(fault.delay_ms / 1000)
            elif fault.kind == "timeout":
                raise SimulatedTimeout(fault.delay_ms)
            else:
                return service.fault(fault.kind)
        if match.route is None:
            return service.no_route(match.method_not_allowed)
        try:
            with self.db.tx(write=match.route.writes) as tx:
                response = service.run(tx, now, request, match)
        except Refusal as refusal:
            return service.error(refusal.status, refusal.code, refusal.message)
        if fault is not None and fault.after_write:
            if fault.kind == "timeout":
                raise SimulatedTimeout(fault.delay_ms)
            return service.fault(fault.kind)
        return response
