"""The state store: one SQLAlchemy engine, a session factory, a schema kept at head.

`Store.open(url)` takes any SQLAlchemy URL or a plain file path (SQLite). SQLite gets WAL
and a busy timeout so that several CLI processes can share one file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bridge.errors import StoreError

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


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> Store:
        from bridge.store.schema import ensure_schema  # alembic loads only when a store opens

        engine = make_engine(url)
        try:
            if upgrade:
                ensure_schema(engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store at {engine.url.render_as_string()}: {exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}") from exc
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
