"""`bridge scenario`: seed the sandbox with a fixture and replay it through a mode."""

from __future__ import annotations

import click

from bridge.cli.app import App
from bridge.cli.fixture_arg import fixture_argument, resolve_fixture
from bridge.modes import open_integration
from bridge.replay import replay, seed_sandbox
from bridge.scenario import ScenarioResult


@click.group()
@click.pass_obj
def scenario(app: App) -> None:
    """Replay scenario fixtures through the legacy or enhanced integration."""
    app.refuse_live("scenario")


@scenario.command("run")
@fixture_argument
@click.option("--mode", "mode_opt", type=click.Choice(["legacy", "enhanced"]),
              help="Mode to drive (default: the root --mode, then $BRIDGE_MODE, then enhanced).")
@click.pass_obj
def run(app: App, fixture: str, mode_opt: str | None) -> None:
    """Reset the sandbox, seed it with FIXTURE and replay its operations through a mode.

    FIXTURE is a path or the name of a shipped scenario (e.g. small-agency)."""
    data = resolve_fixture(fixture)
    sandbox = app.sandbox()
    sandbox.reset()
    seed_sandbox(sandbox, data)
    ctx = app.context()
    result: ScenarioResult = replay(data, open_integration(mode_opt or app.mode, ctx), ctx)

    def human(res: ScenarioResult) -> None:
        for step in res.steps:
            click.echo(f"{step.index:>3} {step.op:<18} {step.outcome:<8} {step.detail}")
        click.echo(f"{len(res.steps)} steps replayed")

    app.emit(result.to_json() if app.json else result, human)
