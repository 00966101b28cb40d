"""Enhanced sync at portal scale: first sync, no-change re-sync, calls, peak memory.

    python bench/sync.py                # 1,000 projects, 20,000 tasks, 5,000 bugs, 200,000 logs
    python bench/sync.py --scale 0.05   # the same shape, 5% of the size

Runs against the embedded sandbox in-process (no network), with a state store in a temp
SQLite file unless --db names one. Targets: first sync < 120 s; re-sync < 15 s with zero
write calls to Books; peak RSS < 1 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

FULL = {"projects": 1000, "tasks": 20000, "bugs": 5000, "timelogs": 200000}
TARGETS = {"first_sync_s": 120.0, "resync_s": 15.0, "peak_mib": 1024.0}
NAME, USERS, CLIENTS = "bench", 25, 40


def scenario(scale: float) -> dict[str, Any]:
    from bridge.scenarios.synthetic import portal_scenario

    n = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    return portal_scenario(NAME, projects=n["projects"], tasks=n["tasks"], bugs=n["bugs"], logs=n["timelogs"],
                           users=USERS, clients=CLIENTS)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def count_calls(sandbox: Any) -> tuple[int, int]:
    """(all calls, Books write calls) from the sandbox's /_sandbox/calls."""
    body = httpx.Client(transport=sandbox.transport(), base_url="http://sandbox.bench").get("/_sandbox/calls").json()
    total = _count(body, lambda s, m, p: True)
    writes = _count(body, lambda s, m, p: (s == "books" or p.startswith("/books")) and m in ("POST", "PUT", "DELETE", "PATCH"))
    return total, writes


def _count(calls: Any, want: Any) -> int:
    """Sum the counts of /_sandbox/calls entries (a list of rows, or service/method/path nesting)."""
    if isinstance(calls, dict) and "calls" in calls:
        calls = calls["calls"]
    if isinstance(calls, list):
        return sum(int(c.get("count", 1)) for c in calls
                   if want(str(c.get("service", "")).lower(), str(c.get("method", "")).upper(), str(c.get("path", ""))))
    total = 0
    for service, methods in (calls or {}).items():
        for method, paths in (methods or {}).items() if isinstance(methods, dict) else ():
            for path, n in (paths or {}).items() if isinstance(paths, dict) else ():
                if want(str(service).lower(), str(method).upper(), str(path)):
                    total += int(n)
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the full portal size (default 1.0)")
    ap.add_argument("--db", help="state store URL or SQLite path (default: a temp file)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    from bridge.clock import FakeClock
    from bridge.domain import Credentials
    from bridge.scenarios.synthetic import PORTAL, TODAY, owner_email, owner_key
    from bridge.store import Store
    from enhanced.integration import EnhancedIntegration
    from sandbox import Sandbox
    from sandbox.wiring import sandbox_context

    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    data = scenario(args.scale)
    t = time.perf_counter()
    clock = FakeClock(dt.datetime.combine(TODAY, dt.time(9), dt.UTC))
    sandbox = Sandbox(tmp / "sandbox.db", clock=clock)
    sandbox.seed(data)
    seeded = time.perf_counter() - t
    ctx = sandbox_context(sandbox, Store.open(args.db or f"sqlite:///{tmp / 'state.db'}"), clock=clock)
    integ = EnhancedIntegration(ctx)
    integ.connect(Credentials(owner_email(NAME), owner_key(NAME)), PORTAL)
    calls0, writes0 = count_calls(sandbox)

    t = time.perf_counter()
    first = integ.sync()
    first_s = time.perf_counter() - t
    calls1, writes1 = count_calls(sandbox)

    t = time.perf_counter()
    second = integ.sync()
    resync_s = time.perf_counter() - t
    calls2, writes2 = count_calls(sandbox)
    peak = peak_mib()

    p = data["projects"]
    print(f"portal: {len(p['projects'])} projects, {len(p['tasks'])} tasks, {len(p['bugs'])} bugs, "
          f"{len(p['timelogs'])} timesheets (scale {args.scale}); seeded in {seeded:.1f} s")
    print(f"first sync:  {first_s:8.1f} s  (target < {TARGETS['first_sync_s']:.0f} s)  "
          f"calls {calls1 - calls0}, Books writes {writes1 - writes0}, errors {len(first.errors)}")
    print(f"re-sync:     {resync_s:8.1f} s  (target < {TARGETS['resync_s']:.0f} s)  "
          f"calls {calls2 - calls1}, Books writes {writes2 - writes1} (target 0)")
    print(f"peak memory: {peak:8.0f} MiB (target < {TARGETS['peak_mib']:.0f} MiB, ru_maxrss)")
    created = {m: c["created"] for m, c in first.counts.items()}
    print(f"created per module: {created}; re-sync updated: "
          f"{ {m: c['updated'] for m, c in second.counts.items()} }")
    ok = (first_s < TARGETS["first_sync_s"] and resync_s < TARGETS["resync_s"]
          and writes2 == writes1 and peak < TARGETS["peak_mib"])
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
