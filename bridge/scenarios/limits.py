"""The limits a scenario file must keep for the replay to run it (F1), beyond its schema.

The schema (`fixtures/schema/scenario.schema.json`) holds the limits on values: money, minutes
and dates, with where each comes from in its description. This module holds what a schema
cannot say, or cannot say in time:

- before parsing: the file's size (by `stat`, nothing read) and how deeply its brackets nest
  (a scan of the raw text; `json.loads` recurses, and 1,000 levels end in `RecursionError`);
- before the schema: every string and key encodes as UTF-8 (a JSON `"\\ud800"` escape decodes
  to a lone surrogate, which no database or HTTP body can carry);
- after it: a number the schema calls an integer has no fraction or exponent (`1.0` and
  `1e3` pass `"type": "integer"`).

Each refusal is a `FixtureError` with the JSON path of the offending place.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

from bridge.errors import FixtureError
from bridge.scenarios.refs import Parts, json_path

#: 2 MiB: about 200 times the largest shipped scenario (11 KB), some 10,000 time logs; the
#: schema pass takes about a second a megabyte, so the largest file it accepts is checked in
#: a few seconds (a 50 MB one took 73 s to be refused).
MAX_FILE_BYTES = 2 * 1024 * 1024
#: The schema nests at most 5 deep (`$.projects.users[0].roles`); 16 leaves room for what a
#: future schema adds and stays far below where Python's parser and validator recurse out.
MAX_DEPTH = 16

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^{}\[\]]+")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]', re.DOTALL)


def check_size(path: Path, source: str) -> None:
    """Refuse a file over MAX_FILE_BYTES by its size alone."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FixtureError(source, "$", f"cannot read the file: {exc}") from exc
    if size > MAX_FILE_BYTES:
        raise FixtureError(source, "$", f"the file is {size:,} bytes; the limit is "
                           f"{MAX_FILE_BYTES:,} bytes (MAX_FILE_BYTES)")


def check_text_depth(text: str, source: str) -> None:
    """Refuse JSON text whose arrays and objects nest deeper than MAX_DEPTH, before parsing.

    Strings are skipped whole, so brackets inside them do not count. The path names the
    first value that would open level MAX_DEPTH + 1. Malformed text is left to the parser."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if max(accumulate(1 if b in "[{" else -1 for b in brackets), default=0) <= MAX_DEPTH:
        return  # the usual case, in a few milliseconds; the scan below finds the path
    stack: list[list[Any]] = []  # [kind, key or index, a key is expected next]
    pending: str | None = None
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "{[":
            if len(stack) >= MAX_DEPTH:
                raise FixtureError(source, json_path([e[1] for e in stack]),
                                   f"nests deeper than {MAX_DEPTH} levels (MAX_DEPTH)")
            stack.append(["{", "", True] if token == "{" else ["[", 0, False])
        elif token in "}]":
            if stack:
                stack.pop()
        elif not stack:
            continue
        elif token == ",":
            top = stack[-1]
            if top[0] == "[":
                top[1] += 1
            else:
                top[2] = True
        elif token == ":":
            stack[-1][1], stack[-1][2] = pending or "", False
        elif stack[-1][0] == "{" and stack[-1][2]:
            pending = _decode_key(token)


def _decode_key(token: str) -> str:
    try:
        key = json.loads(token)
    except ValueError:
        return token[1:-1]
    return key if isinstance(key, str) else token[1:-1]


class _Duplicated(dict[str, Any]):
    """An object in which a key appeared more than once (`json.loads` would keep the last)."""

    key: str


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out and not isinstance(out, _Duplicated):
            out = _Duplicated(out)
            out.key = key
        out[key] = value
    return out


def parse(text: str, source: str) -> Any:
    """`json.loads`, every failure a FixtureError (the caller has checked the depth). A key
    twice in one object is refused at that object's path: JSON parsers keep one of the two
    silently, so the fixture would not say what its author wrote."""
    try:
        data = json.loads(text, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        rule = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise FixtureError(source, "$", rule) from None
    except ValueError as exc:  # an integer longer than Python converts (sys.int_info)
        found = re.search(f"[0-9]{{{sys.get_int_max_str_digits() + 1},}}", text)
        where = "" if found is None else " at " + _line_column(text, found.start())
        raise FixtureError(source, "$", f"a number{where} is too long to read: {exc}") from None
    for parts, value in _walk(data):
        if isinstance(value, _Duplicated):
            raise FixtureError(source, json_path(parts), f"the key {value.key!r} appears more than once in this object")
    return data


def _line_column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)
    return f"line {line}, column {column}"


def check_data_depth(data: Any, source: str) -> None:
    """The same limit on data handed over already parsed (without recursing)."""
    for parts, value in _walk(data, max_depth=MAX_DEPTH + 1):
        if isinstance(value, (dict, list)) and len(parts) >= MAX_DEPTH:
            raise FixtureError(source, json_path(parts),
                               f"nests deeper than {MAX_DEPTH} levels (MAX_DEPTH)")


def check_text(data: Any, source: str) -> None:
    """Every string and key encodes as UTF-8 (checked before the schema, which would only say
    that `"\\ud800"` is not an id)."""
    for parts, value in _walk(data):
        if isinstance(value, dict):
            for key in value:
                if not _encodable(key):
                    raise FixtureError(source, json_path([*parts, key]),
                                       f"key {_escaped(key)} {_NOT_UTF8}")
        elif isinstance(value, str) and not _encodable(value):
            raise FixtureError(source, json_path(parts), f"{_escaped(value)} {_NOT_UTF8}")


def check_whole_numbers(data: Any, source: str) -> None:
    """After the schema: no number with a fraction or exponent (the schema's integers accept
    `1.0`; no field takes anything but whole numbers)."""
    for parts, value in _walk(data):
        if isinstance(value, float):
            raise FixtureError(source, json_path(parts), f"{value!r} is not a whole number: "
                               "write it without a fraction or exponent")


_NOT_UTF8 = "is not text that UTF-8 can encode (a lone surrogate such as \\ud800)"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escaped(text: str, limit: int = 60) -> str:
    shown = json.dumps(text)  # ASCII: surrogates come out as \\ud800
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _walk(data: Any, max_depth: int | None = None) -> Iterator[tuple[Parts, Any]]:
    """Every value with its path, depth first, without recursion."""
    todo: list[tuple[Parts, Any]] = [((), data)]
    while todo:
        parts, value = todo.pop()
        yield parts, value
        if max_depth is not None and len(parts) >= max_depth:
            continue
        if isinstance(value, dict):
            todo.extend(((*parts, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            todo.extend(((*parts, i), v) for i, v in reversed(list(enumerate(value))))


def file_text(path: Path, source: str) -> str:
    """The text of a scenario file whose size is within the limit."""
    check_size(path, source)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(source, "$", f"cannot read the file: {exc}") from exc

