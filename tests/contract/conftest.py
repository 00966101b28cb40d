"""The captured Books traffic, once per test process (replays take a few seconds)."""

from __future__ import annotations

import pytest

from .spec import MISSING
from .traffic import Traffic, capture


@pytest.fixture(scope="session")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Traffic:
    if MISSING:
        pytest.skip(MISSING)
    return capture(tmp_path_factory.mktemp("contract-traffic"))
