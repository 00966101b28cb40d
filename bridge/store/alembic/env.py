"""Alembic environment: runs on the engine or connection the caller hands over in
`config.attributes` (the toolkit passes "engine"; pytest-alembic passes "connection")."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine, create_engine

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
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    engine = connection if isinstance(connection, Engine) else config.attributes.get("engine")
    engine = engine or create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


run_migrations_online()
