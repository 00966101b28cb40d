"""The kill harness at scale (M5): many kill points on a larger state, on both backends.

    python bench/kill_harness.py [--records 3000] [--points 40] [--batch 100]
                                 [--backends sqlite,postgresql] [--pg URL]

For each backend: a legacy state of about `--records` records generated straight into the
store (bench/migrate.py's generator, next to a sandbox portal whose projects exist
upstream); `migrate run` killed (SIGKILL) at `--points` record counts spread over all of
them and at every step, each resumed and verified; then the migration re-enabled and synced,
and `migrate rollback` killed at every step and run again. Then the shipped scenario in
which the enhanced integration bills before the rollback, its rollback killed at every
step. Every attempt starts from its own copy and its end state is compared, as a canonical
dump of every table of the store (tests/migrate/store_dump.py), with an uninterrupted run's.

Prints, per command: kill points, kills, resumes (and how many found the work already
done: killed after their last commit), equal dumps. The bar: every kill resumes and every
dump is equal (exit 1 otherwise). PostgreSQL needs --pg or BRIDGE_TEST_DATABASE_URL (a
server where databases may be created; they are dropped at the end).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ROLLBACK_SCENARIO = "rollback-after-enhanced-billing"


@contextmanager
def store_url(backend: str, work: Path, name: str, pg: str | None) -> Iterator[str]:
    """A new, empty store on `backend` (a PostgreSQL database is dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{work / name / 'state.db'}"
        return
    if not pg:
        raise SystemExit("postgresql: set --pg or BRIDGE_TEST_DATABASE_URL")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    db = f"bench_kill_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(pg).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{db}"'))
    try:
        yield make_url(pg).set(database=db).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def generated(url: str, home: Path, records: int, projects: int) -> tuple[Any, dict[str, Any]]:
    """bench/migrate.py's legacy state in `url`, its sandbox and the legacy key in `home`."""
    from bench.migrate import KEY, OWNER, PORTAL, generate, scenario
    from bridge.clock import FakeClock
    from bridge.secrets import FileSecrets, connection_key_name
    from bridge.targets import scenario_clock
    from sandbox import Sandbox
    from tests.migrate.killing import Place
    from tests.migrate.store_dump import SANDBOX_FILE, SECRETS_FILE

    data = scenario(projects)
    # the owner's connect names who acts upstream (bridge.scenarios.replay.acting_user); not replayed
    data["operations"] = [{"op": "connect", "user_id": OWNER, "portal_id": PORTAL}]
    home.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(home / SANDBOX_FILE, clock=FakeClock(scenario_clock(data)))
    sandbox.seed(data)
    sandbox.close()
    generate(url, records, projects)
    FileSecrets(home / SECRETS_FILE).put(connection_key_name("legacy", 1), KEY)
    return Place(url, home, scenario_clock(data)), data


def harness_on(start: Any, work: Path, url: str) -> Any:
    from tests.migrate.killing import Copies, Harness

    return Harness(start, work, Copies(url), first_instant=start.services_clock + dt.timedelta(minutes=10))


def report(figures: Any, seconds: float) -> bool:
    print(f"  {figures.line()}  [{seconds:.1f}s]", flush=True)
    return not figures.unequal and figures.equal == figures.points and figures.resumes == figures.points


def bench(backend: str, args: argparse.Namespace, work: Path) -> bool:
    from tests.conftest import load_scenario_file
    from tests.migrate.killing import build_legacy, kill_rollback, kill_run, migrated

    ok = True
    with store_url(backend, work / backend, "generated", args.pg) as url:
        t0 = time.monotonic()
        start, data = generated(url, work / backend / "generated", args.records, args.projects)
        h = harness_on(start, work / backend, url)
        print(f"{backend}: a generated legacy state of {args.records:,} records, {args.projects} projects "
              f"(built in {time.monotonic() - t0:.1f}s), batch {args.batch}", flush=True)
        try:
            t = time.monotonic()
            ok &= report(kill_run(h, start, batch=args.batch, records=args.points), time.monotonic() - t)
            t = time.monotonic()
            after = migrated(h, start, data, batch=args.batch)
            ok &= report(kill_rollback(h, after), time.monotonic() - t)
        finally:
            h.copies.drop_all()
    with store_url(backend, work / backend, "scenario", args.pg) as url:
        data = load_scenario_file(ROLLBACK_SCENARIO)
        start = build_legacy(url, work / backend / "scenario", data)
        h = harness_on(start, work / backend, url)
        print(f"{backend}: {ROLLBACK_SCENARIO} (migrated, re-enabled, synced, billed)", flush=True)
        try:
            t = time.monotonic()
            ok &= report(kill_rollback(h, migrated(h, start, data, batch=args.batch)), time.monotonic() - t)
        finally:
            h.copies.drop_all()
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--projects", type=int, default=50)
    ap.add_argument("--points", type=int, default=40, help="record counts `migrate run` is killed at")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--pg", default=os.environ.get("BRIDGE_TEST_DATABASE_URL"),
                    help="a PostgreSQL URL on a server where databases may be created")
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-kill-") as tmp:
        for backend in args.backends.split(","):
            t = time.monotonic()
            ok &= bench(backend.strip(), args, Path(tmp))
            print(f"{backend}: {time.monotonic() - t:.0f}s in all", flush=True)
    print("every kill resumed to the uninterrupted state" if ok else "FAILED: see UNEQUAL above")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
