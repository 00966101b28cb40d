"""The fleet's queue: procrastinate jobs in PostgreSQL, one per organization, and a small
table of what each organization is doing.

One job runs an organization's steps in order (fleet.steps), recording each finished step
in `bridge_fleet_orgs`; a retried job (after an error, a daily cap or a killed worker)
skips the finished steps and runs the current one again, which the migrator and the sync
make harmless. A chain of one job per step would spread that checkpoint over the queue and
open a window, between a step's end and the next step's deferral, where a crash defers
twice; one job and one row keep it in one place.

Guarantees, and what gives them:
- one job per organization at a time: procrastinate's `lock` (the organization's name);
- submitting twice queues nothing new: the row's primary key (insert-or-skip) decides, and
  the `queueing_lock` refuses a second waiting job should two submits race;
- one organization never blocks another: each has its own folder (store, sandbox, limiter
  usage) and its own job; a failure or a daily cap reschedules only that job;
- the daily cap: a step stopped by a `RateLimited` with a resume time (fleet.steps.Capped)
  retries the job at the organization's next UTC day (procrastinate's retry with
  `retry_at`), without counting as a failed attempt;
- a worker killed mid-job: its job stays `doing` until a live worker sees the dead one's
  heartbeat is stale and retries it (`recover_stalled`, at each worker's start and every
  10 seconds from a periodic task), as procrastinate's documentation prescribes.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from bridge.errors import (
    BridgeError,
    CheckFailed,
    ConfigError,
    InputError,
    IntegrationError,
    StoreUnavailable,
)
from bridge.progress import Progress, no_progress
from fleet.manifest import Organization
from fleet.steps import Capped, books_calls_today, run_step

log = logging.getLogger(__name__)

TASK_NAME = "fleet.run_organization"
#: attempts of a job that fails for a passing reason (a service error, a busy store)
DEFAULT_ATTEMPTS = 5
#: seconds between attempts after a passing failure: 5, 10, 20, ... (capped at 10 minutes)
BACKOFF_SECONDS = 5.0
#: a worker whose heartbeat is older than this is dead, and its jobs are retried
STALLED_AFTER_SECONDS = 30.0

TABLE_DDL = """
CREATE TABLE IF NOT EXISTS bridge_fleet_orgs (
    name text PRIMARY KEY,
    entry jsonb NOT NULL,
    fleet_dir text NOT NULL,
    done jsonb NOT NULL DEFAULT '[]',
    step text,
    state text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    next_attempt timestamptz,
    results jsonb NOT NULL DEFAULT '{}',
    books_calls jsonb,
    job_id bigint,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""

#: states: queued (waiting for a worker), running, waiting (retry or next UTC day at
#: next_attempt), done, failed (no attempt left, or a failure no retry fixes), cancelled
STATES = ("queued", "running", "waiting", "done", "failed", "cancelled")


def conninfo(url: str) -> str:
    """A libpq URL from an SQLAlchemy one (`postgresql+psycopg://` -> `postgresql://`)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ConfigError(f"the fleet queue needs a PostgreSQL URL, not {scheme or url!r}",
                          hint="pass --db postgresql://USER@HOST:PORT/DATABASE (or set BRIDGE_FLEET_DB)")
    return f"postgresql://{rest}"


class RetryLater(Exception):
    """Raised by the task to have procrastinate run the job again at `at`."""

    def __init__(self, at: dt.datetime, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.at = at


class _FleetRetry(BaseRetryStrategy):
    """The task decides (it knows the organization's attempts and its day); this says yes."""

    def get_retry_decision(self, *, exception: BaseException, job: procrastinate.jobs.Job) -> RetryDecision | None:
        if isinstance(exception, RetryLater):
            return RetryDecision(retry_at=exception.at)
        return None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _passing(exc: BaseException) -> bool:
    """Whether another attempt may succeed: not for bad input, a refused check or an
    integration that said no; yes for service and store trouble and the unexpected."""
    return not isinstance(exc, InputError | ConfigError | CheckFailed | IntegrationError)


class StepProgress:
    """A step's progress (bridge.progress) written to its organization's row for `fleet
    status`: the task, done and total, at most once per `every` seconds, and at each task's
    start and end (a row write per batch would make the queue's database the bottleneck)."""

    def __init__(self, write: Callable[[dict[str, Any]], None], every: float = 1.0) -> None:
        self._write, self._every = write, every
        self._last = -every
        self._task: str | None = None

    def __call__(self, task: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        edge = task != self._task or (total is not None and done >= total)
        if not edge and now - self._last < self._every:
            return
        self._task, self._last = task, now
        self._write({"task": task, "done": done, "total": total})


@dataclass
class Fleet:
    """The queue at one PostgreSQL database; its submit/retry/cancel/status run inside `with fleet.opened()`."""

    url: str
    #: a worker's display of its steps' progress (bridge.progress), set by run_worker
    _shown: Progress = field(default=no_progress, init=False, repr=False)

    def __post_init__(self) -> None:
        self.conninfo = conninfo(self.url)
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=self.conninfo))
        self._register()

    # -- the database -----------------------------------------------------------------------

    @contextmanager
    def _db(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        try:
            with psycopg.connect(self.conninfo, row_factory=dict_row, autocommit=True, connect_timeout=10) as conn:
                yield conn
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"the fleet queue database is unreachable: {str(exc).strip()}",
                                   hint="check --db / BRIDGE_FLEET_DB and that PostgreSQL is running") from exc

    @contextmanager
    def opened(self) -> Iterator[Fleet]:
        with self._db():  # an unreachable database refused at once, not after the pool's 30 s wait
            pass
        try:
            with self.app.open():
                yield self
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"the fleet queue database is unreachable: {str(exc).strip()}",
                                   hint="check --db / BRIDGE_FLEET_DB and that PostgreSQL is running") from exc

    def install(self) -> bool:
        """The queue's schema (procrastinate's, applied from code) and the fleet's table, if
        absent; True when something was installed. Safe to call from several processes."""
        with self._db() as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext('bridge_fleet_install'))")
            try:
                exists = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS ok").fetchone()
                made = not (exists and exists["ok"])
                if made:
                    self.app.schema_manager.apply_schema()
                conn.execute(TABLE_DDL)
                conn.execute("ALTER TABLE bridge_fleet_orgs ADD COLUMN IF NOT EXISTS books_calls jsonb")
                conn.execute("ALTER TABLE bridge_fleet_orgs ADD COLUMN IF NOT EXISTS within jsonb")
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext('bridge_fleet_install'))")
        return made

    # -- submit, retry, cancel --------------------------------------------------------------

    def submit(self, orgs: list[Organization], fleet_dir: Path) -> dict[str, list[str]]:
        """Queue one job per organization not submitted before; {"queued": [...], "kept": [...]}."""
        self.install()
        queued, kept = [], []
        with self._db() as conn:
            for org in orgs:
                row = conn.execute(
                    "INSERT INTO bridge_fleet_orgs (name, entry, fleet_dir, state) VALUES (%s, %s, %s, 'queued') "
                    "ON CONFLICT (name) DO NOTHING RETURNING name",
                    (org.name, Jsonb(org.to_json()), str(fleet_dir.resolve()))).fetchone()
                had_job = conn.execute("SELECT job_id FROM bridge_fleet_orgs WHERE name = %s",
                                       (org.name,)).fetchone()
                if row is None and had_job and had_job["job_id"] is not None:
                    kept.append(org.name)
                    continue
                # new, or a row whose job was never deferred (a submit cut short): defer now
                self._defer(conn, org.name)
                queued.append(org.name)
        return {"queued": queued, "kept": kept}

    def _defer(self, conn: psycopg.Connection[dict[str, Any]], name: str,
               at: dt.datetime | None = None) -> int | None:
        lock = f"fleet:{name}"
        try:
            job_id = self.app.configure_task(TASK_NAME, lock=lock, queueing_lock=lock, schedule_at=at).defer(
                org=name)
        except AlreadyEnqueued:
            return None  # a waiting job for it exists already: that one will do
        conn.execute("UPDATE bridge_fleet_orgs SET job_id = %s, updated_at = now() WHERE name = %s", (job_id, name))
        return job_id

    def _row(self, conn: psycopg.Connection[dict[str, Any]], name: str) -> dict[str, Any]:
        row = conn.execute("SELECT * FROM bridge_fleet_orgs WHERE name = %s", (name,)).fetchone()
        if row is None:
            raise InputError(f"no organization {name!r} in the fleet",
                             hint="see `bpbridge fleet status` for the names submitted")
        return row

    def retry(self, name: str) -> dict[str, Any]:
        """Run a failed or cancelled organization again from its last finished step, or a
        waiting one now."""
        with self._db() as conn:
            row = self._row(conn, name)
            state = row["state"]
            if state in ("failed", "cancelled"):
                conn.execute("UPDATE bridge_fleet_orgs SET state = 'queued', attempts = 0, last_error = NULL, "
                             "next_attempt = NULL, updated_at = now() WHERE name = %s", (name,))
                self._defer(conn, name)
                return {"name": name, "was": state, "now": "queued"}
            if state == "waiting" and row["job_id"] is not None:
                # its job waits for a later time: cancel it and queue one for now
                self.app.job_manager.cancel_job_by_id(row["job_id"])
                conn.execute("UPDATE bridge_fleet_orgs SET state = 'queued', next_attempt = NULL, updated_at = now() "
                             "WHERE name = %s", (name,))
                self._defer(conn, name)
                return {"name": name, "was": state, "now": "queued"}
        raise InputError(f"organization {name!r} is {state}: nothing to retry",
                         hint="retry applies to a failed, cancelled or waiting organization")

    def cancel(self, name: str) -> dict[str, Any]:
        """Stop an organization: its waiting job is cancelled; a running one stops after its
        current step (the step finishes: stopping mid-step would leave nothing safer)."""
        with self._db() as conn:
            row = self._row(conn, name)
            if row["state"] in ("done", "cancelled"):
                raise InputError(f"organization {name!r} is {row['state']}: nothing to cancel")
            if row["job_id"] is not None:
                self.app.job_manager.cancel_job_by_id(row["job_id"], abort=True)
            conn.execute("UPDATE bridge_fleet_orgs SET state = 'cancelled', next_attempt = NULL, "
                         "updated_at = now() WHERE name = %s", (name,))
        return {"name": name, "was": row["state"], "now": "cancelled"}

    # -- status -----------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        """Each organization: step, steps done of all, state, attempts, last error, next attempt."""
        self.install()
        with self._db() as conn:
            rows = conn.execute("SELECT * FROM bridge_fleet_orgs ORDER BY name").fetchall()
        out = []
        for row in rows:
            org = Organization.from_json(row["entry"])
            steps = org.steps()
            out.append({
                "name": row["name"], "target": org.target, "action": org.action, "state": row["state"],
                "step": row["step"], "done": list(row["done"]), "steps": list(steps),
                "progress": f"{len(row['done'])}/{len(steps)}", "within": row.get("within"),
                "attempts": row["attempts"],
                "last_error": row["last_error"],
                "next_attempt": row["next_attempt"], "updated_at": row["updated_at"],
                "job_id": row["job_id"], "results": row["results"],
                "books_calls_today": row["books_calls"],
            })
        return out

    # -- the worker -------------------------------------------------------------------------

    async def _recover_async(self, seconds: float) -> list[int]:
        """procrastinate's documented recovery: the jobs of workers whose heartbeat is older
        than `seconds` go back to the queue."""
        jobs = await self.app.job_manager.get_stalled_jobs(task_name=TASK_NAME, seconds_since_heartbeat=seconds)
        ids = []
        for job in jobs:
            await self.app.job_manager.retry_job(job)
            assert job.id is not None
            ids.append(job.id)
            log.warning("retried job %s of a worker that stopped", job.id)
        return ids

    def recover_stalled(self, seconds: float = STALLED_AFTER_SECONDS) -> list[int]:
        """Retry the jobs of workers whose heartbeat stopped (killed, or their machine lost)."""
        import asyncio

        async def run() -> list[int]:
            async with self.app.open_async():
                return await self._recover_async(seconds)

        return asyncio.run(run())

    def run_worker(self, concurrency: int, *, stalled_after: float = STALLED_AFTER_SECONDS,
                   heartbeat: float = 5.0, wait: bool = True, progress: Progress = no_progress) -> None:
        """A procrastinate worker on this queue until stopped (SIGINT/SIGTERM end it cleanly;
        with `wait=False` it stops once no job is ready). `progress` hears of every step's
        tasks, named "ORG STEP: TASK", besides the organization's row (`fleet status`)."""
        self._shown = progress
        self.install()
        self.recover_stalled(stalled_after)
        self.app.run_worker(concurrency=concurrency, wait=wait, update_heartbeat_interval=heartbeat,
                            stalled_worker_timeout=stalled_after, listen_notify=wait,
                            delete_jobs="successful",  # the fleet's table keeps what status shows
                            additional_context={"stalled_after": stalled_after})

    # -- the task ---------------------------------------------------------------------------

    def _register(self) -> None:
        fleet = self

        @self.app.task(name=TASK_NAME, pass_context=True, retry=_FleetRetry())
        def run_organization(context: procrastinate.JobContext, org: str) -> None:
            fleet._run(org)

        # every 10 s (croniter's sixth field is the seconds): one cheap query, and a dead
        # worker's organization waits at most --stalled-after plus 10 s for another worker
        @self.app.periodic(cron="* * * * * */10", periodic_id="fleet-recover")
        @self.app.task(name="fleet.recover_stalled", pass_context=True, queueing_lock="fleet-recover")
        async def recover(context: procrastinate.JobContext, timestamp: int) -> None:
            after = float((context.additional_context or {}).get("stalled_after", STALLED_AFTER_SECONDS))
            await fleet._recover_async(after)

    def _set(self, conn: psycopg.Connection[dict[str, Any]], name: str, **values: Any) -> None:
        cols = ", ".join(f"{k} = %({k})s" for k in values)
        conn.execute(f"UPDATE bridge_fleet_orgs SET {cols}, updated_at = now() WHERE name = %(name)s",
                     {**{k: Jsonb(v) if isinstance(v, dict | list) else v for k, v in values.items()}, "name": name})

    def _run(self, name: str) -> None:
        with self._db() as conn:
            row = self._row(conn, name)
            if row["state"] in ("cancelled", "done"):
                return
            org = Organization.from_json(row["entry"])
            fleet_dir = Path(row["fleet_dir"])
            done: list[str] = list(row["done"])
            results: dict[str, Any] = dict(row["results"])
            failures: int = row["attempts"]  # failed attempts so far (a daily cap is not one)
            self._set(conn, name, state="running", next_attempt=None)
            for step in org.steps():
                if step in done:
                    continue
                if self._row(conn, name)["state"] == "cancelled":
                    return
                self._set(conn, name, step=step, within=None)
                log.info("%s: %s ...", name, step)
                try:
                    results[step] = run_step(org, step, fleet_dir, self._progress(conn, name, step))
                except Exception as exc:
                    self._count_calls(conn, org, fleet_dir)
                    at = self._next_attempt(exc, org, failures)
                    message = (exc.cause.message if isinstance(exc, Capped) else exc.message
                               if isinstance(exc, BridgeError) else f"{type(exc).__name__}: {exc}")
                    capped = isinstance(exc, Capped)
                    self._set(conn, name, state="waiting" if at else "failed", last_error=f"{step}: {message}",
                              next_attempt=at, attempts=failures if capped else failures + 1)
                    if at is None:
                        log.info("%s: %s failed: %s", name, step, message)
                        raise
                    log.info("%s: %s stopped (%s); next attempt %s", name, step, message, at.isoformat())
                    raise RetryLater(at, exc) from exc
                done.append(step)
                self._set(conn, name, done=done, results=results, last_error=None)
                self._count_calls(conn, org, fleet_dir)
            self._set(conn, name, state="done", step=None)
            log.info("%s: done (%s)", name, ", ".join(done))

    def _progress(self, conn: psycopg.Connection[dict[str, Any]], name: str, step: str) -> Progress:
        """A step's progress: to its organization's row, and to this worker's display."""
        row = StepProgress(lambda now: self._set(conn, name, within=now))

        def both(task: str, done: int, total: int | None) -> None:
            row(task, done, total)
            self._shown(f"{name} {step}: {task}", done, total)

        return both

    def _count_calls(self, conn: psycopg.Connection[dict[str, Any]], org: Organization, fleet_dir: Path) -> None:
        try:
            calls = books_calls_today(org, fleet_dir)
        except Exception:  # a count for status only: never the reason a step fails
            log.warning("cannot count %s's Books calls", org.name, exc_info=True)
            return
        self._set(conn, org.name, books_calls=calls)

    def _next_attempt(self, exc: BaseException, org: Organization, failures: int) -> dt.datetime | None:
        """When to try again, or None for never (then the organization is failed)."""
        if isinstance(exc, Capped):
            return _utcnow() + exc.wait  # the organization's next UTC day (or the end of its minute)
        if not _passing(exc) or failures + 1 >= int(org.options.get("max_attempts", DEFAULT_ATTEMPTS)):
            return None
        return _utcnow() + dt.timedelta(seconds=min(BACKOFF_SECONDS * 2 ** failures, 600.0))
