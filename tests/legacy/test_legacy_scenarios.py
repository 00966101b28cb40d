"""Every shipped scenario replays through legacy mode behind the shared interface (S1):
each operation succeeds, or fails with exactly the error it expects (L8's AlreadyInvoiced,
L2's refusals, E11/M6's PortalMismatch...)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.scenarios.driver import run_scenario
from tests.legacy.legacy_support import Legacy

pytestmark = pytest.mark.store

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "scenarios").glob("*.json"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_S1_every_fixture_replays_through_legacy(legacy_world, path):
    lg: Legacy = legacy_world(str(path), connect=False)
    result = run_scenario(lg.scenario, lg.integration, lg.projects())
    assert all(step.outcome in ("ok", "refused", "not_applicable") for step in result.steps), [
        (s.index, s.op, s.outcome, s.detail) for s in result.steps]
    # L8: no task is on two invoices
    from sqlalchemy import func, select

    from bridge.store.tables import InvoiceLineRow

    with lg.ctx.store.session() as s:
        twice = s.execute(select(InvoiceLineRow.task_id).where(InvoiceLineRow.task_id.is_not(None))
                          .group_by(InvoiceLineRow.task_id).having(func.count() > 1)).scalars().all()
    assert twice == []
