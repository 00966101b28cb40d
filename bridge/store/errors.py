"""The database layer's errors as the toolkit's: translated once, at the store boundary.

`make_engine` (the URL and its driver), `Store.open` (the first connection and query) and
`Store.session` run inside this module's translation. What leaves them is a `StoreError`
whose one line names the store (an SQLite file's path, else the URL with its password
hidden), with a hint:

    URL that does not parse, unknown scheme,     StoreInputError (exit 2)
      driver not installed, not a database, a folder
    no store where a command that only reads     NoStore
      looked; no such database on the server
    read-only file, folder or transaction        StoreReadOnly
    server unreachable, silent past the          StoreUnavailable
      connect timeout, login refused
    SQLite busy past its timeout, a damaged or   StoreError
      unopenable file, a schema upgrade that
      kept waiting for a lock

An error it does not know (an integrity error its caller handles, a bug) goes on as it is.
The waits these messages name are set here too: `connect_args` and `schema_lock_timeout`.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from bridge.errors import (
    ConfigError,
    NoStore,
    StoreError,
    StoreInputError,
    StoreReadOnly,
    StoreUnavailable,
)

#: seconds a PostgreSQL connection may take to be made (the URL's ?connect_timeout= wins)
CONNECT_TIMEOUT_ENV = "BRIDGE_DB_CONNECT_TIMEOUT"
DEFAULT_CONNECT_TIMEOUT = 10
#: seconds a schema upgrade on PostgreSQL waits for a table lock another session holds.
#: Only the upgrade: the migrator's waits for claims in flight are meant to last.
SCHEMA_LOCK_TIMEOUT_ENV = "BRIDGE_DB_LOCK_TIMEOUT"
DEFAULT_SCHEMA_LOCK_TIMEOUT = 30
#: seconds an SQLite statement waits for another process's write lock
SQLITE_BUSY_SECONDS = 30

SCHEMES_HINT = ("--db takes an SQLite file (a path, or sqlite:///PATH) or PostgreSQL "
                "(postgresql+psycopg://USER@HOST/DATABASE); other SQLAlchemy URLs need their "
                "driver installed")
READ_ONLY_HINT = ("check the permissions of the file and its folder (SQLite writes files beside "
                  "it), or point --db at another store")
MISSING_HINT = "run a command that writes, e.g. `bpbridge db upgrade`, or check --db/--home"


# -- naming the store ---------------------------------------------------------------------------
def parse_url(url: str) -> URL:
    """The URL as SQLAlchemy reads it; one that does not parse is the user's to fix."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:
        why = "its port is not a number" if "int()" in str(exc) else _first_line(exc)
        raise StoreInputError(f"{_hide_password(url)} is not a database URL ({why})",
                              hint=SCHEMES_HINT) from None


def _hide_password(url: str) -> str:
    return re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", url)


def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite URL (also a `file:` URI); None for another backend or memory."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database.startswith("file:") and url.query.get("uri") in ("true", "1", "True"):
        if url.query.get("mode") == "memory":
            return None
        database = database.removeprefix("file:")
    if database in ("", ":memory:"):
        return None
    return Path(database)


def store_name(url: URL) -> str:
    path = sqlite_path(url)
    return str(path) if path is not None else url.render_as_string(hide_password=True)


def _server(url: URL) -> str:
    port = url.port or (5432 if url.get_backend_name() == "postgresql" else None)
    host = url.host or "localhost"
    return f"{host}:{port}" if port else host


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


# -- the waits ------------------------------------------------------------------------------------
def _seconds(env: str, default: int) -> int:
    raw = os.environ.get(env, "").strip()
    if not raw:
        return default
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise ConfigError(f"{env}={raw!r} is not a wait: give whole seconds, at least 1")
    return seconds


def connect_timeout() -> int:
    return _seconds(CONNECT_TIMEOUT_ENV, DEFAULT_CONNECT_TIMEOUT)


def schema_lock_timeout() -> int:
    return _seconds(SCHEMA_LOCK_TIMEOUT_ENV, DEFAULT_SCHEMA_LOCK_TIMEOUT)


