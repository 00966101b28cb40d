"""M5: a rollback run again after it finished (killed after its last commit, or simply run
twice) answers "already rolled back", naming the migration and when, exits 0 and changes
nothing, as `migrate run` answers "already migrated" (issue 19, point 7)."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner

from bridge.cli.main import cli
from bridge.cli.present import timestamp
from migrate.rollback import preview_rollback, rollback_migration
from migrate.run import run_migration
from tests.migrate.conftest import LegacyWorld
from tests.migrate.store_dump import dump


def _rolled_back(legacy_world: Callable[[str], LegacyWorld]) -> tuple[LegacyWorld, dict[str, object]]:
    world = legacy_world("rollback-after-sync")
    run_migration(world.ctx, batch=3, services=False)
    first = rollback_migration(world.ctx)
    assert first["already_rolled_back"] is False
    return world, first


def test_M5_a_rollback_run_again_answers_already_rolled_back_and_changes_nothing(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world, first = _rolled_back(legacy_world)
    before = dump(world.ctx.store, world.home)
    assert preview_rollback(world.ctx) is None  # nothing to ask about
    again = rollback_migration(world.ctx)
    assert again["already_rolled_back"] is True
    assert again["migration_id"] == first["migration_id"]
    assert again["rolled_back_at"] == first["rolled_back_at"]
    assert again["legacy_state"] == first["legacy_state"]
    assert again["deleted"] == {} and again["carried_back"] == [] and again["time_entries_withdrawn"] == 0
    assert dump(world.ctx.store, world.home) == before


def test_M5_the_cli_says_already_rolled_back_with_exit_0_with_or_without_yes(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world, first = _rolled_back(legacy_world)
    before = dump(world.ctx.store, world.home)
    for args in (["migrate", "rollback", "--yes"], ["migrate", "rollback"]):
        result = CliRunner().invoke(cli, args, env=world.env())
        assert result.exit_code == 0, result.output
        assert result.stdout == (f"already rolled back: migration {first['migration_id']} was rolled back at "
                                 f"{timestamp(first['rolled_back_at'])}; legacy is {first['legacy_state']}; "
                                 "nothing changed\n")
        assert result.stderr == ""  # no question, no "would:" lines
    result = CliRunner().invoke(cli, ["--json", "migrate", "rollback", "--yes"], env=world.env())
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["already_rolled_back"] is True and data["migration_id"] == first["migration_id"]
    assert dump(world.ctx.store, world.home) == before


def test_M5_a_store_never_migrated_still_has_no_migration_to_roll_back(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    world = legacy_world("rollback-after-sync")
    result = CliRunner().invoke(cli, ["migrate", "rollback", "--yes"], env=world.env())
    assert result.exit_code == 2
    assert "there is no migration to roll back" in result.stderr
