"""The in-process transport: httpx's WSGI transport, with simulated timeouts as real ones.

A "timeout" fault raises `SimulatedTimeout` out of the app; here it becomes
`httpx.ReadTimeout`, which is exactly what a client with a timeout sees from a stalled
service, so the client's timeout handling runs unchanged in-process.
"""

from __future__ import annotations

import httpx

from bridge.sandbox.errors import SimulatedTimeout


class SandboxTransport(httpx.WSGITransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except SimulatedTimeout as exc:
            raise httpx.ReadTimeout("the sandbox simulated a timeout", request=request) from exc
