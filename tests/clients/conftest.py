"""Fixtures for the client tests (helpers are in `_support`)."""

from __future__ import annotations

import datetime as dt

import pytest

from bridge.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
