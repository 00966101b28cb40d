"""Requests, answers and route tables: the little HTTP the sandbox needs on top of WSGI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

C = TypeVar("C")

REASONS = {
    200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 429: "Too Many Requests",
    500: "Internal Server Error", 504: "Gateway Timeout",
}


class BadBody(ValueError):
    """The request body is not what its content type says."""


@dataclass
class Request:
    method: str
    path: str  # without the query string; trailing slash kept
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    base_url: str = "http://sandbox"

    @staticmethod
    def from_environ(environ: dict[str, Any]) -> Request:
        headers = {k[5:].replace("_", "-").lower(): str(v)
                   for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        host = headers.get("host") or f"{environ.get('SERVER_NAME', 'sandbox')}"
        return Request(
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            path=str(environ.get("PATH_INFO") or "/"),
            query=dict(parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)),
            headers=headers,
            body=body,
            base_url=f"{environ.get('wsgi.url_scheme', 'http')}://{host}",
        )

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def form(self) -> dict[str, str]:
        """Form fields (urlencoded body); JSON objects are accepted too, values as given."""
        if self.content_type == "application/json":
            data = self.json()
            if not isinstance(data, dict):
                raise BadBody("the body must be a JSON object")
            return {str(k): _form_value(v) for k, v in data.items()}
        try:
            return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise BadBody("the body is not UTF-8") from exc

    def json(self) -> Any:
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadBody("the body is not valid JSON") from exc


def _form_value(value: Any) -> str:
    """A JSON value as the string a form would carry."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return "" if value is None else str(value)


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-able; None means no body (204)
    headers: list[tuple[str, str]] = field(default_factory=list)

    def encode(self) -> tuple[str, list[tuple[str, str]], bytes]:
        status_line = f"{self.status} {REASONS.get(self.status, 'Status')}"
        if self.body is None:
            return status_line, list(self.headers), b""
        data = json.dumps(self.body, ensure_ascii=False).encode("utf-8")
        headers = [("Content-Type", "application/json;charset=UTF-8"),
                   ("Content-Length", str(len(data))), *self.headers]
        return status_line, headers, data


@dataclass(frozen=True)
class Route(Generic[C]):
    method: str
    pattern: str  # "/contacts/{contact_id}": also the template counted in /_sandbox/calls
    handler: Callable[[C, dict[str, str]], Response]
    regex: re.Pattern[str]

    @property
    def writes(self) -> bool:
        return self.method != "GET"


@dataclass(frozen=True)
class Match(Generic[C]):
    route: Route[C] | None
    params: dict[str, str]
    template: str
    method_not_allowed: bool = False


def _compile(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z_]+\})", pattern.rstrip("/"))
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}/?$")


class Router(Generic[C]):
    """A table of (method, pattern, handler), matched in order; a trailing slash is optional."""

    def __init__(self, prefix: str,
                 table: Sequence[tuple[str, str, Callable[[C, dict[str, str]], Response]]]) -> None:
        self.prefix = prefix
        self.routes = [Route(m, p, h, _compile(p)) for m, p, h in table]

    def match(self, method: str, path: str) -> Match[C]:
        sub = path.removeprefix(self.prefix)
        sub = sub or "/"
        other: str | None = None
        for route in self.routes:
            found = route.regex.match(sub)
            if not found:
                continue
            if route.method == method:
                return Match(route, found.groupdict(), self.prefix + route.pattern)
            other = other or route.pattern
        if other is not None:
            return Match(None, {}, self.prefix + other, method_not_allowed=True)
        return Match(None, {}, "<unmatched>")
