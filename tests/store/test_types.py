"""Types round-trip the same on SQLite and PostgreSQL: Decimal money with a fixed scale,
UTC-aware timestamps, ids as strings, non-ASCII text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.store import Store
from bridge.store.repo import new_connection
from bridge.store.tables import InvoiceLineRow, TransactionRow

NOW = dt.datetime(2026, 3, 1, 23, 59, 59, 123456, tzinfo=dt.UTC)


def _conn(store: Store) -> int:
    with store.session() as s:
        row = new_connection(s, mode="legacy", organization_id="460000000000123456",
                             portal_id="700000000000000001", email="ops@example.com", key="k" * 12,
                             shared_name="Ünïcødé Ltd", shared_email="a@b.co", now=NOW)
        return row.id


@pytest.mark.parametrize("amount", ["0.00", "0.01", "99999999999999999.99", "-12.50"])
def test_money_round_trips_exactly(store: Store, amount: str) -> None:
    cid = _conn(store)
    with store.session() as s:
        s.add(TransactionRow(connection_id=cid, kind="invoice", books_id="460000000000000001",
                             project_id="1", customer_id=None, currency="EUR", total=Decimal(amount),
                             status="sent", origin="books", number="INV-€-1", created_at=NOW))
    with store.session() as s:
        row = s.execute(select(TransactionRow)).scalar_one()
    assert isinstance(row.total, Decimal)
    assert row.total == Decimal(amount)
    assert row.number == "INV-€-1"
    assert row.books_id == "460000000000000001"  # an 18-digit id stays a string


def test_half_cent_is_rounded_by_the_fixed_scale_not_floated(store: Store) -> None:
    cid = _conn(store)
    with store.session() as s:
        s.add(InvoiceLineRow(connection_id=cid, invoice_id="1", line_no=1, description="Ärger 工作",
                             quantity=Decimal("1.3333"), rate=Decimal("0.0050"), amount=Decimal("0.01")))
    with store.session() as s:
        line = s.execute(select(InvoiceLineRow)).scalar_one()
    assert line.rate == Decimal("0.0050")
    assert line.quantity == Decimal("1.3333")
    assert line.description == "Ärger 工作"


def test_timestamps_come_back_aware_in_utc(store: Store) -> None:
    cid = _conn(store)
    with store.session() as s:
        from bridge.store.tables import ConnectionRow
        row = s.get(ConnectionRow, cid)
        assert row is not None
    with store.session() as s:
        again = s.get(ConnectionRow, cid)
        assert again is not None
        assert again.connected_at == NOW
        assert again.connected_at.tzinfo is not None
        assert again.connected_at.utcoffset() == dt.timedelta(0)
        assert again.shared_name == "Ünïcødé Ltd"


def test_a_naive_timestamp_is_refused(store: Store) -> None:
    with pytest.raises(Exception, match="timezone-aware"), store.session() as s:
        new_connection(s, mode="legacy", organization_id="1", portal_id="2", email="x@y.z",
                       key="", shared_name="", shared_email="", now=dt.datetime(2026, 1, 1))
