"""A saved plan: one JSON document, written without holding its records in memory, and read
back by `migrate run --plan` only as far as its checksum.

Shape (`version` 1):

    {"format": "bridge-migration-plan", "version": 1, "portal_id": ..., "checksum": {...},
     "state": ..., "create": {...}, "left_out": {...}, "change": [...], "calls": {...},
     "records": {"invoices": {"count": n, "rows": [...]}, "expenses": ..., "other_transactions": ...,
                 "billed_tasks": ..., "left_out": ...}}

Money is {"amount": "123.45", "currency": "USD"}. No secrets: the records are ids, numbers
and amounts, and the checksum is a digest (of the key's fingerprint, never of the key).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from bridge.errors import InputError
from migrate.checksum import Checksum
from migrate.plan import SECTIONS, Plan

FORMAT, VERSION = "bridge-migration-plan", 1
#: the top-level keys a reader needs, first in the file so it stops before the records
HEAD = ("format", "version", "portal_id", "checksum")


class PlanWriter:
    """A plan's sink: each section's records spool to a temporary file as they come (they
    arrive interleaved, in the legacy scope's key order); `finish` writes the document."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # closed by close(): they live as long as the writer
        self._spools: dict[str, IO[str]] = {
            name: tempfile.TemporaryFile("w+", encoding="utf-8") for name in SECTIONS}  # noqa: SIM115
        self._counts = dict.fromkeys(SECTIONS, 0)

    def add(self, section: str, record: dict[str, Any]) -> None:
        spool = self._spools[section]
        spool.write(",\n" if self._counts[section] else "\n")
        spool.write(json.dumps(record, sort_keys=True))
        self._counts[section] += 1

    def finish(self, plan: Plan) -> None:
        head = plan.header()
        head = {"format": FORMAT, "version": VERSION, **{k: head[k] for k in HEAD[2:]},
                **{k: v for k, v in head.items() if k not in HEAD}}
        # written next to the target and renamed: a half-written plan never has its name
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write("{\n")
                for key, value in head.items():
                    out.write(f"{json.dumps(key)}: {json.dumps(value, sort_keys=True)},\n")
                out.write('"records": {')
                for i, name in enumerate(SECTIONS):
                    spool = self._spools[name]
                    spool.seek(0)
                    out.write(f'{"," if i else ""}\n{json.dumps(name)}: {{"count": {self._counts[name]}, "rows": [')
                    while chunk := spool.read(1 << 20):
                        out.write(chunk)
                    out.write("\n]}")
                out.write("\n}\n}\n")
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise

    def close(self) -> None:
        for spool in self._spools.values():
            spool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def read_plan_head(path: Path) -> tuple[str, Checksum]:
    """The portal id and checksum of a saved plan, read incrementally: a plan of a million
    records is hundreds of megabytes, and a run needs only its head."""
    where = str(path)
    try:
        with path.open(encoding="utf-8") as f:
            head = _top_level(f, HEAD, where)
    except OSError as exc:
        raise InputError(f"{where}: cannot read the plan: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not a plan file (not UTF-8 text)") from exc
    if head.get("format") != FORMAT:
        raise InputError(f"{where}: not a migration plan (format is not {FORMAT!r})",
                         hint="save one with `bpbridge migrate plan --out FILE`")
    if head.get("version") != VERSION:
        raise InputError(f"{where}: plan version {head.get('version')!r}; this toolkit reads version {VERSION}")
    if not isinstance(head.get("portal_id"), str):
        raise InputError(f"{where}: portal_id: expected a string")
    return head["portal_id"], Checksum.from_json(head.get("checksum"), where)


def _top_level(f: IO[str], wanted: tuple[str, ...], where: str) -> dict[str, Any]:
    """The values of `wanted` keys of the JSON object in `f`, parsing one key and value at
    a time and stopping once all are found (or at the object's end)."""
    decoder = json.JSONDecoder()
    buf, pos, chunk = "", 0, 1 << 16
    found: dict[str, Any] = {}

    def more() -> None:
        nonlocal buf, pos, chunk
        text = f.read(chunk)
        if not text:
            raise InputError(f"{where}: not a plan file (its JSON is cut short or malformed)")
        buf, pos = buf[pos:] + text, 0
        chunk = min(chunk * 2, 1 << 26)  # a long value is re-parsed from its start: grow the reads

    def skip_to(chars: str) -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos].isspace():
                pos += 1
            if pos < len(buf):
                if buf[pos] not in chars:
                    raise InputError(f"{where}: not a plan file (expected one of {chars!r} at offset ~{f.tell()})")
                pos += 1
                return buf[pos - 1]
            more()

    def value() -> Any:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos].isspace():
                pos += 1
            try:
                parsed, end = decoder.raw_decode(buf, pos)
                # a number at the buffer's end may go on in the next read
                if end < len(buf):
                    pos = end
                    return parsed
            except json.JSONDecodeError:
                pass
            more()

    skip_to("{")
    while not set(wanted) <= set(found):
        if skip_to('"}') == "}":
            break
        pos -= 1
        key = value()
        skip_to(":")
        found[key] = value()
        if skip_to(",}") == "}":
            break
    return found
