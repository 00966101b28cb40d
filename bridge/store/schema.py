"""Versioned schema: Alembic revisions shipped in the package and run from code.

Opening a store upgrades an older schema to head; a database stamped with a revision this
toolkit does not know (made by a newer version) is refused with both versions named.
"""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from bridge.errors import SchemaVersionError

ALEMBIC_DIR = Path(__file__).with_name("alembic")


def alembic_config(engine: Engine) -> Config:
    cfg = Config(stdout=io.StringIO())  # alembic's chatter never reaches our output
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision(engine: Engine) -> str:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_schema(engine: Engine) -> str:
    """Upgrade to head if behind; refuse a revision we do not know. Returns the revision."""
    cfg = alembic_config(engine)
    script = ScriptDirectory.from_config(cfg)
    current = current_revision(engine)
    head = script.get_current_head()
    if current == head:
        return current or ""
    if current is not None and not _known(script, current):
        raise SchemaVersionError(
            f"the store is at schema revision {current}, which this toolkit does not know "
            f"(it knows up to {head}): it was written by a newer version",
            hint="upgrade the toolkit, or point --db at another store",
        )
    command.upgrade(cfg, "head")
    return head or ""


def _known(script: ScriptDirectory, rev: str) -> bool:
    try:
        return script.get_revision(rev) is not None
    except CommandError:  # alembic's word for "no such revision"
        return False


def check_models(engine: Engine) -> None:
    """Raise if the ORM models and the migrated schema differ (alembic check)."""
    command.check(alembic_config(engine))
