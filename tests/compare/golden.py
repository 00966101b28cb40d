"""Golden outcomes of a scenario (F2): each mode's user-visible state, the migration of the
legacy world, and the comparison. Stored as fixtures/golden/<scenario>.json, written with
sorted keys, indent 2 and a trailing newline so that a regenerated file diffs cleanly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bridge.compare import compare_runs, mode_runs
from bridge.compare.drive import ModeRun
from bridge.errors import BridgeError
from bridge.scenarios.fixtures import FIXTURES_DIR
from migrate.afterwards import run_afterwards
from migrate.run import run_migration
from migrate.verify import verify_migration

GOLDEN_DIR = FIXTURES_DIR / "golden"
UPDATE_ENV = "BRIDGE_UPDATE_GOLDEN"
MIGRATION_SOURCE = "legacy"  # the migrator's input is the legacy integration (M1)


def golden_path(scenario: Path) -> Path:
    return GOLDEN_DIR / scenario.name


def outcomes(scenario: dict[str, Any]) -> dict[str, Any]:
    with mode_runs(scenario) as runs:
        result = compare_runs(scenario, runs)
        return {
            "scenario": scenario["name"],
            "modes": result.views,
            "migration": migration(runs[MIGRATION_SOURCE], scenario),
            "compare": result.comparison.summary(),
        }


def migration(run: ModeRun, scenario: dict[str, Any]) -> dict[str, Any]:
    """Carried and left-out counts, and the verification; no run ids, timings or rates; then
    what the scenario's `after_migration` operations did (across a rollback, M5 and L8)."""
    try:
        summary = run_migration(run.ctx)
        report = verify_migration(run.ctx)
    except BridgeError as exc:  # a migrator that refuses the scenario is an outcome too
        return {"error": type(exc).__name__, "message": exc.message}
    after = run_afterwards(scenario, run.ctx) if scenario.get("after_migration") else None
    return {
        **({"afterwards": after} if after is not None else {}),
        "state": summary.state, "carried": summary.carried, "left_out": summary.left_out,
        "verification": {"ok": report.ok, "difference_count": report.difference_count,
                         "differences": [str(d) for d in report.differences],
                         "invariants": report.invariants, "services_ok": report.services.get("ok")},
    }


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
