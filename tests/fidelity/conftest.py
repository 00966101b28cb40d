"""Fixtures shared by the fidelity tests: the migration tests' legacy world builder, and a
served sandbox with a live profile pointing at it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fidelity.live import Live, make_live
from tests.migrate.conftest import legacy_world  # noqa: F401  (a fixture, registered by import)


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """A served sandbox (small-agency) and a live profile `live` whose base_url points at it."""
    yield from make_live(tmp_path, monkeypatch)
