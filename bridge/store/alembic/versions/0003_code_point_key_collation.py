"""Key columns collate by code point on PostgreSQL.

Batched reads order by these keys and compare them with Python's string order; with the
database's default collation an ORDER BY ... COLLATE "C" could not use the key's index and
sorted the remaining rows for every batch.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    ("id_map", "kind", 16), ("id_map", "projects_id", 64),
    ("transactions", "kind", 16), ("transactions", "books_id", 64),
    ("invoice_lines", "invoice_id", 64),
    ("billed_tasks", "task_id", 64),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite already compares by code point (BINARY)
    for table, column, length in COLUMNS:
        op.alter_column(table, column, type_=sa.VARCHAR(length, collation="C"),
                        existing_type=sa.VARCHAR(length), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length in COLUMNS:
        op.alter_column(table, column, type_=sa.VARCHAR(length), existing_type=sa.VARCHAR(length, collation="C"),
                        existing_nullable=False)
