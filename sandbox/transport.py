"""The in-process transport: each httpx request goes straight to the app's `handle`.

The served sandbox speaks WSGI (`SandboxApp.__call__`); in-process there is no reason to
build a WSGI environ and byte stream per call, so this transport hands the app a `Request`
and turns its `Response` into an httpx one (a quarter of a call's cost at sync scale).
Both paths meet in `SandboxApp.handle`, so they answer alike.

A "timeout" fault raises `SimulatedTimeout` out of the app; here it becomes
`httpx.ReadTimeout`, which is exactly what a client with a timeout sees from a stalled
service, so the client's timeout handling runs unchanged in-process.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import parse_qsl

import httpx

from sandbox.errors import SimulatedTimeout
from sandbox.http import Request, Response


class Handler(Protocol):
    def handle(self, request: Request) -> Response: ...


class SandboxTransport(httpx.BaseTransport):
    def __init__(self, app: Handler) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        headers = {k.lower(): v for k, v in request.headers.items()}
        incoming = Request(
            method=request.method.upper(),
            path=url.path or "/",
            query=dict(parse_qsl(url.query.decode("ascii"), keep_blank_values=True)),
            headers=headers,
            body=request.read(),
            base_url=f"{url.scheme}://{headers.get('host') or url.host}",
        )
        try:
            answer = self.app.handle(incoming)
        except SimulatedTimeout as exc:
            raise httpx.ReadTimeout("the sandbox simulated a timeout", request=request) from exc
        _status, answer_headers, data = answer.encode()
        return httpx.Response(answer.status, headers=answer_headers, content=data, request=request)
