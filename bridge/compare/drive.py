"""Run one scenario through each mode on its own fresh sandbox and store, and collect what a
user then sees (C1). The same code drives every mode: it only knows mode names.

A mode that cannot finish the scenario is a result, not a crash: the run stops at the
failing step (as `bpbridge scenario run` does), the failure is recorded in the view's `run`
section, and what the services show at that point is still collected.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bridge.clock import FakeClock
from bridge.compare.collect import View, collect_books, collect_projects, seeded_names
from bridge.context import Context
from bridge.errors import BridgeError
from bridge.modes import MODES, open_integration
from bridge.progress import Progress, no_progress
from bridge.scenarios.driver import ScenarioFailed, ScenarioResult, Step
from bridge.scenarios.replay import Seedable, acting_user, replay, seed_sandbox, upstream_client
from bridge.store import Store
from bridge.targets import sandbox_wiring, scenario_clock

DEFAULT_MODES: tuple[str, ...] = tuple(MODES)


class SandboxWorld(Seedable, Protocol):
    """What the comparison needs of a sandbox: seed it, close it (the golden tests go on with
    the legacy one's world through its Context)."""

    def close(self) -> None: ...


@dataclass
class ModeRun:
    """One mode's world after the scenario: its sandbox and Context stay open for callers
    that look further (the golden tests migrate the legacy one)."""

    mode: str
    sandbox: SandboxWorld
    ctx: Context
    result: ScenarioResult
    failure: str | None = None  # short and id-free: it is part of the compared view
    failure_detail: str | None = None  # the full message, for people
    view: View = field(default_factory=dict)


def run_mode(scenario: Mapping[str, Any], mode: str, folder: Path, progress: Progress = no_progress) -> ModeRun:
    """`progress` counts the scenario's operations replayed, the task named after the mode."""
    clock = FakeClock(scenario_clock(dict(scenario)))  # same start in every mode: ids and dates repeat
    wiring = sandbox_wiring()  # the comparison runs on the sandbox by design (C1): reached by name
    sandbox: SandboxWorld = wiring.embedded_sandbox(folder, clock, name=f"{mode}-sandbox.db")
    seed_sandbox(sandbox, scenario)
    ctx: Context = wiring.sandbox_context(sandbox, Store.open(f"sqlite:///{folder / f'{mode}-state.db'}"),
                                          clock=clock)
    run = ModeRun(mode, sandbox, ctx, ScenarioResult(scenario.get("name", "scenario")))
    try:
        steps = len(scenario.get("operations", []))
        progress(mode, 0, steps)
        run.result = replay(scenario, open_integration(mode, ctx), ctx,
                            on_step=lambda step: progress(mode, step.index + 1, steps))
    except ScenarioFailed as exc:
        run.result, run.failure_detail = exc.result, exc.message
        run.failure = f"step {exc.step.index} ({exc.step.op}): {_error_class(exc.step)}"
    except BridgeError as exc:
        run.failure, run.failure_detail = f"replay: {type(exc).__name__}", exc.message
    run.view = view_of(scenario, run)
    return run


def view_of(scenario: Mapping[str, Any], run: ModeRun) -> View:
    names = seeded_names(scenario)
    view: View = {"run": {"failure": run.failure, "steps": _steps(run.result.steps)}}
    try:
        view["books"] = collect_books(run.ctx.books, names)
        _, portal = acting_user(scenario)
        projects = [p["id"] for p in scenario["projects"]["projects"] if p["portal_id"] == portal]
        view["projects"] = collect_projects(upstream_client(run.ctx, scenario), projects, names)
    except BridgeError as exc:  # the services refused to show it: that is what the user sees
        view["run"]["collect_failure"] = type(exc).__name__
        run.failure_detail = (run.failure_detail or "") + f" collect: {exc.message}"
    view["integration"] = {"sync_errors": _sync_errors(run.result)}
    return view


@contextmanager
def mode_runs(scenario: Mapping[str, Any], modes: Sequence[str] = DEFAULT_MODES,
              folder: Path | None = None, progress: Progress = no_progress) -> Iterator[dict[str, ModeRun]]:
    """Each mode run on its own sandbox and store in a temporary folder, closed on exit."""
    with ExitStack() as stack:
        where = folder or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bridge-compare-")))
        runs: dict[str, ModeRun] = {}
        for mode in modes:
            run = run_mode(scenario, mode, where, progress)
            stack.callback(run.sandbox.close)
            stack.callback(run.ctx.store.close)
            runs[mode] = run
        yield runs


def _steps(steps: list[Step]) -> dict[str, str]:
    """'<index, 2 digits> <op>' -> outcome, with the error class of a refusal or a failure."""
    return {f"{s.index:02d} {s.op}": s.outcome + (f": {_error_class(s)}" if s.outcome in ("refused", "error") else "")
            for s in steps}


def _error_class(step: Step) -> str:
    return step.detail.split(":", 1)[0]


def _sync_errors(result: ScenarioResult) -> list[str]:
    """The last sync's errors as '<module> <reason_code> <record>' lines (E8, E12, E13)."""
    logged = {v: k for k, v in result.timelogs.items()}  # a log the scenario made: its scenario id
    lines = []
    for e in result.sync_errors():
        rid = str(e.get("record_id", ""))
        lines.append(f"{e.get('module')} {e.get('reason_code')} {logged.get(rid, rid)}")
    return sorted(lines)
