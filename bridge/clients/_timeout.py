"""How long a call waits for a service, and how a wait that ran out is told.

One number covers each phase of a call (connect, each read, each write, a pooled
connection): `BRIDGE_HTTP_TIMEOUT` seconds, 30 unless set. A timeout names the host that
did not answer and this setting.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from bridge.errors import ConfigError

HTTP_TIMEOUT_ENV = "BRIDGE_HTTP_TIMEOUT"
DEFAULT_HTTP_TIMEOUT = 30.0


def http_timeout() -> float:
    raw = os.environ.get(HTTP_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_HTTP_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ConfigError(f"{HTTP_TIMEOUT_ENV}={raw!r} is not a wait: give seconds, more than 0")
    return seconds


def no_answer(url: str, seconds: float, exc: Exception) -> str:
    host = urlsplit(url).hostname or url
    return (f"no answer within {seconds:g} s ({type(exc).__name__}) from {host} "
            f"({HTTP_TIMEOUT_ENV} sets the wait)")
