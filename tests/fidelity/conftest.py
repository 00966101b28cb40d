"""Fixtures shared by the fidelity tests: the legacy world builder of the migration tests."""

from tests.migrate.conftest import legacy_world  # noqa: F401  (a fixture, registered by import)
