from __future__ import annotations

import pytest

from bridge.compare import CompareResult, compare_scenario
from bridge.scenarios.fixtures import SCENARIOS_DIR, load_scenario

#: a shipped scenario where the two modes differ only as declared
CLEAN = "deleted-project"


@pytest.fixture(scope="module")
def clean_result() -> CompareResult:
    return compare_scenario(load_scenario(SCENARIOS_DIR / f"{CLEAN}.json"))
