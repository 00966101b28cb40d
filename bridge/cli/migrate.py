"""`bpbridge migrate`: plan, run, verify, roll back a migration from legacy to enhanced."""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich import box
from rich.console import Console
from rich.table import Table

from bridge.cli.app import App
from bridge.cli.confirm import confirm, confirm_option
from bridge.cli.fixture_arg import fixture_argument, resolve_fixture
from bridge.cli.interrupts import resumable, resume_command
from bridge.cli.progress import progress_for
from bridge.cli.reading import reads_store
from bridge.errors import CheckFailed, InputError
from migrate.run import find_migration, records_so_far, run_migration, shown_state, summarize

if TYPE_CHECKING:
    from bridge.context import Context
    from migrate.verify import VerifyReport

batch_option = click.option("--batch", type=click.IntRange(min=1), default=2000, show_default=True,
                            help="Records per transaction (at least 1).")
services_option = click.option("--services/--no-services", default=True, show_default=True,
                               help="Snapshot and check the services' user-visible data.")


@click.group()
def migrate() -> None:
    """Move a legacy integration's state to the enhanced integration (M1-M6).

    Example: `bpbridge migrate plan --out plan.json`, then `bpbridge migrate run --plan plan.json`
    """


@migrate.command()
@click.option("--plan", "plan_name", type=click.Choice(["free", "standard", "professional", "premium"]),
              default="premium", show_default=True, help="Books plan whose limits the call budget assumes.")
@services_option
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Rows shown per list (the --out file has them all).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Save the full plan (JSON, with a checksum of the legacy state) for `migrate run --plan`.")
@click.pass_obj
def plan(app: App, plan_name: str, services: bool, limit: int, out_path: Path | None) -> None:
    """Dry run: every record that would be carried over or left out (and why), what changes,
    and the API calls; writes nothing but the --out file.

    Example: `bpbridge migrate plan --plan standard --out plan.json`
    """
    from migrate.plan import plan_migration
    from migrate.plan_file import PlanWriter

    if out_path is None:
        result = plan_migration(app.context(), plan=plan_name, services=services, limit=limit)
    else:
        with PlanWriter(out_path) as writer:
            result = plan_migration(app.context(), plan=plan_name, services=services, limit=limit, sink=writer)
            writer.finish(result)
    data = {**result.to_json(), "out": str(out_path) if out_path else None}
    app.emit(data, _print_plan)


#: the plan's lists as tables: title, then (column, how a record shows it)
_PLAN_TABLES: dict[str, tuple[str, list[tuple[str, Callable[[dict[str, Any]], str]]]]] = {
    "invoices": ("Invoices carried over", [
        ("invoice", lambda r: r["invoice_id"]), ("number", lambda r: r["number"] or "-"),
        ("customer", lambda r: r["customer_id"] or "-"), ("project", lambda r: r["project_id"]),
        ("status", lambda r: r["status"]), ("origin", lambda r: r["origin"]),
        ("total", lambda r: r["total"]["amount"]), ("currency", lambda r: r["total"]["currency"])]),
    "expenses": ("Expenses carried over", [
        ("expense", lambda r: r["expense_id"]), ("project", lambda r: r["project_id"]),
        ("customer", lambda r: r["customer_id"] or "-"), ("status", lambda r: r["status"]),
        ("total", lambda r: r["total"]["amount"]), ("currency", lambda r: r["total"]["currency"])]),
    "other_transactions": ("Other transactions carried over", [
        ("kind", lambda r: r["kind"]), ("id", lambda r: r["transaction_id"]), ("number", lambda r: r["number"] or "-"),
        ("customer", lambda r: r["customer_id"] or "-"), ("project", lambda r: r["project_id"]),
        ("total", lambda r: r["total"]["amount"]), ("currency", lambda r: r["total"]["currency"])]),
    "billed_tasks": ("Billed tasks carried over (never billable again)", [
        ("task", lambda r: r["task_id"]), ("billed on invoice", lambda r: r["invoice_id"] or "-"),
        ("side", lambda r: r["side"]), ("state", lambda r: r["state"])]),
    "left_out": ("Left out", [
        ("kind", lambda r: r["kind"]), ("key", lambda r: r["key"]), ("reason code", lambda r: r["reason_code"]),
        ("reason", lambda r: r["reason"])]),
}


