"""Compare one scenario across the modes: run, collect, diff, classify (C1, C2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.compare.collect import View
from bridge.compare.declared import Declared, load_declared
from bridge.compare.diff import Comparison, diff_views
from bridge.compare.drive import DEFAULT_MODES, ModeRun, mode_runs
from bridge.progress import Progress, no_progress


@dataclass
class CompareResult:
    scenario: str
    comparison: Comparison
    views: dict[str, View]
    failures: dict[str, str | None]  # mode -> the full failure message, if it stopped early
    declared: Declared

    @property
    def ok(self) -> bool:
        return self.comparison.ok

    def to_json(self) -> dict[str, Any]:
        rules = {r.id: r.to_json() for r in self.declared.rules}
        return {
            "scenario": self.scenario, "modes": list(self.comparison.modes), "ok": self.ok,
            "failures": self.failures, "summary": self.comparison.summary(),
            "declared_version": self.declared.version,
            "declared": [{**d.to_json(), "reason": rules[str(d.declared)]["reason"],
                          "spec": rules[str(d.declared)]["spec"]} for d in self.comparison.declared],
            "undeclared": [d.to_json() for d in self.comparison.undeclared],
        }


def compare_runs(scenario: Mapping[str, Any], runs: Mapping[str, ModeRun],
                 declared: Declared | None = None) -> CompareResult:
    declared = declared or load_declared()
    views = {mode: run.view for mode, run in runs.items()}
    return CompareResult(str(scenario.get("name", "scenario")), diff_views(views, declared), views,
                         {mode: run.failure_detail for mode, run in runs.items()}, declared)


def compare_scenario(scenario: Mapping[str, Any], modes: Sequence[str] = DEFAULT_MODES,
                     declared: Declared | None = None, progress: Progress | None = None) -> CompareResult:
    """`progress` counts each mode's operations replayed (bridge.progress)."""
    with mode_runs(scenario, modes, progress=progress or no_progress) as runs:
        return compare_runs(scenario, runs, declared)
