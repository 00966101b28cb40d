"""The services' answers decoded: msgspec's JSON decoder, with the standard library's for
what msgspec refuses and `json.loads` accepts (NaN, Infinity, a byte-order mark, a lone
surrogate, an encoding other than UTF-8), so an answer decodes to what `json.loads` gives.

Why not `json.loads` alone: a sync decodes every answer it reads (a re-sync of a portal
with 200,000 time logs: 86 MiB of pages), and msgspec decodes a time-log page in less than
half the time (213 us against 456 for 80 KB). Why msgspec and not orjson, as fast: orjson
turns an integer beyond 64 bits into a float without a word; msgspec keeps it exact.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

_DECODER = msgspec.json.Decoder()


def decode(content: bytes) -> Any:
    """The JSON value of `content`, as `json.loads(content)` gives it; ValueError if it is not JSON."""
    try:
        return _DECODER.decode(content)
    except msgspec.DecodeError:  # not JSON, or JSON msgspec does not take: the standard library decides
        return json.loads(content)
