"""The control endpoints under /_sandbox (CONTRACTS.md §1): plain JSON, no service envelope.

    POST   /_sandbox/reset                          an empty world
    POST   /_sandbox/seed                           body: a scenario
    GET    /_sandbox/state                          every record of both services
    GET|POST|DELETE /_sandbox/faults                {"rate", "kinds", "seed", "delay_ms", "after_write"}
    GET|POST /_sandbox/limits                       {"enabled": true, ...overrides}
    GET|POST /_sandbox/clock                        {"now": iso} or {"advance_seconds": n}
    GET|POST /_sandbox/records/{service}/{kind}     list one kind / add a record
    GET|PATCH|DELETE /_sandbox/records/{service}/{kind}/{id}
    GET|DELETE /_sandbox/calls                      call counts / reset them
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sandbox import calls, faults, limits, world
from sandbox.db import Db
from sandbox.http import BadBody, Request, Response, Router
from sandbox.timekeeper import SandboxClock

PREFIX = "/_sandbox"
Handler = Callable[[Request, dict[str, str]], Response]


def _fail(status: int, message: str) -> Response:
    return Response(status, {"error": message})


class Control:
    def __init__(self, db: Db, clock: SandboxClock, default_seed: int = 0) -> None:
        self.db = db
        self.clock = clock
        self.default_seed = default_seed
        table: list[tuple[str, str, Handler]] = [
            ("POST", "/reset", self.reset),
            ("POST", "/seed", self.seed),
            ("GET", "/state", self.state),
            ("GET", "/faults", self.get_faults),
            ("POST", "/faults", self.set_faults),
            ("DELETE", "/faults", self.clear_faults),
            ("GET", "/limits", self.get_limits),
            ("POST", "/limits", self.set_limits),
            ("GET", "/clock", self.get_clock),
            ("POST", "/clock", self.set_clock),
            ("GET", "/records/{service}/{kind}", self.list_records),
            ("POST", "/records/{service}/{kind}", self.add_record),
            ("GET", "/records/{service}/{kind}/{id}", self.get_record),
            ("PATCH", "/records/{service}/{kind}/{id}", self.patch_record),
            ("DELETE", "/records/{service}/{kind}/{id}", self.delete_record),
            ("GET", "/calls", self.get_calls),
            ("DELETE", "/calls", self.reset_calls),
        ]
        self.router: Router[Request] = Router(PREFIX, table)

    def handle(self, request: Request) -> Response:
        match = self.router.match(request.method, request.path)
        if match.route is None:
            return _fail(405 if match.method_not_allowed else 404, "no such control endpoint")
        try:
            return match.route.handler(request, match.params)
        except BadBody as exc:
            return _fail(400, str(exc))
        except world.RecordMissing as exc:
            return _fail(404, str(exc))
        except ValueError as exc:
            return _fail(400, str(exc))

    # -- world -----------------------------------------------------------------------------
    def reset(self, request: Request, p: dict[str, str]) -> Response:
        world.reset(self.db)
        return Response(200, {"reset": True})

    def seed(self, request: Request, p: dict[str, str]) -> Response:
        return Response(200, world.seed(self.db, self.clock, _object(request)))

    def state(self, request: Request, p: dict[str, str]) -> Response:
        return Response(200, world.state(self.db))

    # -- faults, limits, clock -------------------------------------------------------------
    def get_faults(self, request: Request, p: dict[str, str]) -> Response:
        with self.db.tx() as tx:
            current = faults.current(tx)
        return Response(200, {"faults": current.to_json() if current else None})

    def set_faults(self, request: Request, p: dict[str, str]) -> Response:
        settings = faults.FaultSettings.parse({"seed": self.default_seed, **_object(request)})
        with self.db.tx(write=True) as tx:
            faults.configure(tx, settings)
        return Response(200, {"faults": settings.to_json()})

    def clear_faults(self, request: Request, p: dict[str, str]) -> Response:
        with self.db.tx(write=True) as tx:
            faults.clear(tx)
        return Response(200, {"faults": None})

    def get_limits(self, request: Request, p: dict[str, str]) -> Response:
        with self.db.tx() as tx:
            return Response(200, {"limits": limits.current(tx).to_json()})

    def set_limits(self, request: Request, p: dict[str, str]) -> Response:
        settings = limits.LimitSettings.parse(_object(request))
        with self.db.tx(write=True) as tx:
            limits.configure(tx, settings)
        return Response(200, {"limits": settings.to_json()})

    def get_clock(self, request: Request, p: dict[str, str]) -> Response:
        return Response(200, {"now": self.clock.now().isoformat()})

    def set_clock(self, request: Request, p: dict[str, str]) -> Response:
        body = _object(request)
        if "now" in body:
            try:
                when = dt.datetime.fromisoformat(str(body["now"]))
            except ValueError as exc:
                raise ValueError("clock: now must be an ISO date-time") from exc
            now = self.clock.set(when)
        elif "advance_seconds" in body:
            now = self.clock.advance(float(body["advance_seconds"]))
        else:
            raise ValueError("clock: give now or advance_seconds")
        return Response(200, {"now": now.isoformat()})

    # -- records ---------------------------------------------------------------------------
    def list_records(self, request: Request, p: dict[str, str]) -> Response:
        with self.db.tx() as tx:
            rows = tx.select(p["service"], p["kind"])
        return Response(200, {"records": rows})

    def add_record(self, request: Request, p: dict[str, str]) -> Response:
        body = world.insert_record(self.db, self.clock.now(), p["service"], p["kind"],
                                   _object(request))
        return Response(201, {"record": body})

    def get_record(self, request: Request, p: dict[str, str]) -> Response:
        with self.db.tx() as tx:
            body = tx.get(p["service"], p["kind"], p["id"])
        if body is None:
            raise world.RecordMissing(f"no {p['service']} {p['kind']} {p['id']}")
        return Response(200, {"record": body})

    def patch_record(self, request: Request, p: dict[str, str]) -> Response:
        body = world.patch_record(self.db, self.clock.now(), p["service"], p["kind"], p["id"],
                                  _object(request))
        return Response(200, {"record": body})

    def delete_record(self, request: Request, p: dict[str, str]) -> Response:
        world.delete_record(self.db, p["service"], p["kind"], p["id"])
        return Response(200, {"deleted": True})

    # -- calls -----------------------------------------------------------------------------
    def get_calls(self, request: Request, p: dict[str, str]) -> Response:
        with self.db.tx() as tx:
            return Response(200, calls.report(tx))

    def reset_calls(self, request: Request, p: dict[str, str]) -> Response:
        with self.db.tx(write=True) as tx:
            calls.reset(tx)
        return Response(200, {"calls": []})


def _object(request: Request) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict):
        raise BadBody("the body must be a JSON object")
    return data
