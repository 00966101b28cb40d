"""The state store: one SQLAlchemy engine, a session factory, a schema kept at head.

`Store.open(url)` takes any SQLAlchemy URL or a plain file path (SQLite). SQLite gets WAL
and a busy timeout so that several CLI processes can share one file; PostgreSQL a connect
timeout. The database layer's errors become StoreErrors at this boundary (errors.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from bridge.errors import NoStore, StoreError, StoreInputError, StoreReadOnly
from bridge.store.errors import (
    MISSING_HINT,
    READ_ONLY_HINT,
    SQLITE_BUSY_SECONDS,
    connect_args,
    engine_errors,
    parse_url,
    sqlite_path,
    store_errors,
    store_name,
)

#: the toolkit's folder under the user's data directory (XDG_DATA_HOME on Linux)
APP_DIR = "books-projects-bridge"


def default_home() -> Path:
    """Where state lives when neither --home nor $BRIDGE_HOME says: a per-user folder, so
    that the store never depends on the working directory."""
    return platformdirs.user_data_path(APP_DIR)


def default_url(home: Path) -> str:
    """The SQLite store inside `home`."""
    return f"sqlite:///{home / 'state.db'}"


def normalize_url(url_or_path: str) -> str:
    if "://" in url_or_path:
        return url_or_path
    return f"sqlite:///{url_or_path}"


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine on `url` (a URL or an SQLite file path). `create=False` is for commands that
    only read: an SQLite file that is not there is refused, and neither it nor its folder is
    made. With `create`, a store this user may not write is refused before any work starts.
    An unusable URL, scheme or driver is refused with what works (bridge.store.errors)."""
    parsed = parse_url(normalize_url(url))
    path = sqlite_path(parsed)
    if path is not None:
        _check_sqlite_file(parsed, path, create=create)
    with engine_errors(parsed):
        engine = create_engine(parsed, connect_args=connect_args(parsed))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _check_sqlite_file(url: URL, path: Path, *, create: bool) -> None:
    name = store_name(url)
    if path.is_dir():
        raise StoreInputError(f"{name} is a folder, not an SQLite database",
                              hint=f"give --db a file, e.g. {path / 'state.db'}")
    if not path.exists():
        if not create:
            raise NoStore(f"no store at {name} ({MISSING_HINT})")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot make the folder of the store at {name}: {exc.strerror or exc}",
                             hint="check --db/--home, and that you may write there") from None
    elif create and (url.query.get("mode") == "ro" or not os.access(path, os.W_OK)):
        why = "the URL opens it with mode=ro" if url.query.get("mode") == "ro" else "you may not write the file"
        raise StoreReadOnly(f"the store at {name} is read-only: {why}", hint=READ_ONLY_HINT)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True, create: bool = True) -> Store:
        """Open the store at `url`, upgrading an older schema unless `upgrade=False`.
        `create=False`: for a command that only reads (see `make_engine`)."""
        from bridge.store.schema import ensure_schema  # alembic loads only when a store opens

        engine = make_engine(url, create=create)
        try:
            with store_errors(engine.url, opening=True):
                if upgrade:
                    ensure_schema(engine)
                else:
                    with engine.connect():
                        pass  # the first connection: an unusable store says so here
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any error. A lost server or a
        store that turned out read-only ends as a StoreError; other errors go on as they are."""
        with store_errors(self.engine.url), self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection (Core queries, no ORM), with the session's error translation:
        a lost server or a read-only store ends as a StoreError, not a driver's traceback."""
        with store_errors(self.engine.url), self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()
