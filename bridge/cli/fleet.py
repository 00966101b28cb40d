"""`bpbridge fleet`: many organizations at once on a PostgreSQL job queue (library: fleet/)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bridge.cli.app import App
from bridge.cli.progress import progress_for
from bridge.cli.tables import print_table
from bridge.errors import ConfigError

if TYPE_CHECKING:
    from fleet.queue import Fleet

F = TypeVar("F", bound=Callable[..., Any])

FLEET_DB_ENV = "BRIDGE_FLEET_DB"


def queue_option(f: F) -> F:
    """`--db URL` of the queue: every fleet command takes it (not the root's --db, which is
    one organization's store)."""
    return click.option("--db", "queue_url", envvar=FLEET_DB_ENV, metavar="URL",
                        help=f"The queue's PostgreSQL database, e.g. postgresql://USER@HOST:5432/DB "
                             f"[env {FLEET_DB_ENV}]; the same for every worker and command.")(f)


def _fleet(url: str | None) -> Fleet:
    if not url:
        raise ConfigError("the fleet needs its queue database",
                          hint=f"pass --db postgresql://USER@HOST:5432/DB or set {FLEET_DB_ENV}")
    from fleet.queue import Fleet

    return Fleet(url)


@click.group()
def fleet() -> None:
    """Migrate and sync many organizations at once: a manifest, a PostgreSQL queue
    (procrastinate) and as many workers as you like, on any machine that reaches it.

    Example: `bpbridge fleet submit fleet.json --db postgresql://postgres@127.0.0.1/fleet`, then
    `bpbridge fleet worker --concurrency 4` and `bpbridge fleet status`
    """


@fleet.command()
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@queue_option
@click.option("--fleet-dir", type=click.Path(file_okay=False, path_type=Path), envvar="BRIDGE_FLEET_DIR",
              help="Folder of the organizations' own folders (store, secrets, sandbox) [env BRIDGE_FLEET_DIR; "
                   "default HOME/fleet]; workers must reach the same folder.")
@click.pass_obj
def submit(app: App, manifest: Path, queue_url: str | None, fleet_dir: Path | None) -> None:
    """Check MANIFEST and queue one job per organization not submitted before (submitting
    again queues nothing new). A bad entry is refused with its JSON path, nothing queued.

    Example: `bpbridge fleet submit fleet.json`
    """
    from fleet.manifest import load_manifest

    orgs = load_manifest(manifest)  # all checked before the queue is touched
    queue = _fleet(queue_url)
    folder = (fleet_dir if fleet_dir is not None else app.home / "fleet").resolve()
    with queue.opened():
        result = queue.submit(orgs, folder)

    def human(d: dict[str, Any]) -> None:
        click.echo(f"queued {len(d['queued'])} organization(s): {', '.join(d['queued']) or '-'}")
        if d["kept"]:
            click.echo(f"already submitted, left as they are: {', '.join(d['kept'])}")
        click.echo("next: `bpbridge fleet worker` (as many as you like), then `bpbridge fleet status`")

    app.emit({**result, "fleet_dir": str(folder)}, human)


@fleet.command()
@queue_option
@click.option("--concurrency", type=click.IntRange(min=1, max=64), default=2, show_default=True,
              help="Organizations this worker runs at once (each on its own thread).")
@click.option("--until-idle", is_flag=True,
              help="Stop once no job is ready to run (for scripts and CI) instead of waiting for more.")
@click.option("--stalled-after", type=click.FloatRange(min=1), default=30.0, show_default=True,
              help="Seconds without a heartbeat after which a worker counts as dead and its job is retried.")
@click.pass_obj
def worker(app: App, queue_url: str | None, concurrency: int, until_idle: bool, stalled_after: float) -> None:
    """Run a worker: takes organizations' jobs from the queue until Ctrl-C (or SIGTERM),
    one job per organization at a time. Start as many as you like, on any machine.

    Example: `bpbridge fleet worker --concurrency 4`
    """
    queue = _fleet(queue_url)
    with queue.opened():
        pass  # an unreachable queue is refused here, before the worker starts
    if not app.json and app.verbosity >= 0:
        click.echo(f"worker: {concurrency} at once; Ctrl-C to stop", err=True)
    # each step's tasks as the other commands show them (a bar drops a task once done)
    fleet_log = logging.getLogger("fleet.queue")
    with progress_for(app, keep_finished=False) as progress:
        # each organization's steps as they start and end, one line each; made here, so the
        # lines go to the stderr the bar draws above (it stands in for sys.stderr meanwhile)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        lines = not app.json and app.verbosity >= 0 and not app.debug
        if lines:
            fleet_log.addHandler(handler)
            fleet_log.setLevel(logging.INFO)
        try:
            queue.run_worker(concurrency, stalled_after=stalled_after, heartbeat=min(5.0, stalled_after / 3),
                             wait=not until_idle, progress=progress)
        finally:
            fleet_log.removeHandler(handler)
    app.emit({"stopped": True, "concurrency": concurrency},
             lambda d: click.echo(f"worker stopped ({d['concurrency']} at once)"))


@fleet.command()
@queue_option
@click.pass_obj
def status(app: App, queue_url: str | None) -> None:
    """Each organization: its state, step, steps done, failed attempts, Books calls used on
    its current UTC day (counted where calls are paced), next attempt time and last error.

    Example: `bpbridge fleet status --json`
    """
    queue = _fleet(queue_url)
    with queue.opened():
        rows = queue.status()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1

    def human(d: dict[str, Any]) -> None:
        if not d["organizations"]:
            click.echo("no organization submitted yet: `bpbridge fleet submit MANIFEST`")
            return
        print_table(None, ["organization", "action", "state", "step", "steps done", "within the step",
                           "failed attempts", "Books calls today", "next attempt", "last error"],
                    [(r["name"], r["action"], r["state"], r["step"], r["progress"], _within(r), r["attempts"],
                      _calls(r["books_calls_today"]), r["next_attempt"], r["last_error"]) for r in d["organizations"]])
        click.echo(", ".join(f"{n} {state}" for state, n in sorted(d["counts"].items())))

    app.emit({"organizations": rows, "counts": counts}, human)


def _within(row: dict[str, Any]) -> str | None:
    """How far the running step is: "transactions 1,200/4,000" (of its current task)."""
    within = row.get("within")
    if row["state"] != "running" or not within:
        return None
    total = within.get("total")
    return f"{within['task']} {within['done']:,}" + (f"/{total:,}" if total is not None else "")


def _calls(calls: dict[str, Any] | None) -> str | None:
    return f"{calls['calls']} on {calls['day']}" if calls else None


@fleet.command()
@click.argument("org")
@queue_option
@click.pass_obj
def retry(app: App, org: str, queue_url: str | None) -> None:
    """Run ORG again from its last finished step (failed or cancelled), or now (waiting).

    Example: `bpbridge fleet retry acme`
    """
    queue = _fleet(queue_url)
    with queue.opened():
        result = queue.retry(org)
    app.emit(result, lambda d: click.echo(f"{d['name']}: {d['was']} -> {d['now']}"))


@fleet.command()
@click.argument("org")
@queue_option
@click.pass_obj
def cancel(app: App, org: str, queue_url: str | None) -> None:
    """Stop ORG: its waiting job is cancelled; a running one stops after its current step.

    Example: `bpbridge fleet cancel acme`
    """
    queue = _fleet(queue_url)
    with queue.opened():
        result = queue.cancel(org)
    app.emit(result, lambda d: click.echo(f"{d['name']}: {d['was']} -> {d['now']} "
                                          f"(`bpbridge fleet retry {d['name']}` resumes it)"))
