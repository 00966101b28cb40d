"""Whole-world operations shared by the `Sandbox` object and the control endpoints:
reset, seed, dump the state, and edit single records "upstream"."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sandbox import accounts
from sandbox.books.seed import books_rows
from sandbox.catalog import kind_of
from sandbox.db import Body, Db
from sandbox.formats import books_time
from sandbox.marks import touch
from sandbox.projects.seed import projects_rows
from sandbox.timekeeper import OFFSET_KEY, SandboxClock

# the services whose records make "the state"; the accounts server's clients and tokens are
# credentials, not data (a client minting a token is no change a test should see)
SERVICES = ("books", "projects")
SCENARIO_HOUR = 9  # a scenario's "today" starts the clock at 09:00 UTC


class RecordMissing(LookupError):
    pass


def reset(db: Db) -> None:
    """An empty world: no records, faults, limits or call counts (the clock keeps its time)."""
    with db.tx(write=True) as tx:
        tx.wipe(keep_meta=(OFFSET_KEY,))


def seed(db: Db, clock: SandboxClock, scenario: dict[str, Any]) -> dict[str, Any]:
    """Replace the world with a scenario's data; answer what was loaded, per kind."""
    if not isinstance(scenario, dict) or "books" not in scenario or "projects" not in scenario:
        raise ValueError("a scenario needs its books and projects sections")
    today = scenario.get("today")
    if today and clock.now().date().isoformat() != today:
        day = dt.date.fromisoformat(str(today))
        clock.set(dt.datetime(day.year, day.month, day.day, SCENARIO_HOUR,
                              tzinfo=dt.UTC))
    now = clock.now()
    try:
        with db.tx(write=True) as tx:
            tx.wipe(keep_meta=(OFFSET_KEY,))
            books, token_user = books_rows(now, scenario)
            tx.bulk_load(itertools.chain(projects_rows(now, scenario), books))
            accounts.seed(tx, token_user)
            counts = tx.conn.execute(
                "SELECT service, kind, count(*) FROM docs GROUP BY service, kind "
                "ORDER BY service, kind").fetchall()
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the scenario lacks a required field: {exc}") from exc
    loaded: dict[str, dict[str, int]] = {}
    for service, kind, n in counts:
        loaded.setdefault(service, {})[kind] = n
    return {"loaded": loaded, "now": now.isoformat()}


def state(db: Db) -> dict[str, Any]:
    """Every record of both services: kinds sorted by name, records in insertion order."""
    out: dict[str, Any] = {}
    with db.tx() as tx:
        for service in SERVICES:
            kinds: dict[str, list[Body]] = {}
            for kind, body in tx.iter_all(service):
                kinds.setdefault(kind, []).append(body)
            out[service] = kinds
    return out


def merge(target: Any, patch: Any) -> Any:
    """JSON merge patch (RFC 7386): objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def patch_record(db: Db, now: dt.datetime, service: str, kind: str, id_: str,
                 patch: dict[str, Any]) -> Body:
    """Change a record as if someone edited it upstream; its modified time moves."""
    spec = kind_of(service, kind)
    with db.tx(write=True) as tx:
        body = tx.get(service, kind, id_)
        if body is None or spec is None:
            raise RecordMissing(f"no {service} {kind} {id_}")
        body = dict(merge(body, patch))
        body[spec.id_field] = id_
        if service == "projects" and "last_modified_time_long" not in patch:
            touch(body, now)
        if service == "books" and "last_modified_time" in body and \
                "last_modified_time" not in patch:
            body["last_modified_time"] = books_time(now)
        tx.put(service, kind, id_, body, parent=spec.parent(body), ref=spec.ref(body))
    return body


def insert_record(db: Db, now: dt.datetime, service: str, kind: str, body: Body) -> Body:
    """Add a record upstream (a client, a user...); it must carry its id field."""
    spec = kind_of(service, kind)
    if spec is None:
        raise RecordMissing(f"no kind {kind} in {service}")
    id_ = str(body.get(spec.id_field) or "")
    if not id_:
        raise ValueError(f"the record needs its {spec.id_field}")
    with db.tx(write=True) as tx:
        if tx.get(service, kind, id_) is not None:
            raise ValueError(f"{service} {kind} {id_} already exists")
        if service == "projects" and kind not in ("portals", "users", "clients"):
            body = {"created_time_long": int(now.timestamp() * 1000), **body}
            touch(body, now)
        tx.insert(service, kind, id_, body, parent=spec.parent(body), ref=spec.ref(body))
    return body


def delete_record(db: Db, service: str, kind: str, id_: str) -> None:
    with db.tx(write=True) as tx:
        if not tx.delete(service, kind, id_):
            raise RecordMissing(f"no {service} {kind} {id_}")
