"""`bpbridge compare FIXTURE`: run a scenario through both modes and diff what users see (C1, C2)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click

from bridge.cli.app import App
from bridge.cli.fixture_arg import fixture_argument, resolve_fixture
from bridge.cli.interrupts import resumable
from bridge.cli.progress import progress_for
from bridge.compare import compare_scenario
from bridge.compare.report_html import write_html
from bridge.compare.report_table import print_table
from bridge.errors import CheckFailed

#: each mode runs on a fresh sandbox and store in a temporary folder, deleted as it stops
_NOTHING_KEPT = "the comparison stopped; it ran in temporary folders, so nothing was kept"


@click.command()
@fixture_argument
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report here.")
@click.pass_obj
def compare(app: App, fixture: str, html_path: Path | None) -> None:
    """Run FIXTURE (a scenario file or a shipped scenario's name) through legacy and enhanced,
    each on a fresh embedded sandbox, and diff what a user sees on both services.

    Differences declared in fixtures/declared-differences.json are listed with their reasons;
    any other difference fails the comparison (exit 1).

    Example: `bpbridge compare small-agency --html report.html`
    """
    app.refuse_live("compare")
    scenario = resolve_fixture(fixture)
    with resumable(app, f"compare {shlex.quote(fixture)}", saved=lambda: _NOTHING_KEPT), \
            progress_for(app, "replay ") as progress:
        result = compare_scenario(scenario, progress=progress)
    if html_path is not None:
        write_html(result, html_path)

    def human(_: Any) -> None:
        print_table(result)
        if html_path is not None:
            click.echo(f"HTML report: {html_path}")

    app.emit(result.to_json(), human)
    if not result.ok:
        raise CheckFailed(f"{result.scenario}: {len(result.comparison.undeclared)} undeclared difference(s) "
                          f"between {' and '.join(result.comparison.modes)}",
                          hint="declare a difference the generations are meant to have in "
                               "fixtures/declared-differences.json, with its reason and SPEC ids")
