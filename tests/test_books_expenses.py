"""Books expenses, made by either mode: they carry the accounts Books requires (the
target's: a live profile, or the sandbox's seeded chart), are refused before anything is
written when none are named, and are deleted again when what must follow them fails, so an
expense is on both sides or on neither."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bridge.domain import ExpenseAccounts, Side
from bridge.errors import ConfigError
from bridge.modes import MODES, open_integration
from bridge.profile import Profile, load_profile, save_profile
from bridge.scenarios.replay import replay
from sandbox import SANDBOX_EXPENSE_ACCOUNT_ID, SANDBOX_PAID_THROUGH_ACCOUNT_ID

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


class _StoreDown(Exception):
    pass


@pytest.mark.parametrize("mode", MODES)
def test_a_books_expense_whose_record_cannot_be_kept_is_deleted_again(
        make_world: Any, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    world, integration, project = _connected(make_world, mode)
    customer = world.scenario["books"]["contacts"][0]["contact_id"]
    before = _expenses(world, project)

    def store_down(*_: Any, **__: Any) -> None:
        raise _StoreDown("the store refused the write")

    monkeypatch.setattr("bridge.store.repo.record_transaction", store_down)
    monkeypatch.setattr("legacy.expenses.record_transaction", store_down)
    with pytest.raises(_StoreDown):
        integration.record_expense(project, Decimal("19.90"), dt.date(2026, 1, 9), customer, "Courier", Side.BOOKS)
    assert _expenses(world, project) == before


def test_enhanced_deletes_the_books_expense_when_the_projects_side_refuses(
        make_world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.clients.projects import ProjectsClient
    from bridge.errors import ServiceError

    world, integration, project = _connected(make_world, "enhanced")
    before = _expenses(world, project)

    def refused(*_: Any, **__: Any) -> None:
        raise ServiceError("Projects", "POST /expenses/", "the portal is read-only", status=400)

    monkeypatch.setattr(ProjectsClient, "create_expense", refused)
    with pytest.raises(ServiceError):
        integration.record_expense(project, Decimal("19.90"), dt.date(2026, 1, 9), None, "Courier", Side.PROJECTS)
    assert _expenses(world, project) == before
