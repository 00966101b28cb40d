"""Serving the sandbox app on a real port, on a thread (wsgiref with a threading server).

A "timeout" fault cannot raise into a remote client, so here it holds the connection: the
request thread waits `delay_ms` (or `HOLD_SECONDS`) of real time, then answers 504. A client
whose timeout is shorter sees its own read timeout, as it would with a stalled service.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any, Self
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sandbox.errors import SimulatedTimeout
from sandbox.http import Response

HOLD_SECONDS = 30.0
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a held request never keeps the process alive
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""


def _holding(app: WsgiApp, stopping: threading.Event,
             after_request: Callable[[], None]) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except SimulatedTimeout as exc:
            after_request()  # hold the connection, not a database handle
            delay_ms = exc.args[0] if exc.args else 0
            stopping.wait(delay_ms / 1000 if delay_ms else HOLD_SECONDS)
            status, headers, data = Response(504, {"error": "simulated timeout"}).encode()
            start_response(status, headers)
            return [data]
        finally:
            after_request()  # each request runs on its own thread: free what it opened
    return wrapped


@dataclass
class ServerHandle:
    """A running server: its URL and port; `stop()` shuts it down and frees the port."""

    host: str
    port: int
    _server: _Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _stopping: threading.Event = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(app: WsgiApp, host: str = "127.0.0.1", port: int = 0,
          after_request: Callable[[], None] = lambda: None) -> ServerHandle:
    stopping = threading.Event()
    server = make_server(host, port, _holding(app, stopping, after_request), server_class=_Server,
                         handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"sandbox-{server.server_port}", daemon=True)
    thread.start()
    return ServerHandle(host, int(server.server_port), server, thread, stopping)
