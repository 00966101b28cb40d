"""Benchmark: migrate and verify a legacy state of about 1,000,000 records.

    python bench/migrate.py [--records 1000000] [--db URL]
    python bench/migrate.py --prepare DIR [--records N]   # only the state, for `bpbridge --home DIR`

Generates the legacy state straight into the store (bulk inserts: invoices, invoice lines,
expenses, invoiced-task marks, id maps) next to a sandbox portal whose projects exist
upstream, then runs `migrate run` and `migrate verify` each in its own process and prints
time, records per second and peak memory (ru_maxrss) against the targets. The baseline is
a plain deepdiff of the two whole states loaded as dicts, with a time limit.

Targets (2 cores): migrate < 90 s, verify < 30 s, peak memory < 1 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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
TARGETS = {"migrate": 90.0, "verify": 30.0, "rss_mib": 1024.0}


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
                             "projects_id": str(4800000000000000 + i), "project_id": project, "customer_id": "7100000001",
                             "currency": "USD", "total": Decimal("12.34"), "status": "unbilled", "origin": "projects",
                             "number": "", "created_at": NOW})
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


def phase(name: str, url: str, home: str) -> dict[str, Any]:
    """Run one phase in its own process, so its peak memory is its own."""
    out = subprocess.run([sys.executable, __file__, "--phase", name, "--db", url, "--home", home],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_phase(name: str, url: str, home: str) -> None:
    from bridge.secrets import FileSecrets
    from bridge.store import Store
    from sandbox.wiring import embedded_sandbox, sandbox_context

    store = Store.open(url)
    ctx = sandbox_context(embedded_sandbox(Path(home)), store, secrets=FileSecrets(Path(home) / "secrets.json"))
    started = time.monotonic()
    result: dict[str, Any]
    if name == "migrate":
        from migrate.run import run_migration
        summary = run_migration(ctx, batch=10000, services=False)
        result = {"records": summary.records}
    elif name == "verify":
        from migrate.verify import verify_migration
        report = verify_migration(ctx, batch=10000, services=False)
        result = {"ok": report.ok, "differences": report.difference_count}
    else:
        result = baseline(store)
    result["seconds"] = time.monotonic() - started
    result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def baseline(store: Any) -> dict[str, Any]:
    """A plain deepdiff of the two whole states, loaded as two dicts."""
    import signal

    from deepdiff import DeepDiff

    from migrate.kinds import KINDS

    limit = int(os.environ.get("BENCH_BASELINE_SECONDS", "120"))
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError()))
    signal.alarm(limit)
    try:
        with store.engine.connect() as c:
            states = []
            for cid in (1, 2):
                states.append({k.name: {k.key_of(r): {f: getattr(r, f) for f in k.fields}
                                        for r in c.execute(k.table.select().where(k.table.c.connection_id == cid))}
                               for k in KINDS})
        diff = DeepDiff(*states)
        signal.alarm(0)
        return {"finished": True, "changes": len(diff)}
    except TimeoutError:
        return {"finished": False, "limit": limit}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--db", help="store URL (default: a fresh SQLite file)")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--home", help=argparse.SUPPRESS)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--prepare", metavar="DIR",
                    help="only build the legacy state in DIR, a folder for `bpbridge --home DIR` "
                         "(bench/capture_progress.sh migrates it through the CLI)")
    args = ap.parse_args()
    if args.phase:
        run_phase(args.phase, args.db, args.home)
        return
    home = args.prepare or tempfile.mkdtemp(prefix="bench-migrate-")
    url = args.db or f"sqlite:///{home}/state.db"
    from bridge.secrets import FileSecrets, connection_key_name
    from sandbox.wiring import embedded_sandbox

    embedded_sandbox(Path(home)).seed(scenario(args.projects))
    t0 = time.monotonic()
    records = generate(url, args.records, args.projects)
    FileSecrets(Path(home) / "secrets.json").put(connection_key_name("legacy", 1), KEY)
    print(f"generated {records:,} legacy records in {time.monotonic() - t0:.1f}s on {url.split(':')[0]}")
    if args.prepare:
        return
    m = phase("migrate", url, home)
    print(f"migrate: {m['seconds']:.1f}s ({records / m['seconds']:,.0f} records/s), peak {m['rss_mib']:.0f} MiB"
          f"  [target < {TARGETS['migrate']:.0f}s, < {TARGETS['rss_mib']:.0f} MiB]")
    v = phase("verify", url, home)
    print(f"verify:  {v['seconds']:.1f}s ({records / v['seconds']:,.0f} records/s), peak {v['rss_mib']:.0f} MiB,"
          f" ok={v['ok']} differences={v['differences']}  [target < {TARGETS['verify']:.0f}s]")
    if not args.no_baseline:
        b = phase("baseline", url, home)
        state = (f"finished in {b['seconds']:.1f}s" if b.get("finished")
                 else f"did not finish within {b['limit']}s")
        print(f"baseline (plain deepdiff of both whole states): {state}, peak {b['rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