#: columns whose values are ids or amounts: never folded (they are read and copied whole)
_WHOLE = {"invoice", "number", "customer", "project", "expense", "id", "task", "billed on invoice", "key",
          "total", "reason code"}


def _console() -> Console:
    console = Console()
    # piped into a file to be read and signed: wide enough for whole ids, unless COLUMNS says
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=200)
    return console


def _print_plan(data: dict[str, Any]) -> None:
    console = _console()
    console.print(f"[bold]Migration plan for portal {data['portal_id']}[/] (a run would: {data['state']})")
    table = Table(box=box.SIMPLE_HEAD)
    for col in ("kind", "create", "left out"):
        table.add_column(col)
    for kind, n in data["create"].items():
        left = ", ".join(f"{c}: {k}" for c, k in data["left_out"].get(kind, {}).items()) or "-"
        table.add_row(kind, str(n), left)
    console.print(table)
    for name, (title, columns) in _PLAN_TABLES.items():
        section = data["records"][name]
        if not section["count"] and name == "other_transactions":
            continue  # estimates and bills: legacy mode makes none
        console.print(f"[bold]{title}[/]: {section['count']}")
        if not section["count"]:
            continue
        table = Table(box=box.SIMPLE_HEAD)
        for col, _ in columns:
            table.add_column(col, no_wrap=col in _WHOLE, overflow="fold",
                             justify="right" if col == "total" else "left")
        for record in section["rows"]:
            table.add_row(*(show(record) for _, show in columns))
        if section["rows"]:
            # a narrow terminal wraps the lines rather than rich cropping an id
            need = console.measure(table, options=console.options.update_width(1 << 16)).minimum
            (console if need <= console.width else Console(width=need)).print(table)
        hidden = section["count"] - len(section["rows"])
        if hidden:
            where = f"all of them are in {data['out']}" if data["out"] else "--out FILE saves them all"
            console.print(f"... and {hidden} more ({where})")
    for line in data["change"]:
        console.print(f"change: {line}", soft_wrap=True)
    console.print(f"calls: {data['calls']['summary']}", soft_wrap=True)
    console.print(f"checksum of the legacy state read: {data['checksum']['total']}", soft_wrap=True)
    if data["out"]:
        console.print(f"plan saved to {data['out']}; run exactly it with `bpbridge migrate run --plan {data['out']}`",
                      soft_wrap=True)


@migrate.command()
@batch_option
@services_option
@click.option("--plan", "plan_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Run only if the legacy state is still the one this saved plan read (else exit 2).")
@click.pass_obj
def run(app: App, batch: int, services: bool, plan_path: Path | None) -> None:
    """Migrate (or resume an interrupted migration). Running it again is harmless.

    Example: `bpbridge migrate run --plan plan.json`
    """
    expected = None
    if plan_path is not None:
        from migrate.plan_file import read_plan_head

        _, expected = read_plan_head(plan_path)
    ctx = app.context()
    with resumable(app, "migrate run", saved=lambda: _migration_saved(ctx)), progress_for(app) as progress:
        summary = run_migration(ctx, batch=batch, services=services, progress=progress, expected=expected)

    def human(data: dict[str, Any]) -> None:
        if data["plan"]:
            click.echo(f"plan {data['plan']['file']}: the legacy state is the one it read (checksum "
                       f"{data['plan']['checksum'][:16]}...)")
        verb = ("already migrated" if data["already_done"]
                else "resumed and finished" if data["resumed"] else "migrated")
        click.echo(f"{verb}: migration {data['migration_id']} for portal {data['portal_id']}")
        _print_carried(data)
        if data["records_per_second"]:
            click.echo(f"  {data['records']} records in {data['seconds']:.1f}s ({data['records_per_second']}/s)")
        click.echo(f"next: `bpbridge migrate verify`, then `bpbridge enhanced reenable --portal {data['portal_id']}`")

    plan_info = {"file": str(plan_path), "checksum": expected.total} if plan_path and expected else None
    app.emit({**summary.to_json(), "plan": plan_info}, human)


