"""L1-L3, L10 and disable/re-enable on the small-agency fixture."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bridge.domain import Credentials, Role
from bridge.errors import NotConnected, PermissionRefused, PortalMismatch
from bridge.store.tables import ConnectionRow
from tests.legacy.legacy_support import credentials

pytestmark = pytest.mark.store

DANA, SAM, PRIYA = "1200000000001", "1200000000002", "1200000000004"
OWNED, ADMIN_ONLY = "64000001", "64000002"


def test_L1_wrong_key_is_refused_clearly(legacy_world):
    lg = legacy_world("small-agency", connect=False)
    wrong = Credentials("dana@northwind.example", "0000000000000000deadbeefdeadbeef")
    with pytest.raises(PermissionRefused) as err:
        lg.integration.connect(wrong, OWNED)
    assert "ZSC key" in err.value.message and "refused" in err.value.message
    assert wrong.zsc_key not in err.value.message and wrong.zsc_key not in (err.value.hint or "")
    assert lg.integration.status().connection is None


def test_L1_the_key_identifies_the_user(legacy_world):
    lg = legacy_world("small-agency", connect=False)
    # Priya's key lists Priya's portals, whatever email is typed next to it.
    portals = lg.integration.portals(credentials(lg.scenario, PRIYA))
    assert [p.portal_id for p in portals] == [ADMIN_ONLY]


def test_L2_portals_lists_only_owned_ones(legacy_world):
    lg = legacy_world("small-agency", connect=False)
    portals = lg.integration.portals(credentials(lg.scenario, DANA))
    assert [(p.portal_id, p.role) for p in portals] == [(OWNED, Role.OWNER)]
    assert lg.integration.portals(credentials(lg.scenario, SAM)) == []


def test_L2_connecting_a_portal_not_owned_is_refused(legacy_world):
    lg = legacy_world("small-agency", connect=False)
    with pytest.raises(PermissionRefused) as err:
        lg.integration.connect(credentials(lg.scenario, DANA), ADMIN_ONLY)
    assert "owner" in err.value.message and ADMIN_ONLY in err.value.message
    with pytest.raises(PermissionRefused, match="owner"):
        lg.integration.connect(credentials(lg.scenario, SAM), OWNED)
    assert lg.integration.status().connection is None


def test_L3_status_shows_the_portal_and_disconnect_drops_it(legacy_world):
    lg = legacy_world("small-agency")
    st = lg.integration.status()
    assert st.mode == "legacy" and st.badge == "Active"
    assert st.connection.portal_id == OWNED and st.connection.state == "connected"
    lg.integration.disconnect()
    assert lg.integration.status().connection.state == "disconnected"
    with pytest.raises(NotConnected):
        lg.integration.sync()
    # the key is forgotten with the connection
    assert lg.owner.zsc_key not in lg.ctx.secrets.values()


def test_L10_the_organization_name_and_email_shared_are_recorded(legacy_world):
    lg = legacy_world("small-agency")
    org = lg.scenario["books"]["organization"]
    conn = lg.integration.status().connection
    assert conn.shared == {"name": org["name"], "email": org["email"]}
    with lg.ctx.store.session() as s:
        row = s.execute(select(ConnectionRow)).scalar_one()
        assert (row.mode, row.shared_name, row.shared_email) == ("legacy", org["name"], org["email"])


def test_L1_the_key_is_kept_out_of_the_store(legacy_world):
    lg = legacy_world("small-agency")
    with lg.ctx.store.session() as s:
        row = s.execute(select(ConnectionRow)).scalar_one()
        stored = " ".join(str(getattr(row, c.key)) for c in ConnectionRow.__table__.columns)
    assert lg.owner.zsc_key not in stored
    assert lg.owner.zsc_key in lg.ctx.secrets.values()


def test_disable_keeps_data_and_reenable_only_with_the_same_portal(legacy_world):
    lg = legacy_world("small-agency")
    lg.integration.sync()
    before = lg.integration.transactions("1600000000001")
    lg.integration.disable()
    assert lg.integration.status().connection.state == "disabled"
    with pytest.raises(NotConnected):
        lg.integration.create_invoice("1600000000001", "2317000000040001")
    assert lg.integration.transactions("1600000000001") == before
    with pytest.raises(PortalMismatch) as err:
        lg.integration.reenable(ADMIN_ONLY)
    assert "only with the portal connected before" in err.value.message
    assert lg.integration.reenable(OWNED).state == "connected"


def test_reconnecting_the_same_portal_keeps_one_connection(legacy_world):
    lg = legacy_world("small-agency")
    lg.integration.disconnect()
    lg.integration.connect(lg.owner, OWNED)
    with lg.ctx.store.session() as s:
        assert len(s.execute(select(ConnectionRow)).scalars().all()) == 1
