"""A canonical dump of a store, for telling two end states apart (the kill harness, M5).

Every table of the store but the bookkeeping (EXCLUDED), rows sorted, with what is made up
anew on every run normalized: ids the store or the run invents (connection and sync-run
numbers, migration uuids) are replaced by their rank in their table, in every column that
refers to them; a timestamp that is one of the given clock instants becomes "<clock>" (so
stamps copied from the data are still compared as they are). The secrets file's connection
keys (hashed; OAuth token caches are bookkeeping) and the services' records are part of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff
from sqlalchemy import inspect, select

from bridge.clock import FakeClock
from bridge.store import Store
from bridge.store.tables import Base
from sandbox import Sandbox

#: tables left out of the comparison, and why
EXCLUDED = {
    "locks": "who holds the migration lock: bookkeeping of the processes, not state",
    "api_usage": "the day's call counts per service: a killed attempt made calls an uninterrupted run did not",
    "alembic_version": "the schema's version, the same in every copy",
}
#: tables whose ids the store or the run makes up: table -> columns ranked by
MADE_UP_IDS = {"connections": ("id",), "sync_runs": ("id",), "sync_errors": ("id",),
               "migration_runs": ("started_at", "id")}
#: columns that name a migration run without a foreign key (the carried records' provenance)
RUN_REFERENCES = "migration_id"
SERVICES = ("books", "projects")
SANDBOX_FILE, SECRETS_FILE = "sandbox.db", "secrets.json"


def dump(store: Store, home: Path, instants: Iterable[dt.datetime] = ()) -> dict[str, Any]:
    """Every table of the store but EXCLUDED, the secrets file's connection keys and the
    services' records, normalized as the module docstring says; equal dumps, equal states."""
    clock = set(instants)
    names = set(inspect(store.engine).get_table_names())
    unknown = names - set(Base.metadata.tables) - set(EXCLUDED)
    assert not unknown, f"tables the dump does not know (add them to the metadata or EXCLUDED): {unknown}"
    rows: dict[str, list[dict[str, Any]]] = {}
    with store.engine.connect() as c:
        for name in sorted(names - set(EXCLUDED)):
            rows[name] = [dict(r._mapping) for r in c.execute(select(Base.metadata.tables[name]))]
    labels = _labels(rows)
    refs = _references()
    out: dict[str, Any] = {}
    for name, table_rows in rows.items():
        normal = [{col: _value(name, col, v, labels, refs, clock) for col, v in row.items()} for row in table_rows]
        out[name] = sorted(normal, key=_canonical)
    out["secrets (file)"] = _secrets(home, labels.get("connections", {}))
    out["services"] = _services(home)
    return out


def _labels(rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, dict[Any, str]]:
    """table -> made-up id -> its rank in the table ("connections#2")."""
    for table in Base.metadata.sorted_tables:  # a new table with a made-up id must be listed
        pk = list(table.primary_key.columns)
        assert not (len(pk) == 1 and pk[0].name == "id") or table.name in MADE_UP_IDS, table.name
    labels: dict[str, dict[Any, str]] = {}
    for name, order in MADE_UP_IDS.items():
        ranked = sorted(rows.get(name, []), key=lambda r: tuple(r[c] for c in order))  # ids as numbers
        labels[name] = {r["id"]: f"{name}#{i}" for i, r in enumerate(ranked, 1)}
    return labels


def _references() -> dict[tuple[str, str], str]:
    """(table, column) -> the made-up-id table it refers to."""
    refs: dict[tuple[str, str], str] = {}
    for table in Base.metadata.sorted_tables:
        for col in table.columns:
            if table.name in MADE_UP_IDS and col.name == "id":
                refs[(table.name, col.name)] = table.name
            for fk in col.foreign_keys:
                if fk.column.table.name in MADE_UP_IDS:
                    refs[(table.name, col.name)] = fk.column.table.name
            if col.name == RUN_REFERENCES:
                refs[(table.name, col.name)] = "migration_runs"
    return refs


def _value(table: str, col: str, value: Any, labels: Mapping[str, Mapping[Any, str]],
           refs: Mapping[tuple[str, str], str], clock: set[dt.datetime]) -> Any:
    if value is None:
        return None
    target = refs.get((table, col))
    if target is not None:
        return labels[target].get(value, f"dangling:{value}")
    if isinstance(value, dt.datetime) and value in clock:
        return "<clock>"
    return value


def _canonical(row: Mapping[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


def _secrets(home: Path, connections: Mapping[Any, str]) -> dict[str, str]:
    """Connection keys by connection label (OAuth token caches are bookkeeping), hashed."""
    path = home / SECRETS_FILE
    data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    out = {}
    for name, value in data.items():
        if name.startswith("oauth:"):
            continue
        mode, _, rest = name.partition(":")
        conn, _, what = rest.partition(":")
        label = connections.get(int(conn), f"dangling:{conn}") if conn.isdigit() else conn
        out[f"{mode}:{label}:{what}"] = hashlib.sha256(value.encode()).hexdigest()[:12]
    return out


def _services(home: Path) -> dict[str, list[str]]:
    sandbox = Sandbox(home / SANDBOX_FILE, clock=FakeClock())
    try:
        state = sandbox.state()
    finally:
        sandbox.close()
    return {f"{service}/{kind}": sorted(_canonical(b) for b in bodies)
            for service in SERVICES for kind, bodies in state.get(service, {}).items()}


def first_differences(a: Mapping[str, Any], b: Mapping[str, Any], limit: int = 5) -> list[str]:
    """Where two dumps differ, table by table, for a failure message."""
    out = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            out.append(f"{name}: {DeepDiff(a.get(name), b.get(name)).pretty()[:800]}")
    return out[:limit]
