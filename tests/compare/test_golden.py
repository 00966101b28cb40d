"""F2, C1, C2: every shipped scenario through legacy, enhanced, the migrator and compare,
against its golden outcomes. A new scenario file needs no new test code, only its golden:

    BRIDGE_UPDATE_GOLDEN=1 python -m pytest -q tests/compare/test_golden.py

rewrites fixtures/golden/*.json; review the diff like code.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from bridge.scenarios.fixtures import list_scenarios, load_scenario
from tests.compare.golden import GOLDEN_DIR, UPDATE_ENV, dumps, golden_path, outcomes

SCENARIOS = list_scenarios()


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_golden_outcomes_F2_C1_C2(path: Path) -> None:
    actual = dumps(outcomes(load_scenario(path)))
    golden = golden_path(path)
    if os.environ.get(UPDATE_ENV) == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.exists(), f"no golden for {path.name}: run with {UPDATE_ENV}=1 and review it"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"golden/{path.name}", "actual", n=2))
        pytest.fail(f"{path.stem} differs from its golden outcomes ({UPDATE_ENV}=1 to accept):\n{diff}")


def test_every_golden_has_its_scenario_F2() -> None:
    names = {p.name for p in SCENARIOS}
    orphans = sorted(p.name for p in GOLDEN_DIR.glob("*.json") if p.name not in names)
    assert not orphans, f"goldens without a scenario: {orphans}"


def test_goldens_are_deterministic_F2() -> None:
    """Two runs of one scenario give the same bytes: no clock, random or sandbox id leaks in."""
    scenario = load_scenario(SCENARIOS[0])
    assert dumps(outcomes(scenario)) == dumps(outcomes(scenario))
