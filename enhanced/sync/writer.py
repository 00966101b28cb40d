"""The one write path of a sync: every Books create and update a module makes, and the id
maps that name what was written, go through the `Writer` its `SyncState` holds.

`BooksWriter` (a run) calls the Books client and keeps the id maps in the store, batched.
`CountingWriter` (`sync --plan`) writes nothing: it counts each Books call it is asked for
and answers a create with a placeholder id, and keeps the id maps it is given in memory,
so later modules that need earlier ones' ids (tasks need their project's) go on as in a
run. Reads are not here: the modules read Books and Projects through the real clients in
both, so a plan takes the very decisions a run takes (plan equals run by construction).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from bridge.store import Store
from enhanced.sync import maps
from enhanced.sync.maps import Mapped, MapWriter

if TYPE_CHECKING:
    from bridge.clients.books import BooksClient

Record = dict[str, Any]
#: lists Books records of one scope (a Finder's source)
Lister = Callable[[], Iterable[Record]]


class BooksReads(Protocol):
    """What a sync may ask Books through `SyncState.books`: reads only, so a module cannot
    write around its `Writer` (mypy holds it to that)."""

    def current_user(self) -> Record: ...

    def list_users(self, **filters: object) -> Iterable[Record]: ...

    def list_contacts(self, **filters: object) -> Iterable[Record]: ...

    def list_projects(self, **filters: object) -> Iterable[Record]: ...

    def list_tasks(self, project_id: str) -> Iterable[Record]: ...

    def list_time_entries(self, **filters: object) -> Iterable[Record]: ...


class Writer(Protocol):
    # -- Books writes: one call each --------------------------------------------------------------
    def create_contact(self, payload: Mapping[str, object]) -> Record: ...

    def create_project(self, payload: Mapping[str, object]) -> Record: ...

    def update_project(self, project_id: str, payload: Mapping[str, object]) -> None: ...

    def create_task(self, project_id: str, payload: Mapping[str, object]) -> Record: ...

    def update_task(self, project_id: str, task_id: str, payload: Mapping[str, object]) -> None: ...

    def create_user(self, payload: Mapping[str, object]) -> Record: ...

    def mark_user_inactive(self, user_id: str) -> None: ...

    def add_project_user(self, project_id: str, payload: Mapping[str, object]) -> None: ...

    def create_time_entry(self, payload: Mapping[str, object], *, marker: str) -> Record: ...

    def update_time_entry(self, time_entry_id: str, payload: Mapping[str, object]) -> None: ...

    # -- id maps ----------------------------------------------------------------------------------
    def mapped(self, kind: str) -> dict[str, Mapped]:
        """The id map of `kind` as this sync knows it: the store's, with what was put since."""
        ...

    def fingerprints(self, kind: str) -> set[str]:
        """The fingerprints in `mapped(kind)`, read without the rest. For a kind whose payload
        names its record (a time entry's notes carry its log's marker), a fingerprint found
        here is that record's own, unchanged: enough to skip it without the map."""
        ...

    def put(self, kind: str, projects_id: str, books_id: str, fingerprint: str) -> None: ...

    def flush(self) -> None:
        """Make what was put visible to the next module (a run: written to the store)."""
        ...

    def under(self, books_id: str | None, lister: Lister) -> Lister:
        """`lister` of the Books records under `books_id` (a project's tasks, say)."""
        ...


