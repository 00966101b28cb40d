"""A FIXTURE argument: a path to a scenario file, or the name of a shipped one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bridge.errors import InputError
from bridge.scenarios.fixtures import list_scenarios, load_scenario

fixture_argument = click.argument("fixture", metavar="FIXTURE")


def resolve_fixture(name: str) -> dict[str, Any]:
    path = Path(name)
    if not path.exists():
        shipped = {p.stem: p for p in list_scenarios()}
        if name not in shipped:
            raise InputError(f"no fixture file {name!r} and no shipped scenario of that name; "
                             f"shipped: {', '.join(sorted(shipped))}")
        path = shipped[name]
    return load_scenario(path)