@migrate.command()
@batch_option
@services_option
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes that compare the records side by side, each a range of keys "
                   "[default: one per core, up to 4, and one per 200,000 records].")
@click.pass_obj
def verify(app: App, batch: int, services: bool, workers: int | None) -> None:
    """Check the migrated state against the legacy state (deepdiff); exit 1 on any difference.

    Example: `bpbridge migrate verify --json > verify.json`
    """
    from migrate.verify import verify_migration

    ctx = app.context()
    with resumable(app, "migrate verify", saved=lambda: _NOTHING_CHANGED), \
            progress_for(app, "verify ") as progress:
        report = verify_migration(ctx, batch=batch, services=services, progress=progress, workers=workers)
    app.emit(report.to_json(), lambda _: _print_verify(report))
    if not report.ok:
        raise CheckFailed(f"verification failed: {report.difference_count} difference(s), "
                          f"{sum(not i['ok'] for i in report.invariants.values())} invariant(s) broken")


def _print_carried(summary: dict[str, Any]) -> None:
    """What a migration carried, per kind, and what it left out and why."""
    for kind, n in summary["carried"].items():
        left = summary["left_out"].get(kind, {})
        extra = f" (left out: {', '.join(f'{c} {k}' for c, k in left.items())})" if left else ""
        click.echo(f"  {kind:<14} {n:>9,} carried{extra}")


def _print_verify(report: VerifyReport) -> None:
    for d in report.differences:
        click.echo(f"difference: {d}")
    for name, inv in report.invariants.items():
        click.echo(f"{'ok  ' if inv['ok'] else 'FAIL'} {name}")
    if report.services:
        click.echo(f"{'ok  ' if report.services['ok'] else 'FAIL'} services' visible data unchanged")
    click.echo("verification passed: no differences" if report.ok
               else f"verification FAILED: {report.difference_count} difference(s)")


@migrate.command()
@confirm_option
@click.pass_obj
def rollback(app: App, yes: bool) -> None:
    """Return to the legacy state: delete what the migration made, restore the legacy connection.

    Says what it will delete and asks first; --yes skips the question (and is required when
    stdin is not a terminal).

    Example: `bpbridge migrate rollback --yes`
    """
    from migrate.rollback import preview_rollback, rollback_migration

    ctx = app.context()
    ctx.require("migrate: rollback")
    preview = preview_rollback(ctx)
    if preview is not None:  # else nothing to roll back: the rollback says so, changing nothing
        confirm(app, yes, f"roll back migration {preview['migration_id']}", _rollback_would(preview))
    with resumable(app, "migrate rollback", saved=lambda: _rollback_saved(ctx)), progress_for(app) as progress:
        result = rollback_migration(ctx, progress=progress)
    app.emit(result, lambda d: click.echo(
        f"already rolled back: migration {d['migration_id']} was rolled back at {d['rolled_back_at']}; "
        f"legacy is {d['legacy_state']}; nothing changed" if d["already_rolled_back"]
        else f"rolled back migration {d['migration_id']}; legacy is {d['legacy_state']} again"))


def _rollback_would(p: dict[str, Any]) -> list[str]:
    scope = ("delete the enhanced integration's scope from the store (its connection, id maps, "
             f"transactions, marks) and withdraw its {p['synced_time_entries']} synced time entries "
             "still unbilled in Books" if p["enhanced_scope"] else "delete nothing (no enhanced scope was made)")
    return [f"roll back migration {p['migration_id']} ({p['state']}) for portal {p['portal_id']}: {scope};",
            (f"carry {p['billed_marks_carried_back']} billed mark(s) back to legacy as billed (docs/BILLING.md) "
            f"and make legacy {p['legacy_state']} again")]


