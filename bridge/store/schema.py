"""Versioned schema: Alembic revisions shipped in the package and run from code.

Opening a store upgrades an older schema to head; a database stamped with a revision this
toolkit does not know (made by a newer version) is refused with both versions named.

Alembic is handed the caller's connection (`config.attributes["connection"]`, as its
cookbook shares one), never the URL: a URL in Alembic's configparser options would have
each `%` of a percent-encoded password read as interpolation.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine

from bridge.errors import SchemaVersionError
from bridge.store.errors import schema_lock_timeout, store_name

ALEMBIC_DIR = Path(__file__).with_name("alembic")


def alembic_config(bind: Engine | Connection | None = None) -> Config:
    """Alembic's configuration for our scripts; `bind` is what env.py migrates (a
    connection runs in its caller's transaction; an engine gets a connection of its own)."""
    cfg = Config(stdout=io.StringIO())  # alembic's chatter never reaches our output
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    if bind is not None:
        cfg.attributes["connection"] = bind
    return cfg


@functools.cache
def _scripts() -> ScriptDirectory:
    """The shipped revisions, read once per process: opening a store at head (every step of
    every organization a fleet worker runs) then costs one query, not a re-read of every
    revision file (50 ms each time)."""
    script = ScriptDirectory.from_config(alembic_config())
    script.get_current_head()  # builds the revision map now, under the cache's first call
    return script


def head_revision(engine: Engine | None = None) -> str:
    """The newest revision this toolkit knows (the scripts', whatever the database: `engine`
    is not needed)."""
    head = _scripts().get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_schema(engine: Engine) -> str:
    """Upgrade to head if behind; refuse a revision we do not know. Returns the revision.

    On PostgreSQL the upgrade waits at most `schema_lock_timeout()` for a table another
    session has locked, rather than hang (and block every query queued behind it)."""
    script = _scripts()
    current = current_revision(engine)
    head = script.get_current_head()
    if current == head:
        return current or ""
    if current is not None and not _known(script, current):
        raise SchemaVersionError(
            f"the store at {store_name(engine.url)} is at schema revision {current}, which this "
            f"toolkit does not know (it knows up to {head}): it was written by a newer version",
            hint="upgrade the toolkit, or point --db at another store",
        )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{schema_lock_timeout()}s'")
        command.upgrade(alembic_config(conn), "head")
    return head or ""


def _known(script: ScriptDirectory, rev: str) -> bool:
    try:
        return script.get_revision(rev) is not None
    except CommandError:  # alembic's word for "no such revision"
        return False


def check_models(engine: Engine) -> None:
    """Raise if the ORM models and the migrated schema differ (alembic check)."""
    with engine.connect() as conn:
        command.check(alembic_config(conn))
