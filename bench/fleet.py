"""Benchmark: a fleet of small sandbox organizations through 1, 2 and 4 worker processes.

    python bench/fleet.py [--orgs 100] [--workers 1,2,4] [--db postgresql://postgres@127.0.0.1:5432/test]

Each run gets its own PostgreSQL database (made next to --db's, dropped after) and its own
fleet folder; every organization is the shipped `small-agency` scenario, seeded, migrated
and verified (`migrate`) in its own folder. Workers are `bpbridge fleet worker --until-idle
--concurrency 1` processes, so the number of workers is the parallelism. Prints
organizations per minute for each worker count and the scaling against one worker: the
baseline is one worker, and on a 2-core machine the ideal is 2.0 at 2 workers and no more
at 4 (the cores, not the queue, are the limit). Not measured yet: the same with API pacing
on (the per-organization budget as the limit).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def run(admin_url: str, orgs: int, workers: int) -> float:
    """Seconds for `orgs` organizations through `workers` worker processes."""
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
            manifest.write_text(json.dumps({"organizations": [
                {"name": f"org-{i:03d}", "scenario": "small-agency", "action": "migrate"} for i in range(orgs)]}))
            env = {**os.environ, "PYTHONPATH": str(REPO), "BRIDGE_FLEET_DB": url,
                   "BRIDGE_FLEET_DIR": str(Path(tmp) / "fleet"), "BRIDGE_HOME": str(Path(tmp) / "home")}
            bridge = [sys.executable, "-m", "bridge", "--quiet"]
            subprocess.run([*bridge, "fleet", "submit", str(manifest)], env=env, check=True, capture_output=True)
            started = time.monotonic()
            procs = [subprocess.Popen([*bridge, "fleet", "worker", "--until-idle", "--concurrency", "1"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
            for p in procs:
                p.wait()
            seconds = time.monotonic() - started
            status = json.loads(subprocess.run([*bridge, "--json", "fleet", "status"], env=env, check=True,
                                               capture_output=True, text=True).stdout)
            if status["counts"] != {"done": orgs}:
                raise SystemExit(f"not every organization finished: {status['counts']}")
            return seconds
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orgs", type=int, default=100)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--db", default=os.environ.get("BRIDGE_TEST_DATABASE_URL",
                                                   "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    base = None
    print(f"{args.orgs} small-agency organizations (seed, migrate, verify) on {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} before the first run (other work on the machine skews the ratios)")
    for n in counts:
        seconds = run(args.db, args.orgs, n)
        per_minute = args.orgs / seconds * 60
        base = base or per_minute
        print(f"{n} worker(s): {seconds:6.1f} s, {per_minute:6.1f} organizations/min, "
              f"{per_minute / base:.2f}x one worker")


if __name__ == "__main__":
    main()
