"""M3/M4 in lanes: verify cut by key across processes finds exactly what one process finds,
in the same order, on both backends, whether the state is equal or broken at the cuts."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from bridge.errors import BridgeError, InputError
from bridge.store import Store
from bridge.store.tables import BilledTask, IdMap, InvoiceLineRow, TransactionRow
from migrate import upstream
from migrate.kinds import KINDS
from migrate.lanes import Job, Lanes, lane_count, spans
from migrate.ledger import IdSum
from migrate.run import find_migration, run_migration
from migrate.verify import VerifyReport, verify_migration
from tests.migrate.conftest import LegacyWorld

NOW = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
#: synthetic invoices added to the scenario's legacy state, so each kind cuts into 3 lanes
INVOICES = 24


def _grow(world: LegacyWorld) -> None:
    """Legacy records of every kind, some on a project gone upstream (so left out, with their
    lines), before the migration runs."""
    legacy, _ = find_migration(world.ctx)
    projects = upstream.project_ids(world.ctx, legacy)
    rows: dict[Any, list[dict[str, Any]]] = {TransactionRow: [], InvoiceLineRow: [], BilledTask: [], IdMap: []}
    for i in range(INVOICES):
        inv, project = f"88{i:04d}", "9999999" if i % 7 == 3 else projects[i % len(projects)]
        c = legacy.id
        rows[TransactionRow] += [
            {"connection_id": c, "kind": "invoice", "books_id": inv, "projects_id": None, "project_id": project,
             "customer_id": "7100000001", "currency": "USD", "total": Decimal("40.00"), "status": "sent",
             "origin": "books", "number": f"INV-{i}", "created_at": NOW},
            {"connection_id": c, "kind": "expense", "books_id": f"89{i:04d}", "projects_id": f"87{i:04d}",
             "project_id": project, "customer_id": None, "currency": "USD", "total": Decimal("1.25"),
             "status": "unbilled", "origin": "projects", "number": "", "created_at": NOW}]
        rows[InvoiceLineRow] += [{"connection_id": c, "invoice_id": inv, "line_no": n, "description": f"T{n}",
                                  "task_id": f"86{i:04d}{n}", "expense_id": None, "quantity": Decimal(1),
                                  "rate": Decimal(20), "amount": Decimal("20.00")} for n in (1, 2)]
        rows[BilledTask] += [{"connection_id": c, "task_id": f"86{i:04d}{n}", "invoice_id": inv, "side": "books",
                              "state": "billed", "billed_at": NOW} for n in (1, 2)]
        rows[IdMap].append({"connection_id": c, "kind": "expense", "projects_id": f"87{i:04d}",
                            "books_id": f"89{i:04d}", "fingerprint": "", "updated_at": NOW})
    with world.ctx.store.session() as s:
        for model, values in rows.items():
            s.execute(model.__table__.insert(), values)


def _comparable(report: VerifyReport) -> dict[str, Any]:
    """The report but its timing and how it was cut (lanes, batches per lane)."""
    data = report.to_json()
    data.pop("seconds")
    data["stats"] = {kind: (s["records"]) for kind, s in data["stats"].items()}
    return data


def _migrated(legacy_world: Callable[[str], LegacyWorld]) -> tuple[LegacyWorld, int]:
    world = legacy_world("deleted-project")
    _grow(world)
    run_migration(world.ctx, services=False)
    _, run = find_migration(world.ctx)
    assert run is not None and run.target_connection_id is not None
    return world, run.target_connection_id


def test_M3_lanes_find_nothing_on_an_equal_state_and_agree_with_one_process(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world, _ = _migrated(legacy_world)
    one = verify_migration(world.ctx, batch=7, services=False, workers=1)
    three = verify_migration(world.ctx, batch=7, services=False, workers=3)
    assert one.ok and three.ok, (one.to_json(), three.to_json())
    assert all(three.stats[k.name]["lanes"] == 3 for k in KINDS)
    assert _comparable(one) == _comparable(three)
    left = three.invariants["every_invoice_exactly_once"]
    assert left["left_out"] >= INVOICES // 7 and left["enhanced"] + left["left_out"] == left["legacy"]


@pytest.mark.parametrize("seed", [1, 2])
def test_M3_lanes_name_the_same_records_as_one_process_when_broken_at_the_cuts(
    legacy_world: Callable[[str], LegacyWorld], seed: int,
) -> None:
    """At every cut between lanes, the target record on the cut goes missing and the one just
    past it changes; extra records appear before the first key and after the last; a few
    more changes land at random. One process and three lanes must report them identically."""
    world, target = _migrated(legacy_world)
    store = world.ctx.store
    legacy, _ = find_migration(world.ctx)
    rng = random.Random(seed)
    broken: set[tuple[str, str]] = set()
    for kind in KINDS:
        table = kind.table
        with store.connect() as c:
            n = len(c.execute(select(table.c[kind.key[0]]).where(table.c.connection_id == legacy.id)).all())
        cuts = [span[1] for span in spans(store, kind, legacy.id, n, 3)[:-1] if span is not None]
        assert len(cuts) == 2 and None not in cuts
        keys = [tuple(r) for r in _keys(store, kind, target)]
        for cut in cuts:
            assert cut is not None
            at = keys.index(cut)
            _delete(store, kind, target, cut)
            _change(store, kind, target, keys[at + 1], rng)
            broken.add((kind.name, "/".join(map(str, cut))))
        for key in rng.sample(keys, 2):
            _change(store, kind, target, key, rng)
        _extra(store, kind, target, keys[0], "0")
        _extra(store, kind, target, keys[-1], "~")
    one = verify_migration(world.ctx, batch=5, services=False, workers=1)
    three = verify_migration(world.ctx, batch=5, services=False, workers=3)
    assert not one.ok
    assert _comparable(one) == _comparable(three)
    missing = {(d.kind, "/".join(map(str, d.key))) for d in three.differences if d.change == "missing"}
    assert broken <= missing
    assert {d.kind for d in three.differences if d.change == "extra"} == {k.name for k in KINDS}


def _keys(store: Store, kind: Any, scope: int) -> list[Any]:
    cols = [kind.table.c[k] for k in kind.key]
    with store.connect() as c:
        return list(c.execute(select(*cols).where(kind.table.c.connection_id == scope).order_by(*cols)).all())


def _where(kind: Any, scope: int, key: tuple[Any, ...]) -> list[Any]:
    return [kind.table.c.connection_id == scope, *(kind.table.c[k] == v for k, v in zip(kind.key, key, strict=True))]


def _delete(store: Store, kind: Any, scope: int, key: tuple[Any, ...]) -> None:
    with store.session() as s:
        assert s.execute(delete(kind.table).where(*_where(kind, scope, key))).rowcount == 1  # type: ignore[attr-defined]


#: per kind, a compared column and a new value for it
_CHANGES = {"id_map": ("books_id", lambda r: f"55{r.randrange(10**6)}"),
            "transactions": ("total", lambda r: Decimal(r.randrange(1, 10**5)) / 100),
            "invoice_lines": ("description", lambda r: f"edited {r.randrange(10**6)}"),
            "billed_tasks": ("side", lambda r: r.choice(["projects", "both"]))}


def _change(store: Store, kind: Any, scope: int, key: tuple[Any, ...], rng: random.Random) -> None:
    column, value = _CHANGES[kind.name]
    with store.session() as s:
        s.execute(update(kind.table).where(*_where(kind, scope, key)).values({column: value(rng)}))


def _extra(store: Store, kind: Any, scope: int, like: tuple[Any, ...], mark: str) -> None:
    """A copy of the target record `like` under a key that sorts before every key ("0", a
    digit) or after every key ("~", past letters and digits)."""
    first = kind.key[0]  # text in every kind
    with store.session() as s:
        row = dict(s.execute(select(kind.table).where(*_where(kind, scope, like))).mappings().one())
        row[first] = mark + row[first]
        s.execute(kind.table.insert().values(row))


def test_M3_the_cli_verifies_in_the_lanes_asked_for_and_names_a_difference(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world, target = _migrated(legacy_world)
    kind = KINDS[-1]
    gone = tuple(_keys(world.ctx.store, kind, target)[-1])
    _delete(world.ctx.store, kind, target, gone)
    out = subprocess.run([sys.executable, "-m", "bridge.cli.main", "--json", "migrate", "verify", "--no-services",
                          "--workers", "2"], env={**os.environ, **world.env()}, capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    assert {s["lanes"] for s in report["stats"].values()} == {2}
    assert [(d["kind"], d["key"], d["change"]) for d in report["differences"]] == [
        (kind.name, list(map(str, gone)), "missing")]


@pytest.mark.parametrize("overcount", [1, 2, 10])
def test_spans_partition_the_keys_even_when_fewer_records_are_left_than_counted(
    legacy_world: Callable[[str], LegacyWorld], overcount: int,
) -> None:
    """A count taken before records were deleted must not make two lanes read the same keys."""
    world, _ = _migrated(legacy_world)
    legacy, _ = find_migration(world.ctx)
    store = world.ctx.store
    for kind in KINDS:
        keys = [tuple(k) for k in _keys(store, kind, legacy.id)]
        cut = spans(store, kind, legacy.id, len(keys) * overcount, 4)
        assert len(cut) == 4
        for key in keys:
            inside = [s for s in cut
                      if s is not None and (s[0] is None or key > s[0]) and (s[1] is None or key <= s[1])]
            assert len(inside) == 1, (kind.name, key, cut)


def test_a_lane_whose_process_dies_is_an_error_that_says_so(store: Store) -> None:
    with Lanes(store, 2) as lanes:
        lanes.others[0].process.kill()
        job = Job(1, 2, "run", 10, {}, set(), {})
        with pytest.raises(BridgeError, match="ended without an answer"):
            lanes.compare([job, job], {}, lambda *_: None)


_HOLD_LANES = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)  # a test runner's child may inherit it ignored
from bridge.store import Store
from migrate.lanes import Lanes
with Lanes(Store.open(sys.argv[1]), 2) as lanes:
    print(lanes.others[0].process.pid, flush=True)
    time.sleep(60)
"""


