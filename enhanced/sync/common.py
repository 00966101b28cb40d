"""The one write path every module uses: fingerprint, then create / update / leave alone.

Creates are made safe to repeat without a bulk or idempotent endpoint in Books: when a
create's answer is lost (5xx, timeout) or a previous run died between its creates and the
batched id-map write, a `Finder` lists the Books records of that scope that no mapping
claims and matches them on the fields the create wrote (a multiset, so two identical logs
still give two entries). A match is adopted instead of creating again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bridge.errors import ServiceError, ServiceTimeout
from bridge.store.repo import record_fingerprint
from enhanced.sync.maps import Mapped
from enhanced.sync.state import SyncState

ATTEMPTS = 4


@dataclass
class Counts:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"fetched": self.fetched, "created": self.created, "updated": self.updated, "skipped": self.skipped}


def ambiguous(exc: ServiceError) -> bool:
    """The write may have happened even though we got no answer."""
    return isinstance(exc, ServiceTimeout) or (exc.status or 0) >= 500


@dataclass
class Finder:
    """Unclaimed Books records of one scope, indexed by the natural key a create writes."""

    lister: Callable[[], Iterable[dict[str, Any]]]
    key: Callable[[dict[str, Any]], Hashable]
    id_field: str
    claimed: set[str]
    _index: dict[Hashable, list[str]] | None = field(default=None)

    def refresh(self) -> None:
        index: dict[Hashable, list[str]] = defaultdict(list)
        for rec in self.lister():
            rid = str(rec[self.id_field])
            if rid not in self.claimed:
                index[self.key(rec)].append(rid)
        self._index = index

    def take(self, key: Hashable) -> str | None:
        if self._index is None:
            self.refresh()
        assert self._index is not None
        ids = self._index.get(key)
        if not ids:
            return None
        rid = ids.pop(0)
        self.claimed.add(rid)
        return rid


def _retry(call: Callable[[], Any]) -> Any:
    for attempt in range(ATTEMPTS):
        try:
            return call()
        except ServiceError as exc:
            if not ambiguous(exc) or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def create_once(
    create: Callable[[], dict[str, Any]], id_field: str, finder: Finder | None, key: Hashable,
) -> str:
    """Create a record; after a lost answer, adopt the record if it was made after all."""
    for attempt in range(ATTEMPTS):
        try:
            rec = create()
            rid = str(rec[id_field])
            if finder is not None:
                finder.claimed.add(rid)
            return rid
        except ServiceError as exc:
            if not ambiguous(exc) or finder is None or attempt == ATTEMPTS - 1:
                raise
            finder.refresh()
            found = finder.take(key)
            if found is not None:
                return found
    raise AssertionError("unreachable")


def apply(
    st: SyncState, counts: Counts, *, kind: str, projects_id: str, payload: dict[str, Any],
    mapped: dict[str, Mapped], create: Callable[[], dict[str, Any]], update: Callable[[str], Any] | None,
    id_field: str, finder: Finder | None = None, key: Hashable = None, fingerprint: str | None = None,
) -> str:
    """Bring one record into Books; returns its Books id. No write when nothing changed.
    `mapped`: the module's map of `kind`; an update is recorded in it (seen again, the
    record is not written again). `fingerprint`: the payload's, if the caller has it."""
    fp = record_fingerprint(payload) if fingerprint is None else fingerprint
    current = mapped.get(projects_id)
    if current is not None:
        if current.fingerprint == fp:
            counts.skipped += 1
            return current.books_id
        if update is not None:
            _retry(lambda: update(current.books_id))
        counts.updated += 1
        st.writer.put(kind, projects_id, current.books_id, fp)
        mapped[projects_id] = Mapped(current.books_id, fp)
        return current.books_id
    found = finder.take(key) if finder is not None and kind in st.reconcile else None
    if found is None:
        found = create_once(create, id_field, finder, key)
        counts.created += 1
    else:
        counts.skipped += 1  # adopted a record an interrupted run made
    st.writer.put(kind, projects_id, found, fp)
    return found
