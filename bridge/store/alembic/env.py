"""Alembic environment: runs on the connection (or engine) the caller hands over in
`config.attributes["connection"]` (the toolkit and pytest-alembic both do). There is no URL
option: a URL in Alembic's configparser would read a password's `%` as interpolation."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from bridge.store.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    bind: Connection | Engine | None = config.attributes.get("connection")
    if bind is None:
        raise RuntimeError("the store's migrations run from code: bridge.store.schema.alembic_config(bind) "
                           "gives Alembic the connection")
    if isinstance(bind, Connection):
        _run(bind)  # in the caller's transaction: the caller commits
        return
    with bind.connect() as conn:
        _run(conn)
        conn.commit()

run_migrations_online()
