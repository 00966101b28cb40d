"""Legacy worlds: a shipped scenario seeded into a sandbox, and the legacy integration on it,
built through `bridge.modes` as any driver would (S2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bridge.modes import open_integration
from tests.legacy.legacy_support import Legacy


@pytest.fixture
def legacy_world(make_world: Callable[..., Any]) -> Callable[..., Legacy]:
    def make(scenario: str | dict[str, Any], *, connect: bool = True, **kwargs: Any) -> Legacy:
        world = make_world(scenario, **kwargs)
        lg = Legacy(world, open_integration("legacy", world.ctx))
        if connect:
            lg.integration.connect(lg.owner, lg.portal_id)
        return lg

    return make