#: the command that goes on with a run stopped in this stored state
_RESUME = {"running": "migrate run", "rolling_back": "migrate rollback"}
_NOTHING_CHANGED = "verification stopped before it finished; it writes nothing, so nothing changed"


def _migration_saved(ctx: Context) -> str:
    """What an interrupted `migrate run` kept (read after the Ctrl-C)."""
    legacy, run = find_migration(ctx)
    if run is None or run.state == "rolled_back":
        return "stopped before the migration started; nothing was written"
    if run.state == "done":
        return f"migration {run.id} had finished"
    done, total = records_so_far(ctx, run, legacy)
    return f"migration {run.id} stopped after {done:,} of {total:,} records (committed batches are kept)"


def _rollback_saved(ctx: Context) -> str:
    _, run = find_migration(ctx)
    if run is None or run.state != "rolling_back":
        return "stopped before the rollback began; nothing was changed"
    return (f"the rollback of migration {run.id} stopped part way: each table it finished stays "
            "deleted, and the migration stays rolling back until the rollback is run again")


@migrate.command()
@reads_store
@click.pass_obj
def status(app: App) -> None:
    """The latest migration: state, journal progress and what was left out.

    A run or rollback whose process is gone (Ctrl-C, killed) shows as interrupted, with the
    command that goes on from where it stopped.

    Example: `bpbridge migrate status`
    """
    ctx = app.context()
    legacy, run = find_migration(ctx)
    data: dict[str, Any] = {"portal_id": legacy.portal_id, "legacy_state": legacy.state, "migration": None}
    if run is not None:
        state = shown_state(ctx, run)
        data["migration"] = {**summarize(ctx, run, legacy).to_json(), "state": state, "resume": None}
        if state == "interrupted":
            done, total = records_so_far(ctx, run, legacy)
            data["migration"].update(resume=resume_command(_RESUME[run.state]), interrupted_while=run.state,
                                     records_done=done, records_total=total)

    def human(d: dict[str, Any]) -> None:
        head = f"legacy ({d['legacy_state']}), portal {d['portal_id']}: "
        m = d["migration"]
        if m is None:
            click.echo(head + "not migrated")
        elif m["resume"] is None:
            click.echo(head + f"migration {m['migration_id']} {m['state']}")
            _print_carried(m)
        else:
            where = ("while rolling back" if m["interrupted_while"] == "rolling_back"
                     else f"after {m['records_done']:,} of {m['records_total']:,} records")
            click.echo(head + f"migration {m['migration_id']} interrupted {where}; resume with: {m['resume']}")
            _print_carried(m)

    app.emit(data, human)


#: the file `migrate demo` puts in every folder it makes; only such a folder is ever replaced
DEMO_MARKER = ".bridge-demo"


@migrate.command()
@fixture_argument
@click.option("--home", "demo_home", type=click.Path(file_okay=False, path_type=Path),
              help="[default: HOME/demo, HOME being the root --home] The folder for the demo's store and sandbox. "
                   f"Made fresh and marked with a {DEMO_MARKER} file; a folder that is not empty and has no marker "
                   "is never touched.")