def test_a_ctrl_c_stops_the_lanes_processes_quietly(store_url: str) -> None:
    """SIGINT reaches the whole process group: the lane's process ignores it (no traceback of
    its own) and the parent, interrupted, stops it on its way out; none is left running."""
    Store.open(store_url).close()
    parent = subprocess.Popen([sys.executable, "-c", _HOLD_LANES, store_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert parent.stdout is not None
    lane = int(parent.stdout.readline())
    time.sleep(1.0)  # the lane's interpreter is up and ignoring SIGINT
    os.killpg(parent.pid, signal.SIGINT)
    _, err = parent.communicate(timeout=30)
    assert "KeyboardInterrupt" in err and "lane_process" not in err and "serve" not in err, err
    with pytest.raises(ProcessLookupError):
        os.kill(lane, 0)


def test_a_store_in_memory_has_one_lane_and_refuses_more() -> None:
    store = Store.open("sqlite://")
    try:
        assert lane_count(store, 10_000_000, None) == 1
        with pytest.raises(InputError, match="memory"):
            lane_count(store, 10, 2)
    finally:
        store.close()


def test_lane_count_follows_cores_and_records(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _: {0, 1, 2, 3, 4, 5, 6, 7})
    assert lane_count(store, 100, None) == 1
    assert lane_count(store, 450_000, None) == 2
    assert lane_count(store, 50_000_000, None) == 4
    assert lane_count(store, 100, 3) == 3


@pytest.mark.parametrize("seed", range(5))
def test_M4_id_sums_add_up_exactly_when_the_multisets_do(seed: int) -> None:
    rng = random.Random(seed)
    pool = [str(rng.randrange(10**12)) for _ in range(30)]
    for _ in range(200):
        a, b = rng.choices(pool, k=rng.randrange(8)), rng.choices(pool, k=rng.randrange(8))
        c = a + b if rng.random() < 0.5 else rng.choices(pool, k=len(a) + len(b))
        assert (IdSum.of(a) + IdSum.of(b) == IdSum.of(c)) == (Counter(a) + Counter(b) == Counter(c))
