"""`bpbridge scenario`: seed the sandbox with a fixture and replay it through a mode."""

from __future__ import annotations

from typing import Any

import click

from bridge.cli.app import App
from bridge.cli.fixture_arg import fixture_argument, resolve_fixture
from bridge.cli.tables import print_table
from bridge.modes import open_integration, resolve_mode
from bridge.scenarios.driver import ScenarioResult
from bridge.scenarios.replay import replay, seed_sandbox


@click.group()
@click.pass_obj
def scenario(app: App) -> None:
    """Replay scenario fixtures through the legacy or enhanced integration.

    Example: `bpbridge scenario run small-agency --mode legacy`
    """
    app.refuse_live("scenario")


@scenario.command("run")
@fixture_argument
@click.option("--mode", "mode_opt", type=click.Choice(["legacy", "enhanced"]),
              help="Mode to drive (default: the root --mode, then $BRIDGE_MODE, then enhanced).")
@click.pass_obj
def run(app: App, fixture: str, mode_opt: str | None) -> None:
    """Reset the sandbox, seed it with FIXTURE and replay its operations through a mode.

    FIXTURE is a path or the name of a shipped scenario (e.g. small-agency).

    Example: `bpbridge scenario run small-agency --mode legacy`
    """
    data = resolve_fixture(fixture)
    sandbox = app.sandbox()
    sandbox.reset()
    seed_sandbox(sandbox, data)
    ctx = app.context()
    mode = resolve_mode(mode_opt or app.mode)
    result: ScenarioResult = replay(data, open_integration(mode, ctx), ctx)

    def human(d: dict[str, Any]) -> None:
        print_table(f"{d['scenario']} through {d['mode']}", ["#", "operation", "outcome", "detail"],
                    [(s["index"], s["op"], s["outcome"], s["detail"]) for s in d["steps"]])
        click.echo(f"{len(d['steps'])} steps replayed")

    app.emit({**result.to_json(), "mode": mode}, human)
