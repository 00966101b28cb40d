"""What a dependent module needs to know about its upstream: which records were fetched
(mapped and without an open error) and, for the rest, the error to name."""

from __future__ import annotations

from dataclasses import dataclass

from enhanced.sync import maps
from enhanced.sync.state import SyncState


@dataclass
class Upstream:
    module: str
    mapped: dict[str, maps.Mapped]
    failed: dict[str, str]  # record id -> reason code

    def books_id(self, record_id: str) -> str | None:
        if record_id in self.failed:
            return None
        m = self.mapped.get(record_id)
        return m.books_id if m else None


def upstream(st: SyncState, module: str, kind: str) -> Upstream:
    return Upstream(module, st.writer.mapped(kind), st.open_codes(module))
