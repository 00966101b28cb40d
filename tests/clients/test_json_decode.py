"""Answers decode to exactly what json.loads gives (bridge/clients/_json.py): the faster
decoder must never change a value, an id or an amount above all."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.clients._json import decode

_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text())
documents = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=5)
                         | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=30)


def same(a: Any, b: Any) -> bool:
    """Equal, with the types and float signs json.loads gives (0.0 == 0 and -0.0 == 0.0 in Python)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(documents, st.booleans())
def test_any_document_decodes_as_json_loads_decodes_it(doc: Any, ascii_only: bool) -> None:
    content = json.dumps(doc, ensure_ascii=ascii_only).encode()
    assert same(decode(content), json.loads(content))


@pytest.mark.parametrize("content", [
    b'{"id": 18446744073709551616}',  # past 64 bits: an id stays an exact integer
    b'{"id": -9223372036854775809}',
    b'{"amount": 123456789.123456789}',
    b'{"a": -0.0, "b": 5e-324, "c": 1e-400, "d": 1.7976931348623157e308}',
    b'{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e400}',  # json.loads takes these; msgspec does not
    b'\xef\xbb\xbf{"a": 1}',  # a byte-order mark
    '{"a": "\u00e9"}'.encode("utf-16"),
    b'{"a": "\\ud800"}',  # a lone surrogate
    b'{"a": 1, "a": 2}',
    b'  [1, "two", {"three": [3.0]}]  ',
])
def test_edge_cases_decode_as_json_loads_decodes_them(content: bytes) -> None:
    assert same(decode(content), json.loads(content))


@pytest.mark.parametrize("content", [b"", b"[1, 2", b'{"a": "\xff"}', b"<html>busy</html>"])
def test_what_is_not_json_is_a_value_error(content: bytes) -> None:
    with pytest.raises(ValueError):
        decode(content)
