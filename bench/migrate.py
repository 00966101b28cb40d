"""Benchmark: migrate and verify a legacy state of about 1,000,000 records, as ratios to
this machine's own floors measured in the same run.

    python bench/migrate.py [--records 1000000] [--db URL] [--no-baseline]
    python bench/migrate.py --prepare DIR [--records N]   # only the state, for `bpbridge --home DIR`

Generates the legacy state straight into the store (bulk inserts: invoices, invoice lines,
expenses, invoiced-task marks, id maps) next to a sandbox portal whose projects exist
upstream. Then, on that backend and for that row count: the floors
(bench/store_floors.py: a raw write of as many rows of the same width in one transaction,
`executemany` on SQLite and COPY on PostgreSQL; a streamed read plus blake2b hash of both
sides), `migrate run` and `migrate verify` each in its own process (so its peak memory,
ru_maxrss, is its own; verify's lanes, processes it starts to compare key ranges side by
side, are added to it), the baseline (a plain deepdiff of the two whole states loaded as
dicts, with a time limit), and the floors again. A figure is divided by the mean of its
floor before and after, which says how close the code is to what the machine could do
that minute: the machine is shared and its speed moves by 2x from day to day.

Prints the ratios first, then the absolute figures and the load (`os.getloadavg()`) at the
start; bench/README.md keeps them. Targets: migrate at most 3x the write floor; verify at
most 1.5x the read+hash floor, and at least 50x faster than the baseline (a lower bound when
the baseline does not finish: its time limit over verify's time); peak memory < 256 MiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PORTAL, ORG, OWNER, KEY = "7000000001", "6000000001", "8000000001", "bench-zsc-key-0001"
NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
#: migrate / write floor, verify / read+hash floor, baseline / verify, peak memory
TARGETS = {"migrate": 3.0, "verify": 1.5, "speedup": 50.0, "rss_mib": 256.0}
#: the baseline's default time limit, in verify's times: enough to show the speedup target
#: when it does not finish (BENCH_BASELINE_SECONDS sets it in seconds)
BASELINE_LIMIT = 1.1 * TARGETS["speedup"]


def scenario(projects: int) -> dict[str, Any]:
    return {
        "name": "bench", "description": "benchmark portal", "today": "2026-01-05",
        "books": {"organization": {"organization_id": ORG, "name": "Bench Ltd", "email": "ops@bench.example",
                                   "currency_code": "USD"},
                  "users": [{"user_id": "5000000001", "name": "Ops", "email": "ops@bench.example",
                             "user_role": "admin", "is_current_user": True}]},
        "projects": {
            "portals": [{"id": PORTAL, "name": "Bench", "owner_id": OWNER}],
            "users": [{"id": OWNER, "name": "Owner", "email": "owner@bench.example", "roles": {PORTAL: "owner"},
                       "zsc_key": KEY}],
            "clients": [{"id": "9000000001", "portal_id": PORTAL, "name": "Client", "currency_code": "USD"}],
            "projects": [{"id": str(3000000000 + i), "portal_id": PORTAL, "name": f"P{i}",
                          "client_ids": ["9000000001"]} for i in range(projects)],
        },
        "operations": [],
    }


def generate(url: str, records: int, projects: int) -> int:
    """Bulk-insert a legacy state of about `records` rows; returns the exact count."""
    from bridge.store import Store
    from bridge.store.repo import new_connection
    from bridge.store.tables import BilledTask, IdMap, InvoiceLineRow, TransactionRow

    store = Store.open(url)
    with store.session() as s:
        conn = new_connection(s, mode="legacy", organization_id=ORG, portal_id=PORTAL, email="owner@bench.example",
                              key=KEY, shared_name="Bench Ltd", shared_email="ops@bench.example", now=NOW).id
    # shape: per invoice 1 txn + 4 lines + 2 billed marks + 1 expense txn + 1 id map ~= 9 records
    invoices = records // 9
    batch = 20000
    count = 0
    for start in range(0, invoices, batch // 4):
        txns, lines, marks, maps = [], [], [], []
        for i in range(start, min(start + batch // 4, invoices)):
            inv, project = str(4600000000000000 + i), str(3000000000 + i % projects)
            deleted = i % 997 == 0  # a few invoices on projects that no longer exist upstream
            txns.append({"connection_id": conn, "kind": "invoice", "books_id": inv, "projects_id": None,
                             "project_id": "3999999999" if deleted else project, "customer_id": "7100000001",
                             "currency": "USD", "total": Decimal("400.00"), "status": "sent",
                             "origin": "books" if i % 2 else "projects", "number": f"INV-{i}", "created_at": NOW})
            txns.append({"connection_id": conn, "kind": "expense", "books_id": str(4700000000000000 + i),
                         "projects_id": str(4800000000000000 + i), "project_id": project,
                         "customer_id": "7100000001", "currency": "USD", "total": Decimal("12.34"),
                         "status": "unbilled", "origin": "projects", "number": "", "created_at": NOW})
            for n in range(1, 5):
                lines.append({"connection_id": conn, "invoice_id": inv, "line_no": n, "description": f"Task {n}",
                                  "task_id": str(5000000000000 + i * 4 + n) if n <= 2 else None, "expense_id": None,
                                  "quantity": Decimal("2.5"), "rate": Decimal(40), "amount": Decimal("100.00")})
            for n in (1, 2):
                marks.append({"connection_id": conn, "task_id": str(5000000000000 + i * 4 + n), "invoice_id": inv,
                                  "side": "books", "state": "billed", "billed_at": NOW})
            maps.append({"connection_id": conn, "kind": "expense", "projects_id": str(4800000000000000 + i),
                             "books_id": str(4700000000000000 + i), "fingerprint": "", "updated_at": NOW})
        with store.session() as s:
            for model, rows in ((TransactionRow, txns), (InvoiceLineRow, lines), (BilledTask, marks), (IdMap, maps)):
                s.execute(model.__table__.insert(), rows)  # type: ignore[attr-defined]
                count += len(rows)
    store.close()
    return count


def phase(name: str, url: str, home: str, *extra: str) -> dict[str, Any]:
    """Run one phase in its own process, so its peak memory is its own."""
    out = subprocess.run([sys.executable, __file__, "--phase", name, "--db", url, "--home", home, *extra],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run_phase(name: str, url: str, home: str, limit: int) -> None:
    from bridge.secrets import FileSecrets
    from bridge.store import Store
    from migrate.run import run_migration
    from migrate.verify import verify_migration
    from sandbox.wiring import embedded_sandbox, sandbox_context

    store = Store.open(url)
    ctx = sandbox_context(embedded_sandbox(Path(home)), store, secrets=FileSecrets(Path(home) / "secrets.json"))
    started = time.monotonic()
    result: dict[str, Any]
    if name == "migrate":
        summary = run_migration(ctx, batch=10000, services=False)
        result = {"records": summary.records}
    elif name == "verify":
        report = verify_migration(ctx, services=False)  # its default read batch (5,000 records a side)
        result = {"ok": report.ok, "differences": report.difference_count,
                  "lanes": max(s["lanes"] for s in report.stats.values()),
                  # the largest of the lane processes it started (each peaks alike)
                  "lane_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
    else:
        result = baseline(store, limit)
    result["seconds"] = time.monotonic() - started
    result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def baseline(store: Any, limit: int) -> dict[str, Any]:
    """A plain deepdiff of the two whole states, loaded as two dicts, for at most `limit` s."""
    import signal

    from deepdiff import DeepDiff

    from migrate.kinds import KINDS

    def stop(*_: Any) -> None:
        raise TimeoutError

    signal.signal(signal.SIGALRM, stop)
    signal.alarm(limit)
    try:
        with store.engine.connect() as c:
            states = []
            for cid in (1, 2):
                states.append({k.name: {k.key_of(r): {f: getattr(r, f) for f in k.fields}
                                        for r in c.execute(k.table.select().where(k.table.c.connection_id == cid))}
                               for k in KINDS})
        diff = DeepDiff(states[0], states[1])
        signal.alarm(0)
        return {"finished": True, "changes": len(diff)}
    except TimeoutError:
        return {"finished": False, "limit": limit}


def mean(a: float, b: float) -> float:
    return (a + b) / 2


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(backend: str, records: int, load: tuple[float, float, float], before: Any, after: Any,
           m: dict[str, Any], v: dict[str, Any], b: dict[str, Any] | None) -> None:
    """The ratios first, then the absolute figures they come from."""
    write, read = mean(before.write, after.write), mean(before.read_hash, after.read_hash)
    m_ratio, v_ratio = m["seconds"] / write, v["seconds"] / read
    print(f"== {backend}: {records:,} legacy records, {dt.date.today().isoformat()}, load at start "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min; {os.cpu_count()} cores)")
    print(f"migrate: {m_ratio:.2f}x the raw write floor ({'COPY' if backend == 'postgresql' else 'executemany'})"
          f"  [target <= {TARGETS['migrate']:g}x] {verdict(m_ratio <= TARGETS['migrate'])}")
    print(f"verify:  {v_ratio:.2f}x the two-sided read+hash floor, ok={v['ok']} differences={v['differences']}"
          f"  [target <= {TARGETS['verify']:g}x] {verdict(v_ratio <= TARGETS['verify'] and v['ok'])}")
    if b is not None:
        if b.get("finished"):
            speedup, bound = b["seconds"] / v["seconds"], ""
        else:
            speedup, bound = b["limit"] / v["seconds"], ">= "
        print(f"verify:  {bound}{speedup:.0f}x faster than the deepdiff baseline"
              f"  [target >= {TARGETS['speedup']:g}x] {verdict(speedup >= TARGETS['speedup'])}")
    # verify's peak: its own and its lanes' processes' together, as if they all peaked at once
    v_peak = v["rss_mib"] + (v["lanes"] - 1) * v["lane_rss_mib"]
    peak = max(m["rss_mib"], v_peak)
    lanes = (f" = {v['rss_mib']:.0f} + {v['lanes'] - 1} lane process(es) of {v['lane_rss_mib']:.0f}"
             if v["lanes"] > 1 else "")
    print(f"memory:  peak {m['rss_mib']:.0f} MiB migrate, {v_peak:.0f} MiB verify{lanes}"
          f"  [target < {TARGETS['rss_mib']:g} MiB] {verdict(peak < TARGETS['rss_mib'])}")
    print(f"floors:  write {before.write:.2f}s before, {after.write:.2f}s after (mean {write:.2f}s); "
          f"read+hash {before.read_hash:.2f}s before, {after.read_hash:.2f}s after (mean {read:.2f}s)")
    end = os.getloadavg()
    print(f"load:    {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start, {end[0]:.2f} {end[1]:.2f} {end[2]:.2f} at end")
    print(f"migrate: {m['seconds']:.2f}s ({records / m['seconds']:,.0f} records/s)")
    print(f"verify:  {v['seconds']:.2f}s ({records / v['seconds']:,.0f} records/s) in {v['lanes']} lane(s) "
          f"(migrate.lanes: one per core, at most 4; the floors read in one process)")
    if b is not None:
        state = (f"finished in {b['seconds']:.1f}s" if b.get("finished")
                 else f"did not finish within its limit of {b['limit']}s")
        print(f"baseline (plain deepdiff of both whole states): {state}, peak {b['rss_mib']:.0f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--db", help="store URL (default: a fresh SQLite file); a PostgreSQL database must be empty, "
                                 "and a scratch database beside it is made and dropped for the floors")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--home", help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--prepare", metavar="DIR",
                    help="only build the legacy state in DIR, a folder for `bpbridge --home DIR` "
                         "(bench/capture_progress.sh migrates it through the CLI)")
    args = ap.parse_args()
    if args.phase:
        run_phase(args.phase, args.db, args.home, args.limit)
        return
    load = os.getloadavg()
    home = args.prepare or tempfile.mkdtemp(prefix="bench-migrate-")
    url = args.db or f"sqlite:///{home}/state.db"
    from bench.store_floors import measure
    from bridge.secrets import FileSecrets, connection_key_name
    from bridge.store import Store
    from bridge.store.bulk import refresh_statistics
    from migrate.kinds import KINDS
    from sandbox.wiring import embedded_sandbox

    embedded_sandbox(Path(home)).seed(scenario(args.projects))
    t0 = time.monotonic()
    records = generate(url, args.records, args.projects)
    FileSecrets(Path(home) / "secrets.json").put(connection_key_name("legacy", 1), KEY)
    store = Store.open(url)
    backend = store.dialect
    refresh_statistics(store, [k.table for k in KINDS])  # as `migrate run` does first
    print(f"generated {records:,} legacy records in {time.monotonic() - t0:.1f}s on {backend}", flush=True)
    if args.prepare:
        store.close()
        return
    before = measure(store, url, 1, say=lambda line: print(f"floors before: {line}", flush=True))
    m = phase("migrate", url, home)
    print(f"migrate ran in {m['seconds']:.1f}s", flush=True)
    v = phase("verify", url, home)
    print(f"verify ran in {v['seconds']:.1f}s", flush=True)
    b = None
    if not args.no_baseline:
        limit = int(os.environ.get("BENCH_BASELINE_SECONDS") or math.ceil(BASELINE_LIMIT * v["seconds"]))
        b = phase("baseline", url, home, "--limit", str(limit))
    after = measure(store, url, 1, say=lambda line: print(f"floors after: {line}", flush=True))
    store.close()
    report(backend, records, load, before, after, m, v, b)


if __name__ == "__main__":
    main()
