"""Schema under version control: upgrade from empty, refuse a newer store, pytest-alembic's
four checks, on every backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_alembic.config import Config
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import create_engine, inspect, text

from bridge.errors import SchemaVersionError
from bridge.store import Store
from bridge.store.schema import ALEMBIC_DIR, current_revision, head_revision

__all__ = [
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]


@pytest.fixture
def alembic_config() -> Config:
    return Config(config_options={"script_location": str(ALEMBIC_DIR)})


@pytest.fixture
def alembic_engine(empty_store_url: str) -> Iterator[object]:
    engine = create_engine(empty_store_url)
    yield engine
    engine.dispose()



def test_opening_an_empty_database_upgrades_it_to_head(empty_store_url: str) -> None:
    store = Store.open(empty_store_url)
    try:
        assert current_revision(store.engine) == head_revision(store.engine)
        tables = set(inspect(store.engine).get_table_names())
        assert {"connections", "billed_tasks", "transactions", "migration_journal"} <= tables
    finally:
        store.close()


def test_a_newer_store_is_refused_naming_both_versions(store_url: str) -> None:
    store = Store.open(store_url)
    with store.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    store.close()
    with pytest.raises(SchemaVersionError) as info:
        Store.open(store_url)
    assert "9999_future" in info.value.message
    assert head_revision(store.engine) in info.value.message


def test_constraint_names_follow_the_naming_convention(store: Store) -> None:
    pk = inspect(store.engine).get_pk_constraint("billed_tasks")
    assert pk["name"] == "pk_billed_tasks"


def test_opening_an_older_store_upgrades_it_and_keeps_its_rows(empty_store_url: str) -> None:
    from alembic import command

    from bridge.store import make_engine
    from bridge.store.schema import alembic_config

    engine = make_engine(empty_store_url)
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as c:
        c.execute(text("INSERT INTO api_usage (service, account, day, calls) VALUES ('books', '1', '2026-01-05', 7)"))
    engine.dispose()
    store = Store.open(empty_store_url)
    try:
        assert current_revision(store.engine) == head_revision(store.engine) != "0001"
        with store.engine.connect() as c:
            assert c.execute(text("SELECT calls FROM api_usage")).scalar() == 7
    finally:
        store.close()