def connect_args(url: URL) -> dict[str, Any]:
    """What the driver is given so that no connection waits without end: SQLite's busy
    timeout; PostgreSQL's connect timeout, unless the URL sets its own."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return {"timeout": SQLITE_BUSY_SECONDS}
    if backend == "postgresql" and "connect_timeout" not in url.query:
        with engine_errors(url):
            driver = url.get_driver_name()
        if driver in ("psycopg", "psycopg2"):
            return {"connect_timeout": connect_timeout()}
    return {}


def _connect_timeout_in_use(url: URL) -> str:
    given = url.query.get("connect_timeout")
    if isinstance(given, str):
        return given
    try:
        return str(connect_timeout())
    except ConfigError:
        return str(DEFAULT_CONNECT_TIMEOUT)


# -- the translation ------------------------------------------------------------------------------
@contextmanager
def engine_errors(url: URL) -> Iterator[None]:
    """Around making an engine: an unknown scheme or a driver that is not installed."""
    name = store_name(url)
    try:
        yield
    except NoSuchModuleError:
        raise StoreInputError(f"{name}: no database driver for the scheme {url.drivername}://",
                              hint=SCHEMES_HINT) from None
    except ImportError as exc:
        raise StoreInputError(f"{name}: the driver for {url.drivername}:// is not installed "
                              f"(no Python module {exc.name or _first_line(exc)})",
                              hint=SCHEMES_HINT) from None
    except ArgumentError as exc:
        raise StoreInputError(f"{name}: {_first_line(exc)}", hint=SCHEMES_HINT) from None


@contextmanager
def store_errors(url: URL, *, opening: bool = False) -> Iterator[None]:
    """Around the store's queries: the errors `translate` knows become StoreErrors. While
    `opening`, any other database error also does (nothing has been done with it yet)."""
    try:
        yield
    except StoreError:
        raise
    except SQLAlchemyError as exc:
        error = translate(exc, url)
        if error is None and opening:
            error = StoreError(f"cannot open the store at {store_name(url)}: "
                               f"{type(getattr(exc, 'orig', exc)).__name__}: {_first_line(_orig(exc))}")
        if error is None:
            raise
        raise error from exc


def _orig(exc: SQLAlchemyError) -> BaseException:
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc


def translate(exc: SQLAlchemyError, url: URL) -> StoreError | None:
    """The toolkit's error for a database error, or None for one this module does not know."""
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    if orig is None:
        return None
    if isinstance(orig, sqlite3.Error):
        return _sqlite_error(orig, store_name(url))
    return _server_error(exc, orig, url)


def _sqlite_error(orig: sqlite3.Error, name: str) -> StoreError | None:
    code = str(getattr(orig, "sqlite_errorname", ""))
    detail = _first_line(orig)
    if code == "SQLITE_NOTADB":
        return StoreInputError(f"{name} is not an SQLite database",
                               hint="point --db at a store this toolkit made, or at a new path")
    if code.startswith("SQLITE_READONLY"):
        return StoreReadOnly(f"the store at {name} is read-only: {detail}", hint=READ_ONLY_HINT)
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreError(f"the store at {name} stayed locked by another process for "
                          f"{SQLITE_BUSY_SECONDS} s ({detail})",
                          hint="let the other bpbridge command that uses it finish, then run this again")
    if code.startswith("SQLITE_CANTOPEN"):
        return StoreError(f"cannot open the store at {name}: {detail}",
                          hint="check that the file and its folder exist and that you may read and "
                               "write them, or point --db at another store")
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_IOERR", "SQLITE_FULL")):
        return StoreError(f"the store at {name} cannot be used: {detail}",
                          hint="check the disk (full? damaged?); restore the file from a backup, "
                               "or point --db at another store")
    return None


_UNREACHABLE = re.compile(
    r"connection refused|could not connect|failed to resolve host|could not translate host|"
    r"name or service not known|no route to host|network is unreachable|timeout expired|"
    r"server closed the connection|connection.*(?:lost|closed|reset)|terminating connection|"
    r"consuming input failed|the connection is closed", re.IGNORECASE)
_LOGIN = re.compile(
    r"password authentication failed|authentication failed|role \S+ does not exist|"
    r"no pg_hba\.conf entry|password is required|no password supplied", re.IGNORECASE)


def _server_error(exc: DBAPIError, orig: BaseException, url: URL) -> StoreError | None:
    name, server = store_name(url), _server(url)
    state = str(getattr(orig, "sqlstate", None) or "")
    text = _first_line(orig)
    # libpq says where it went: keep only what happened there
    reason = re.sub(r"^(?:FATAL|ERROR):\s*", "", text.rsplit(" failed: ", 1)[-1])
    if type(orig).__name__ == "ConnectionTimeout" or "timeout expired" in text:
        setting = ("change connect_timeout in the URL" if "connect_timeout" in url.query else
                   f"set {CONNECT_TIMEOUT_ENV} (seconds) or add ?connect_timeout=N to the URL")
        return StoreUnavailable(
            f"the database server at {server} did not answer within "
            f"{_connect_timeout_in_use(url)} s (store {name})",
            hint=f"check that the server is up and that {server} is its address; to wait longer, {setting}")
    if state == "25006" or "read-only transaction" in text:
        return StoreReadOnly(f"the store at {name} is read-only: {reason}",
                             hint="use a database (and a server) that accepts writes, or point --db "
                                  "at another store")
    if state == "55P03":  # lock_not_available: only the schema upgrade sets a lock timeout
        return StoreError(
            f"the store at {name}: the schema upgrade waited {schema_lock_timeout()} s for a lock "
            f"another session holds ({reason})",
            hint=f"let the other command using the store finish, then run `bpbridge db upgrade`; "
                 f"{SCHEMA_LOCK_TIMEOUT_ENV} sets the wait (seconds)")
    if state.startswith("28") or _LOGIN.search(text):
        return StoreUnavailable(
            f"the database server at {server} refused the login to the store {name}: {reason}",
            hint="check the user and password in --db/BRIDGE_DB (in a URL, write % as %25 and @ as %40)")
    if state == "3D000" or re.search(r'database ".*" does not exist', text):
        return NoStore(f"no database {url.database!r} on the server at {server} (store {name})",
                       hint="create it (e.g. createdb), or check the database name in --db/BRIDGE_DB")
    if state.startswith("08") or exc.connection_invalidated or _UNREACHABLE.search(text):
        return StoreUnavailable(
            f"cannot reach the database server at {server} for the store {name}: {reason}",
            hint="check that the server is running and that --db/BRIDGE_DB names its host and port")
    return None
