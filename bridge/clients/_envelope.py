"""Reading a service's answer: did it fail, and with what code and message.

Books keeps its envelope on errors (`{"code": <non-zero>, "message": ...}`), and a non-zero
`code` has been seen under HTTP 200, so the code decides, not only the status. Projects
v3 answers `{"error": {"status_code": "400", "instance", "title", "error_type",
"details": [{"message"}]}}` (PROJECTS-V3.md §5, [doc P0]); the old REST
`{"error": {"code", "message"}}` is still read; the accounts server `{"error": "<text>"}`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Books codes with a meaning for the transport.
BOOKS_NOT_FOUND = 1002
BOOKS_PER_MINUTE = 44
BOOKS_DAILY_CAP = 45
BOOKS_IN_FLIGHT = 1070


@dataclass(frozen=True)
class Failure:
    code: int | None
    message: str
    title: str | None = None  # v3's error code name (URL_RULE_NOT_CONFIGURED...)


Reader = Callable[[int, Any, bytes], Failure | None]  # status, JSON body, raw body


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, str, float)):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _fallback_message(status: int, raw: bytes) -> str:
    # decoded only here, on a failure with no message: decoding every answer cost more
    # than reading it
    text = " ".join(raw.decode("utf-8", "replace").split())
    return text[:200] if text else f"HTTP {status} with no message"


def books_failure(status: int, body: Any, raw: bytes) -> Failure | None:
    code = _int(body.get("code")) if isinstance(body, dict) else None
    if status < 400 and (code is None or code == 0):
        return None
    message = body.get("message") if isinstance(body, dict) else None
    return Failure(code, str(message) if message else _fallback_message(status, raw))


def projects_failure(status: int, body: Any, raw: bytes) -> Failure | None:
    error = body.get("error") if isinstance(body, dict) else None
    if status < 400 and error is None:
        return None
    if isinstance(error, dict):
        if "status_code" in error or "details" in error:
            return _v3_failure(status, error, raw)
        message = error.get("message") or error.get("title")
        return Failure(
            _int(error.get("code")),
            str(message) if message else _fallback_message(status, raw),
        )
    if isinstance(error, str) and error:
        return Failure(None, error)
    return Failure(None, _fallback_message(status, raw))


def _v3_failure(status: int, error: dict[str, Any], raw: bytes) -> Failure:
    """`title` is the error's name; `details[].message` say what is wrong."""
    title = str(error.get("title") or "") or None
    details = error.get("details")
    notes = [
        str(d.get("message")) for d in details if isinstance(d, dict) and d.get("message")
    ] if isinstance(details, list) else []
    text = "; ".join(notes) or str(error.get("message") or "")
    if title and text:
        message = f"{title}: {text}"
    else:
        message = title or text or _fallback_message(status, raw)
    return Failure(None, message, title)


def reader_for(service: str) -> Reader:
    """Books has its envelope; everything else reads the `error` object."""
    return books_failure if service == "Books" else projects_failure
