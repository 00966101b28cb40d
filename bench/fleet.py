"""Benchmark: a fleet of small generated organizations through 1, 2 and 4 worker processes,
unpaced (the machine's cores are the limit) and paced (each organization's API budget is).

    python bench/fleet.py [--orgs 100] [--workers 1,2,4] [--paced-orgs 12] [--db URL]

Each run gets its own PostgreSQL database for the queue (made next to --db's, dropped
after) and its own fleet folder. Every organization is a generated legacy portal
(`synthetic` in the manifest) taken the whole way: seeded, migrated, verified, re-enabled
and synced (`action: sync`), in its own folder with its own sandbox and store.

Unpaced: `--orgs` tiny portals, workers of `--concurrency 1`, so the number of workers is
the parallelism. The figure is organizations per minute; its ratio to one worker's is the
scaling, printed beside the ideal on this machine (min(workers, cores): the cores, not the
queue, are the limit), and the ratio of the two says how much of the ideal the queue kept.

Paced: `--paced-orgs` portals big enough to need more than one minute's Books budget (over
100 calls), with `pace` on, so each organization's limiter holds it to 100 Books calls a
minute as live mode always does; workers of `--concurrency 6`. The floor here is the
budget: an organization that makes C Books calls cannot finish before (ceil(C/100) - 1)
windows of 61 s (60 s and the limiter's skew) have passed; the fleet's floor is that times
the rounds its slots need (ceil(organizations / (workers x 6))). The figure's ratio to that
floor says the budget, not the cores or the queue, is what the paced fleet waits for.

Prints ratios first, then the absolute figures, with the load at the start (other work on
the machine stretches the unpaced runs; the paced ones wait on the clock).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: tiny portals: the fixed work (a store, a sandbox, the steps) is most of an organization
SMALL = {"projects": 1, "tasks": 3, "bugs": 1, "logs": 4}
#: a portal whose whole way there makes 100-200 Books calls: one budget window to wait
PACED = {"projects": 2, "tasks": 10, "bugs": 2, "logs": 100}
PACED_CONCURRENCY = 6
#: the Books limiter's window: 60 s and its 1 s of skew (bridge.clients.limits)
WINDOW_SECONDS = 61.0


@dataclass
class Run:
    workers: int
    seconds: float
    orgs: int
    books_calls: list[int]
    #: CPU seconds the worker processes used (user + system)
    cpu: float

    @property
    def per_minute(self) -> float:
        return self.orgs / self.seconds * 60


def run(admin_url: str, orgs: list[dict[str, Any]], workers: int, concurrency: int) -> Run:
    """`orgs` through `workers` worker processes of `concurrency` each, on a fresh queue."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bridge_bench_fleet_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
            manifest = Path(tmp) / "fleet.json"
            manifest.write_text(json.dumps({"organizations": orgs}))
            env = {**os.environ, "PYTHONPATH": str(REPO), "BRIDGE_FLEET_DB": url,
                   "BRIDGE_FLEET_DIR": str(Path(tmp) / "fleet"), "BRIDGE_HOME": str(Path(tmp) / "home")}
            bridge = [sys.executable, "-m", "bridge", "--quiet"]
            subprocess.run([*bridge, "fleet", "submit", str(manifest)], env=env, check=True, capture_output=True)
            started, cpu_before = time.monotonic(), _children_cpu()
            procs = [subprocess.Popen([*bridge, "fleet", "worker", "--until-idle", "--concurrency", str(concurrency)],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for _ in range(workers)]
            for p in procs:
                p.wait()
            seconds, cpu = time.monotonic() - started, _children_cpu() - cpu_before
            status = json.loads(subprocess.run([*bridge, "--json", "fleet", "status"], env=env, check=True,
                                               capture_output=True, text=True).stdout)
            if status["counts"] != {"done": len(orgs)}:
                raise SystemExit(f"not every organization finished: {status['counts']}")
            calls = [int((o["books_calls_today"] or {}).get("calls", 0)) for o in status["organizations"]]
            return Run(workers, seconds, len(orgs), calls, cpu)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def budget_floor(run: Run, concurrency: int) -> float:
    """Seconds the paced fleet cannot beat: its slowest organization's budget windows, times
    the rounds of organizations its slots need."""
    windows = max(math.ceil(c / 100) - 1 for c in run.books_calls)
    rounds = math.ceil(run.orgs / (run.workers * concurrency))
    return rounds * windows * WINDOW_SECONDS


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orgs", type=int, default=100, help="organizations in each unpaced run")
    ap.add_argument("--paced-orgs", type=int, default=12, help="organizations in each paced run (0: none)")
    ap.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated")
    ap.add_argument("--db", default=os.environ.get("BRIDGE_TEST_DATABASE_URL",
                                                   "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    cores = os.cpu_count() or 1
    load = os.getloadavg()
    small = [{"name": f"org-{i:03d}", "synthetic": SMALL, "action": "sync"} for i in range(args.orgs)]
    paced = [{"name": f"paced-{i:03d}", "synthetic": PACED, "action": "sync", "options": {"pace": True}}
             for i in range(args.paced_orgs)]
    unpaced_runs = [run(args.db, small, n, 1) for n in counts]
    paced_runs = [run(args.db, paced, n, PACED_CONCURRENCY) for n in counts] if paced else []

    base = unpaced_runs[0].per_minute
    print(f"== fleet: {args.orgs} tiny organizations unpaced, {args.paced_orgs} paced; {cores} cores; "
          f"load at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)")
    for r in unpaced_runs:
        scaling, ideal = r.per_minute / base, min(r.workers, cores) / min(counts[0], cores)
        busy = r.cpu / (r.seconds * min(r.workers, cores))
        print(f"unpaced, {r.workers} worker(s): {scaling:.2f}x one worker's rate (ideal on {cores} cores "
              f"{ideal:.2f}x; {scaling / ideal:.0%} of it); the workers kept {busy:.0%} of "
              f"{min(r.workers, cores)} core(s) busy")
    for r in paced_runs:
        floor = budget_floor(r, PACED_CONCURRENCY)
        print(f"paced,   {r.workers} worker(s) x {PACED_CONCURRENCY}: {r.seconds / floor:.2f}x the API-budget "
              f"floor ({floor:.0f} s: {math.ceil(r.orgs / (r.workers * PACED_CONCURRENCY))} round(s) of "
              f"{max(math.ceil(c / 100) - 1 for c in r.books_calls)} window(s) of {WINDOW_SECONDS:g} s)")
    print("absolute:")
    for r in unpaced_runs:
        print(f"  unpaced, {r.workers} worker(s): {r.seconds:6.1f} s, {r.per_minute:6.1f} organizations/min, "
              f"{r.cpu / r.orgs:.2f} CPU s per organization")
    for r in paced_runs:
        print(f"  paced,   {r.workers} worker(s): {r.seconds:6.1f} s, {r.per_minute:6.1f} organizations/min, "
              f"Books calls per organization {min(r.books_calls)}-{max(r.books_calls)}, "
              f"{r.cpu / r.orgs:.2f} CPU s per organization")
    end = os.getloadavg()
    print(f"load: {end[0]:.2f} {end[1]:.2f} {end[2]:.2f} at end")


if __name__ == "__main__":
    main()
