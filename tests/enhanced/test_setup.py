"""E1-E3, E6, E10, E11: connecting, preferences, credentials, disable and re-enable."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from bridge.domain import Credentials
from bridge.errors import NotConnected, PermissionRefused, PortalMismatch
from bridge.store import repo
from bridge.store.tables import ConnectionRow
from enhanced.integration import EnhancedIntegration
from tests.conftest import load_scenario_file
from tests.enhanced.conftest import connect, owner_of

pytestmark = pytest.mark.store


def _with(name: str, change: Any) -> dict[str, Any]:
    data = copy.deepcopy(load_scenario_file(name))
    change(data)
    return data


def test_E1_refused_when_not_books_admin_names_books(make_world: Any) -> None:
    def demote(d: dict[str, Any]) -> None:
        for u in d["books"]["users"]:
            if u.get("is_current_user"):
                u["user_role"] = "staff"
    world = make_world(_with("small-agency", demote))
    user, portal = owner_of(world.scenario)
    with pytest.raises(PermissionRefused) as exc:
        EnhancedIntegration(world.ctx).connect(Credentials(user["email"], user["zsc_key"]), portal)
    assert "Books" in exc.value.message and "Projects (" not in exc.value.message


def test_E1_refused_when_not_projects_admin_names_projects(make_world: Any) -> None:
    data = copy.deepcopy(load_scenario_file("small-agency"))
    portal = data["projects"]["portals"][0]["id"]
    employee = next(u for u in data["projects"]["users"]
                    if u["roles"].get(portal) in ("employee", "manager", "contractor"))
    employee["zsc_key"] = "employee-key-0001"
    world = make_world(data)
    with pytest.raises(PermissionRefused) as exc:
        EnhancedIntegration(world.ctx).connect(Credentials(employee["email"], employee["zsc_key"]), portal)
    assert "Projects" in exc.value.message and "Books (" not in exc.value.message


def test_E1_wrong_key_refused(make_world: Any) -> None:
    world = make_world("small-agency")
    user, portal = owner_of(world.scenario)
    with pytest.raises(PermissionRefused):
        EnhancedIntegration(world.ctx).connect(Credentials(user["email"], "not-the-key-123"), portal)


def test_E2_connect_records_shared_organization(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    conn = integ.status().connection
    org = world.scenario["books"]["organization"]
    assert conn is not None and conn.state == "connected"
    assert conn.shared == {"name": org["name"], "email": org["email"]}
    with world.ctx.store.session() as s:
        row = repo.latest_connection(s, "enhanced")
        assert row is not None and row.shared_name == org["name"] and row.shared_email == org["email"]


def test_E3_preferences_stored_and_partial_changes_keep_the_rest(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    assert integ.preferences().general_timesheets is False
    integ.set_preferences(general_timesheets=True, cutoff_date=dt.date(2025, 12, 1))
    integ.set_preferences(modules=["timesheets", "projects"])
    prefs = integ.preferences()
    assert prefs.modules == ("projects", "timesheets")  # kept in sync order
    assert prefs.general_timesheets is True and prefs.cutoff_date == dt.date(2025, 12, 1)


def test_E6_update_credentials_keeps_mappings(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    with world.ctx.store.session() as s:
        before = {k: len(repo.mappings(s, 1, k)) for k in ("project", "task", "time_entry")}
    user, _ = owner_of(world.scenario)
    integ.update_credentials(email=user["email"], key=user["zsc_key"])
    with world.ctx.store.session() as s:
        after = {k: len(repo.mappings(s, 1, k)) for k in ("project", "task", "time_entry")}
    assert before == after and before["project"] > 0
    with pytest.raises(PermissionRefused):
        integ.update_credentials(key="a-revoked-key-9999")
    integ.sync()  # the stored key still works


def test_E10_disable_refuses_sync_and_keeps_data(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    integ.disable()
    assert integ.status().badge == "Disabled"
    with pytest.raises(NotConnected):
        integ.sync()
    assert list(world.ctx.books.list_projects())  # Books keeps what was synced


def test_E11_reenable_only_with_the_same_portal(make_world: Any) -> None:
    world = make_world("small-agency")
    integ = connect(world)
    integ.disable()
    with pytest.raises(PortalMismatch) as exc:
        integ.reenable("99999999")
    assert "E11" in exc.value.message and "re-enabled only with" in exc.value.message
    _, portal = owner_of(world.scenario)
    assert integ.reenable(portal).state == "connected"
    integ.sync()


def test_E11_reenable_a_migrated_connection(make_world: Any) -> None:
    """The migrator makes an enhanced connection from a legacy one (migrated_from): it can
    only be re-enabled with the legacy portal (M6)."""
    world = make_world("small-agency")
    user, portal = owner_of(world.scenario)
    now = world.ctx.clock.now()
    with world.ctx.store.session() as s:
        legacy = repo.new_connection(s, mode="legacy", organization_id="1", portal_id=portal, email=user["email"],
                                     key=user["zsc_key"], shared_name="", shared_email="", now=now)
        legacy.state = "migrated"
        row = repo.new_connection(s, mode="enhanced", organization_id="1", portal_id=portal, email=user["email"],
                                  key=user["zsc_key"], shared_name="", shared_email="", now=now,
                                  migrated_from=legacy.id)
        row.state = "disabled"
        world.ctx.remember_key(row, user["zsc_key"])
    integ = EnhancedIntegration(world.ctx)
    with pytest.raises(PortalMismatch):
        integ.reenable("12345")
    assert integ.reenable(portal).state == "connected"
    with world.ctx.store.session() as s:
        assert s.get(ConnectionRow, row.id).migrated_from == legacy.id  # type: ignore[union-attr]
    integ.sync()
