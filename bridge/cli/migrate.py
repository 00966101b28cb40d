"""`bridge migrate`: plan, run, verify, roll back a migration from legacy to enhanced."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from bridge.cli.app import App
from bridge.cli.fixture_arg import fixture_argument, resolve_fixture
from bridge.cli.progress import progress_for
from bridge.errors import CheckFailed
from migrate.run import find_migration, run_migration, summarize

if TYPE_CHECKING:
    from migrate.verify import VerifyReport

batch_option = click.option("--batch", default=2000, show_default=True, help="Records per transaction.")
services_option = click.option("--services/--no-services", default=True, show_default=True,
                               help="Snapshot and check the services' user-visible data.")


@click.group()
def migrate() -> None:
    """Move a legacy integration's state to the enhanced integration (M1-M6)."""


@migrate.command()
@click.option("--plan", "plan_name", type=click.Choice(["free", "standard", "professional", "premium"]),
              default="premium", show_default=True, help="Books plan whose limits the call budget assumes.")
@services_option
@click.pass_obj
def plan(app: App, plan_name: str, services: bool) -> None:
    """Dry run: what would be created, changed and left out (and why); writes nothing."""
    from migrate.plan import plan_migration

    result = plan_migration(app.context(), plan=plan_name, services=services)

    def human(data: dict[str, Any]) -> None:
        table = Table(title=f"Migration plan for portal {data['portal_id']} ({data['state']})")
        for col in ("kind", "create", "left out"):
            table.add_column(col)
        for kind, n in data["create"].items():
            left = ", ".join(f"{c}: {k}" for c, k in data["left_out"].get(kind, {}).items()) or "-"
            table.add_row(kind, str(n), left)
        Console().print(table)
        for line in data["change"]:
            click.echo(f"change: {line}")
        for ex in data["examples"]:
            click.echo(f"left out: {ex['kind']} {ex['key']}: {ex['reason']}")
        click.echo(f"calls: {data['calls']['summary']}")

    app.emit(result.to_json(), human)


@migrate.command()
@batch_option
@services_option
@click.pass_obj
def run(app: App, batch: int, services: bool) -> None:
    """Migrate (or resume an interrupted migration). Running it again is harmless."""
    with progress_for(app) as advance:
        summary = run_migration(app.context(), batch=batch, services=services, progress=advance)

    def human(data: dict[str, Any]) -> None:
        verb = "already migrated" if data["already_done"] else ("resumed and finished" if data["resumed"] else "migrated")
        click.echo(f"{verb}: migration {data['migration_id']} for portal {data['portal_id']}")
        for kind, n in data["carried"].items():
            left = data["left_out"].get(kind, {})
            extra = f" (left out: {', '.join(f'{c} {k}' for c, k in left.items())})" if left else ""
            click.echo(f"  {kind:<14} {n:>9} carried{extra}")
        if data["records_per_second"]:
            click.echo(f"  {data['records']} records in {data['seconds']:.1f}s ({data['records_per_second']}/s)")
        click.echo(f"next: `bridge migrate verify`, then `bridge enhanced reenable --portal {data['portal_id']}`")

    app.emit(summary.to_json(), human)


@migrate.command()
@batch_option
@services_option
@click.pass_obj
def verify(app: App, batch: int, services: bool) -> None:
    """Check the migrated state against the legacy state (deepdiff); exit 1 on any difference."""
    from migrate.verify import verify_migration

    report = verify_migration(app.context(), batch=max(batch, 1), services=services)
    app.emit(report.to_json(), lambda _: _print_verify(report))
    if not report.ok:
        raise CheckFailed(f"verification failed: {report.difference_count} difference(s), "
                          f"{sum(not i['ok'] for i in report.invariants.values())} invariant(s) broken")


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
@click.pass_obj
def rollback(app: App) -> None:
    """Return to the legacy state: delete what the migration made, restore the legacy connection."""
    from migrate.rollback import rollback_migration

    result = rollback_migration(app.context())
    app.emit(result, lambda d: click.echo(f"rolled back migration {d['migration_id']}; legacy is {d['legacy_state']} again"))


@migrate.command()
@click.pass_obj
def status(app: App) -> None:
    """The latest migration: state, journal progress and what was left out."""
    ctx = app.context()
    legacy, run = find_migration(ctx)
    data: dict[str, Any] = {"portal_id": legacy.portal_id, "legacy_state": legacy.state, "migration": None}
    if run is not None:
        data["migration"] = {"state": run.state, **summarize(ctx, run, legacy).to_json()}
    app.emit(data, lambda d: click.echo(
        f"legacy ({d['legacy_state']}), portal {d['portal_id']}: "
        + (f"migration {d['migration']['migration_id']} {d['migration']['state']}, carried {d['migration']['carried']}"
           if d["migration"] else "not migrated")))


@migrate.command()
@fixture_argument
@click.option("--home", type=click.Path(path_type=Path), default=Path(".bridge/demo"), show_default=True,
              help="A fresh folder for the demo's store and sandbox (wiped first).")
@click.pass_context
def demo(cctx: click.Context, fixture: str, home: Path) -> None:
    """The main job in one command: build a legacy state from FIXTURE on the embedded
    sandbox, migrate it, and verify the result (exit 1 if verification fails)."""
    from bridge.modes import open_integration
    from bridge.replay import replay
    from migrate.verify import verify_migration

    data = resolve_fixture(fixture)
    parent: App = cctx.obj
    if home.exists():
        shutil.rmtree(home)
    os.environ["BRIDGE_HOME"] = str(home)
    app = App(db=None, mode="legacy", target="sandbox", json=parent.json, debug=parent.debug)
    cctx.call_on_close(app.close)
    sandbox = app.sandbox()
    sandbox.seed(data)
    ctx = app.context()
    steps = replay(data, open_integration("legacy", ctx), ctx)
    if not app.json:
        click.echo(f"legacy state built from {data['name']}: {len(steps.steps)} operations replayed")
    with progress_for(app) as advance:
        summary = run_migration(ctx, progress=advance)
    report = verify_migration(ctx)
    def human(d: dict[str, Any]) -> None:
        click.echo(f"migrated: {d['migration']['carried']}; left out: {d['migration']['left_out'] or 'nothing'}")
        _print_verify(report)
        click.echo(f"inspect it: BRIDGE_HOME={home} bridge migrate status")

    app.emit({"scenario": data["name"], "home": str(home), "migration": summary.to_json(),
              "verification": report.to_json()}, human)
    if not report.ok:
        raise CheckFailed("verification failed")
