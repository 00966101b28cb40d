"""Shared test fixtures.

`store` runs a test on every configured backend: SQLite always, PostgreSQL when
BRIDGE_TEST_DATABASE_URL is set. Each PostgreSQL run makes its own uniquely named databases
(a template at head, and one copy per test) and drops them at the end, so parallel runs
and leftovers never collide.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bridge.store import Store
from bridge.store.schema import ensure_schema

PG_ENV = "BRIDGE_TEST_DATABASE_URL"
PG_HOWTO = (
    f"PostgreSQL tests are off: set {PG_ENV}="
    "postgresql+psycopg://postgres@127.0.0.1:5432/test to run them"
)
REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "fixtures" / "scenarios"


class PgDatabases:
    """Creates and drops this run's PostgreSQL databases through the admin URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.prefix = f"bridge_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self.template = f"{self.prefix}_tmpl"
        self._n = 0
        self.created: list[str] = []
        with self.admin.connect() as c:  # fails loudly if the server is unreachable
            c.execute(text(f'CREATE DATABASE "{self.template}"'))
        self.created.append(self.template)
        engine = create_engine(self.url_of(self.template))
        ensure_schema(engine)
        engine.dispose()

    def url_of(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def fresh(self) -> str:
        self._n += 1
        name = f"{self.prefix}_{self._n}"
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self.url_of(name)

    def empty(self) -> str:
        self._n += 1
        name = f"{self.prefix}_{self._n}"
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.url_of(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            with self.admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.clear()
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_HOWTO)
    dbs = PgDatabases(url)
    yield dbs
    dbs.drop_all()


BACKENDS = ["sqlite", "postgresql"]


def _database_url(request: pytest.FixtureRequest, tmp_path: Path, *, at_head: bool) -> Iterator[str]:
    """A new database on the fixture's backend (PostgreSQL skipped without the env var)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / ('state.db' if at_head else 'empty.db')}"
        return
    dbs: PgDatabases = request.getfixturevalue("pg_databases")
    url = dbs.fresh() if at_head else dbs.empty()
    yield url
    dbs.drop(url)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store URL at head on each backend."""
    yield from _database_url(request, tmp_path, at_head=True)


@pytest.fixture(params=BACKENDS)
def empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema) on each backend."""
    yield from _database_url(request, tmp_path, at_head=False)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def load_scenario_file(name: str) -> dict[str, Any]:
    from bridge.scenarios.fixtures import load_scenario

    path = Path(name) if name.endswith(".json") else SCENARIOS / f"{name}.json"
    return load_scenario(path)


@dataclass
class World:
    """A seeded sandbox and a Context on a store, wired in-process."""

    sandbox: Any
    ctx: Any
    scenario: dict[str, Any]
    store_url: str
    sandbox_path: Path


@pytest.fixture
def make_world(store_url: str, tmp_path: Path) -> Iterator[Callable[..., World]]:
    from bridge.clock import FakeClock
    from bridge.targets import scenario_clock
    from sandbox import Sandbox
    from sandbox.wiring import sandbox_context

    made: list[World] = []

    def make(scenario: str | dict[str, Any], **kwargs: Any) -> World:
        data = load_scenario_file(scenario) if isinstance(scenario, str) else scenario
        clock = kwargs.pop("clock", None) or FakeClock(scenario_clock(data))
        path = tmp_path / f"sandbox-{len(made)}.db"
        sandbox = Sandbox(path, clock=clock)
        sandbox.seed(data)
        ctx = sandbox_context(sandbox, Store.open(store_url), clock=clock, **kwargs)
        world = World(sandbox, ctx, data, store_url, path)
        made.append(world)
        return world

    yield make
    for w in made:
        w.ctx.store.close()


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real per-user data folder (the default --home) or the
    caller's BRIDGE_HOME/BRIDGE_DB: each test starts from its own empty XDG data folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    for name in ("BRIDGE_HOME", "BRIDGE_DB", "BRIDGE_TARGET", "BRIDGE_PROFILE", "BRIDGE_MODE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never answers (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield int(listener.getsockname()[1])
    listener.close()
    for conn in held:
        conn.close()
