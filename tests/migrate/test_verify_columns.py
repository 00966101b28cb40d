"""M3: verify compares every column of every table the migration writes, or documents why
not. The cases come from the table metadata, so a column added later is corrupted (and must
be caught) here without anyone adding it to a list."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Column, Date, Integer, String, Table, select

from bridge.store.types import ExactDecimal, UTCDateTime
from migrate.kinds import NOT_COMPARED, WRITTEN
from migrate.run import find_migration, run_migration
from migrate.verify import verify_migration
from tests.migrate.conftest import LegacyWorld

REPO = Path(__file__).resolve().parents[2]
DOCS = (REPO / "docs" / "MIGRATION.md").read_text()
#: a scenario whose migration writes a row to every table, left-outs included
SCENARIO = "deleted-project"

CASES = [(kind, col.name) for kind, (table, _) in WRITTEN.items() for col in table.columns
         if col.name not in NOT_COMPARED.get(table.name, {})]


def test_every_exclusion_names_a_real_column_and_is_documented_with_its_reason() -> None:
    tables = {table.name: table for table, _ in WRITTEN.values()}
    assert set(NOT_COMPARED) == set(tables)
    for table_name, columns in NOT_COMPARED.items():
        for column, reason in columns.items():
            assert column in tables[table_name].c, (table_name, column)
            assert reason.strip(), (table_name, column)
            assert f"`{table_name}.{column}`" in DOCS, f"{table_name}.{column} is not in docs/MIGRATION.md"


def test_the_cases_cover_every_written_column_not_excluded() -> None:
    written = {(table.name, c.name) for table, _ in WRITTEN.values() for c in table.columns}
    excluded = {(t, c) for t, cols in NOT_COMPARED.items() for c in cols}
    assert {(WRITTEN[k][0].name, c) for k, c in CASES} == written - excluded
    assert len(CASES) > 40  # the metadata was read, not an empty list


def _other(col: Column[Any], value: Any) -> Any:
    """A value of the column's type that differs from `value` and the store accepts."""
    t = col.type
    if col.foreign_keys:  # only connections.migrated_from: no other row to point to
        assert col.nullable and value is not None
        return None
    if isinstance(t, ExactDecimal):
        return Decimal(value or 0) + 1
    if isinstance(t, UTCDateTime):
        return (value or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) + dt.timedelta(days=1)
    if isinstance(t, Date):
        return (value or dt.date(2026, 1, 1)) + dt.timedelta(days=1)
    if isinstance(t, Boolean):
        return not value
    if isinstance(t, JSON):
        return ["projects"] if value != ["projects"] else ["users"]
    if isinstance(t, Integer):
        return value + 1000
    assert isinstance(t, String), (col, t)
    text = value or ""
    length = t.length or 200
    return text + "Z" if len(text) < length else text[:-1] + ("Y" if text.endswith("Z") else "Z")


def _scope(kind: str, table: Table, target: int, migration_id: str) -> Any:
    if kind == "connection":
        return table.c.id == target
    if kind == "left_out":
        return table.c.migration_id == migration_id
    return table.c.connection_id == target


def _corrupt(world: LegacyWorld, kind: str, column: str) -> tuple[str, str, str]:
    """Change `column` of one migrated row of `kind`; its key text before and after."""
    _, run = find_migration(world.ctx)
    assert run is not None and run.target_connection_id is not None
    table, key = WRITTEN[kind]
    col = table.c[column]
    scope = _scope(kind, table, run.target_connection_id, run.id)
    with world.ctx.store.session() as s:
        rows = s.execute(select(table).where(scope).order_by(*(table.c[k] for k in key))).all()
        assert rows, kind
        row = next((r for r in rows if getattr(r, column) is not None), rows[0])  # a value to change
        new = _other(col, getattr(row, column))
        where = [scope, *(table.c[k] == getattr(row, k) for k in key)]  # a key is unique within its scope
        assert s.execute(table.update().where(*where).values({column: new})).rowcount == 1  # type: ignore[attr-defined]
    before = "/".join(str(getattr(row, k)) for k in key)
    after = "/".join(str(new if k == column else getattr(row, k)) for k in key)
    return before, after, str(new)


@pytest.mark.parametrize(("kind", "column"), CASES, ids=[f"{k}.{c}" for k, c in CASES])
def test_M3_verify_names_the_record_and_field_of_each_corrupted_column(
    legacy_world: Callable[[str], LegacyWorld], kind: str, column: str,
) -> None:
    world = legacy_world(SCENARIO)
    run_migration(world.ctx)
    assert verify_migration(world.ctx, services=False).ok
    before, after, _ = _corrupt(world, kind, column)
    report = verify_migration(world.ctx, services=False)
    assert not report.ok
    found = {(d.kind, "/".join(map(str, d.key)), d.change, d.field) for d in report.differences}
    if column in WRITTEN[kind][1]:  # a changed key is another record: the old one is gone
        assert {(kind, before, "missing", ""), (kind, after, "extra", "")} <= found, found
    else:
        assert (kind, before, "changed", column) in found, found


@pytest.mark.parametrize(("kind", "column"), [("billed_tasks", "billed_at"), ("id_map", "migration_id"),
                                              ("connection", "state"), ("preferences", "modules")])
def test_M3_the_cli_exits_1_naming_the_corrupted_field(
    legacy_world: Callable[[str], LegacyWorld], kind: str, column: str,
) -> None:
    world = legacy_world(SCENARIO)
    run_migration(world.ctx)
    before, _, _ = _corrupt(world, kind, column)
    out = subprocess.run([sys.executable, "-m", "bridge.cli.main", "migrate", "verify", "--no-services"],
                         env={**os.environ, **world.env()}, cwd=REPO, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"{kind}[{before}].{column}: expected" in out.stdout, out.stdout
