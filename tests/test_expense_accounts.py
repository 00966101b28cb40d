"""Books requires account_id and paid_through_account_id on every expense: both modes send
the ones the target names (a live profile, or the sandbox's seeded chart of accounts), and
refuse before writing anything when none are named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bridge.domain import ExpenseAccounts, Side
from bridge.errors import ConfigError
from bridge.modes import MODES, open_integration
from bridge.profile import Profile, load_profile, save_profile
from bridge.replay import replay
from bridge.sandbox import SANDBOX_EXPENSE_ACCOUNT_ID, SANDBOX_PAID_THROUGH_ACCOUNT_ID

pytestmark = pytest.mark.store


def _connected(make_world: Any, mode: str) -> tuple[Any, Any, str]:
    world = make_world("small-agency")
    integration = open_integration(mode, world.ctx)
    replay({**world.scenario, "operations": world.scenario["operations"][:2]}, integration, world.ctx)
    project = world.scenario["projects"]["projects"][0]["id"]
    return world, integration, project


def _expenses(world: Any, project: str) -> tuple[list[Any], list[Any]]:
    from bridge.store import repo

    with world.ctx.store.session() as s:
        row = next(r for r in (repo.latest_connection(s, m) for m in MODES) if r is not None)
    return list(world.ctx.books.list_expenses()), list(world.ctx.projects_of(row).list_expenses(project))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("side", [Side.BOOKS, Side.PROJECTS])
def test_every_books_expense_carries_the_targets_accounts(make_world: Any, mode: str, side: Side) -> None:
    world, integration, project = _connected(make_world, mode)
    customer = world.scenario["books"]["contacts"][0]["contact_id"]
    integration.record_expense(project, Decimal("19.90"), dt.date(2026, 1, 9), customer, "Courier", side)
    books, _ = _expenses(world, project)
    assert books and all(e["account_id"] == SANDBOX_EXPENSE_ACCOUNT_ID and
                         e["paid_through_account_id"] == SANDBOX_PAID_THROUGH_ACCOUNT_ID for e in books)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("side", [Side.BOOKS, Side.PROJECTS])
def test_no_accounts_named_refuses_before_either_side_is_written(make_world: Any, mode: str, side: Side) -> None:
    world, integration, project = _connected(make_world, mode)
    customer = world.scenario["books"]["contacts"][0]["contact_id"]
    before = _expenses(world, project)
    world.ctx.expense_accounts = None
    with pytest.raises(ConfigError, match="expense account") as info:
        integration.record_expense(project, Decimal("19.90"), dt.date(2026, 1, 9), customer, "Courier", side)
    assert "expense_account_id" in (info.value.hint or "")
    assert _expenses(world, project) == before


def test_a_profile_names_the_accounts_from_its_file_or_the_environment(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_CONFIG_DIR", str(tmp_path))
    save_profile(Profile(name="p", client_id="c", client_secret="s", refresh_token="r"))
    assert load_profile("p").expense_accounts() is None
    save_profile(Profile(name="p", client_id="c", client_secret="s", refresh_token="r",
                         expense_account_id="11", paid_through_account_id="22"))
    assert load_profile("p").expense_accounts() == ExpenseAccounts("11", "22")
    monkeypatch.setenv("BRIDGE_LIVE_PAID_THROUGH_ACCOUNT_ID", "33")
    assert load_profile("p").expense_accounts() == ExpenseAccounts("11", "33")