@confirm_option
@click.pass_context
def demo(cctx: click.Context, fixture: str, demo_home: Path | None, yes: bool) -> None:
    """The main job in one command: build a legacy state from FIXTURE on the embedded
    sandbox, migrate it, and verify the result (exit 1 if verification fails).

    \b
    The demo only ever deletes a folder it made itself (one holding its .bridge-demo marker):
    - HOME absent or empty: made and marked, no question asked.
    - HOME not empty and not marked: refused (exit 2), nothing deleted, even with --yes.
    - the default HOME marked by an earlier demo: replaced without asking (the demo's own
      scratch folder, so re-running the README's command just works, in CI too).
    - a --home you named, marked by an earlier demo: asks before replacing it; --yes skips
      the question and is required when stdin is not a terminal.

    Example: `bpbridge migrate demo small-agency`
    """
    from bridge.modes import open_integration
    from bridge.scenarios.replay import replay, seed_sandbox
    from migrate.verify import verify_migration

    data = resolve_fixture(fixture)
    parent: App = cctx.obj
    named = demo_home is not None
    home = demo_home if demo_home is not None else parent.home / "demo"
    _prepare_demo_home(parent, home, ask=named, yes=yes)
    if parent.db and not parent.json:
        click.echo(f"note: the demo keeps its store in {home}; --db/BRIDGE_DB ({parent.db.split('://')[0]}) "
                   "is not read or written", err=True)
    # its own App on its own folder: never the store --db/BRIDGE_DB names (a real organization's)
    app = App(db=None, mode="legacy", target="sandbox", json=parent.json, debug=parent.debug, home_dir=home,
              verbosity=parent.verbosity, progress=parent.progress)
    cctx.call_on_close(app.close)
    sandbox = app.sandbox()
    seed_sandbox(sandbox, data)
    ctx = app.context()
    again = f"migrate demo {shlex.quote(fixture)}" + (f" --home {shlex.quote(str(home))}" if named else "")
    with resumable(parent, again, saved=lambda: "stopped while building the demo's legacy state"):
        steps = replay(data, open_integration("legacy", ctx), ctx)
    if not app.json:
        click.echo(f"legacy state built from {data['name']}: {len(steps.steps)} operations replayed")
    # the demo's own store: the commands that go on name its folder, whatever the root's --home
    inside = f"--home {shlex.quote(str(home))} "
    with resumable(parent, inside + "migrate run", saved=lambda: _migration_saved(ctx), root_options=False), \
            progress_for(app) as progress:
        summary = run_migration(ctx, progress=progress)
    with resumable(parent, inside + "migrate verify", saved=lambda: _NOTHING_CHANGED, root_options=False), \
            progress_for(app, "verify ") as progress:
        report = verify_migration(ctx, progress=progress)
    def human(d: dict[str, Any]) -> None:
        click.echo(f"migrated: migration {d['migration']['migration_id']} for portal {d['migration']['portal_id']}")
        _print_carried(d["migration"])
        _print_verify(report)
        click.echo(f"inspect it: bpbridge --home {home} migrate status")

    app.emit({"scenario": data["name"], "home": str(home), "migration": summary.to_json(),
              "verification": report.to_json()}, human)
    if not report.ok:
        raise CheckFailed("verification failed")


def _prepare_demo_home(app: App, home: Path, *, ask: bool, yes: bool) -> None:
    """Leave `home` an empty folder holding only the demo's marker, deleting a folder only if
    an earlier demo made it (and, when `ask`, only once the user agreed)."""
    if home.is_symlink() or (home.exists() and not home.is_dir()):
        raise InputError(f"--home {home} exists and is not a folder the demo made: refusing to touch it",
                         hint="choose another --home")
    if home.is_dir() and any(home.iterdir()):
        if not (home / DEMO_MARKER).is_file():
            raise InputError(
                f"--home {home} is not empty and was not made by `bpbridge migrate demo` (no {DEMO_MARKER} "
                "marker): refusing to delete it; nothing was changed",
                hint="choose a new or empty folder for --home (a demo folder from a version that did not "
                     "mark its folders: delete it yourself, then run the demo again)")
        if ask:
            confirm(app, yes, f"replace the demo folder {home}",
                    [(f"delete {home} and everything in it (an earlier demo's store and sandbox, "
                     f"marked {DEMO_MARKER}) and run the demo there again")])
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / DEMO_MARKER).write_text("made by `bpbridge migrate demo`; `migrate demo` may delete and remake "
                                    "this folder\n", encoding="utf-8")
