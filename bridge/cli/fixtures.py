"""`bpbridge fixtures`: check scenario files against the schema and their cross-references (F1)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bridge.cli.app import App
from bridge.errors import FixtureError
from bridge.scenarios.fixtures import check_files, list_scenarios


@click.group()
def fixtures() -> None:
    """Scenario fixtures: both services' data plus the operations to replay.

    Example: `bpbridge fixtures check`
    """


@fixtures.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {file, ok, path, rule}.")
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Validate scenario files (default: the shipped ones); a directory means its scenarios.

    Prints one line per file, "ok FILE" or the file, JSON path and rule it breaks.
    Exit 0 when every file is good, 2 when any is not.

    Example: `bpbridge fixtures check fixtures/scenarios/my-case.json`
    """
    files = _expand(paths) if paths else list_scenarios()
    report = check_files(files)
    if as_json or (isinstance(ctx.obj, App) and ctx.obj.json):
        ok = all(entry["ok"] for entry in report)
        click.echo(json.dumps({"ok": ok, "files": report}, indent=2))
    else:
        for entry in report:
            line = f"ok {entry['file']}" if entry["ok"] else \
                f"FAIL {entry['file']}: {entry['path']}: {entry['rule']}"
            click.echo(line)
    if not all(entry["ok"] for entry in report):
        ctx.exit(FixtureError.exit_code)


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        out.extend(list_scenarios(path) if path.is_dir() else [path])
    return out