class BooksWriter:
    """A run's writer: the Books client, and the store's id maps written in batches. A map
    read from the store is kept until something is put in it (the modules ask for the
    projects map five times and for the users' maps three times; one or two write each)."""

    def __init__(self, books: BooksClient, store: Store, connection_id: int, now: dt.datetime) -> None:
        self.books = books
        self.maps = MapWriter(store, connection_id, now)
        self._known: dict[str, dict[str, Mapped]] = {}

    def create_contact(self, payload: Mapping[str, object]) -> Record:
        return self.books.create_contact(payload)

    def create_project(self, payload: Mapping[str, object]) -> Record:
        return self.books.create_project(payload)

    def update_project(self, project_id: str, payload: Mapping[str, object]) -> None:
        self.books.update_project(project_id, payload)

    def create_task(self, project_id: str, payload: Mapping[str, object]) -> Record:
        return self.books.create_task(project_id, payload)

    def update_task(self, project_id: str, task_id: str, payload: Mapping[str, object]) -> None:
        self.books.update_task(project_id, task_id, payload)

    def create_user(self, payload: Mapping[str, object]) -> Record:
        return self.books.create_user(payload)

    def mark_user_inactive(self, user_id: str) -> None:
        self.books.mark_user_inactive(user_id)

    def add_project_user(self, project_id: str, payload: Mapping[str, object]) -> None:
        self.books.add_project_user(project_id, payload)

    def create_time_entry(self, payload: Mapping[str, object], *, marker: str) -> Record:
        return self.books.create_time_entry(payload, marker=marker)

    def update_time_entry(self, time_entry_id: str, payload: Mapping[str, object]) -> None:
        self.books.update_time_entry(time_entry_id, payload)

    def mapped(self, kind: str) -> dict[str, Mapped]:
        known = self._known.get(kind)
        if known is None:
            self.maps.flush()
            known = self._known[kind] = maps.load(self.maps.store, self.maps.connection_id, kind)
        return dict(known)  # the module's own: it records its changes in it

    def fingerprints(self, kind: str) -> set[str]:
        known = self._known.get(kind)
        if known is not None:
            return {m.fingerprint for m in known.values()}
        self.maps.flush()
        return maps.load_fingerprints(self.maps.store, self.maps.connection_id, kind)

    def put(self, kind: str, projects_id: str, books_id: str, fingerprint: str) -> None:
        self.maps.put(kind, projects_id, books_id, fingerprint)
        self._known.pop(kind, None)  # read again if asked again (the time entries never are)

    def flush(self) -> None:
        self.maps.flush()

    def under(self, books_id: str | None, lister: Lister) -> Lister:
        return lister


PLACEHOLDER = "planned-"


class CountingWriter:
    """A plan's writer: counts the Books calls a run would make and writes nothing, to
    Books or to the store. `writes`: the Books writes by what they do; `reads`: the Books
    reads a run would make that a plan cannot (see `under`)."""

    def __init__(self, store: Store, connection_id: int) -> None:
        self.store, self.connection_id = store, connection_id
        self.writes: Counter[str] = Counter()
        self.reads: Counter[str] = Counter()
        self._maps: dict[str, dict[str, Mapped]] = {}
        self._made: set[str] = set()

    def _create(self, what: str, id_field: str, payload: Mapping[str, object]) -> Record:
        """The answer a create would get: the record as sent, under a placeholder id."""
        self.writes[f"create {what}"] += 1
        books_id = f"{PLACEHOLDER}{what}-{len(self._made) + 1}"
        self._made.add(books_id)
        return {**payload, id_field: books_id}

    def create_contact(self, payload: Mapping[str, object]) -> Record:
        return self._create("contact", "contact_id", payload)

    def create_project(self, payload: Mapping[str, object]) -> Record:
        return self._create("project", "project_id", payload)

    def update_project(self, project_id: str, payload: Mapping[str, object]) -> None:
        self.writes["update project"] += 1

    def create_task(self, project_id: str, payload: Mapping[str, object]) -> Record:
        return self._create("task", "task_id", payload)

    def update_task(self, project_id: str, task_id: str, payload: Mapping[str, object]) -> None:
        self.writes["update task"] += 1

    def create_user(self, payload: Mapping[str, object]) -> Record:
        return self._create("user", "user_id", payload)

    def mark_user_inactive(self, user_id: str) -> None:
        self.writes["mark user inactive"] += 1

    def add_project_user(self, project_id: str, payload: Mapping[str, object]) -> None:
        self.writes["add project user"] += 1

    def create_time_entry(self, payload: Mapping[str, object], *, marker: str) -> Record:
        return self._create("time entry", "time_entry_id", payload)

    def update_time_entry(self, time_entry_id: str, payload: Mapping[str, object]) -> None:
        self.writes["update time entry"] += 1

    def mapped(self, kind: str) -> dict[str, Mapped]:
        current = maps.load(self.store, self.connection_id, kind)
        current.update(self._maps.get(kind, {}))
        return current

    def fingerprints(self, kind: str) -> set[str]:
        return {m.fingerprint for m in self.mapped(kind).values()}

    def put(self, kind: str, projects_id: str, books_id: str, fingerprint: str) -> None:
        self._maps.setdefault(kind, {})[projects_id] = Mapped(books_id, fingerprint)

    def flush(self) -> None:
        pass  # what was put is already what `mapped` answers

    def under(self, books_id: str | None, lister: Lister) -> Lister:
        """A record this plan only pretends to create has nothing under it yet: no call here,
        though the run would list it once (one page, empty), so that call is counted."""
        if books_id not in self._made:
            return lister

        def nothing() -> Iterable[Record]:
            self.reads["GET (records under a record the sync creates)"] += 1
            return []

        return nothing
