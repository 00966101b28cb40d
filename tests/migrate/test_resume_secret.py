"""M5/M6: a run stopped between committing its start and storing the enhanced connection's
key (the secrets file could not be written) is resumed with the key in place, so the
migrated integration re-enables (issue 19, point 5)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from bridge.cli.main import cli
from bridge.secrets import FileSecrets, connection_key_name
from bridge.store.repo import key_fingerprint
from bridge.store.tables import ConnectionRow
from migrate.run import find_migration, run_migration
from migrate.verify import verify_migration
from tests.migrate.conftest import LegacyWorld


def _fail_the_next_enhanced_key_write(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The next write of an enhanced connection's key raises, as an unwritable secrets lock does."""
    failed: list[str] = []
    put = FileSecrets.put

    def put_once(self: FileSecrets, name: str, value: str) -> None:
        if name.startswith("enhanced:") and not failed:
            failed.append(name)
            raise PermissionError(13, "Permission denied", str(self.path) + ".lock")
        put(self, name, value)

    monkeypatch.setattr(FileSecrets, "put", put_once)
    return failed


def test_M5_a_run_stopped_before_storing_the_enhanced_key_resumes_with_it_and_reenables(
    legacy_world: Callable[[str], LegacyWorld], monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = legacy_world("small-agency")
    failed = _fail_the_next_enhanced_key_write(monkeypatch)
    with pytest.raises(PermissionError):
        run_migration(world.ctx, batch=3, services=False)
    assert failed, "the forced failure did not happen: the test no longer covers the window"
    legacy, run = find_migration(world.ctx)
    assert run is not None and run.state == "running" and run.target_connection_id is not None
    assert world.ctx.secrets.get(connection_key_name("enhanced", run.target_connection_id)) is None

    summary = run_migration(world.ctx, batch=3, services=False)
    assert summary.state == "done" and summary.resumed
    assert verify_migration(world.ctx, services=False).ok
    assert (world.ctx.secrets.get(connection_key_name("enhanced", run.target_connection_id))
            == world.ctx.secrets.get(connection_key_name("legacy", legacy.id)))

    result = CliRunner().invoke(cli, ["enhanced", "reenable", "--portal", legacy.portal_id], env=world.env())
    assert result.exit_code == 0, result.output
    assert f"re-enabled with portal {legacy.portal_id}" in result.stdout


def test_M5_a_finished_run_missing_the_enhanced_key_gets_it_back_when_run_again(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    """A store migrated by a version with the gap: `migrate run` again puts the key back
    (and changes nothing else); a key the user has set since (with its fingerprint, as
    `enhanced credentials` sets both) is never overwritten."""
    world = legacy_world("small-agency")
    first = run_migration(world.ctx, batch=3, services=False)
    assert first.target_connection is not None
    name = connection_key_name("enhanced", first.target_connection)
    world.ctx.secrets.delete(name)
    again = run_migration(world.ctx, batch=3, services=False)
    assert again.already_done and world.ctx.secrets.get(name)
    world.ctx.secrets.put(name, "a-key-set-since")
    with world.ctx.store.session() as s:
        s.execute(update(ConnectionRow).where(ConnectionRow.id == first.target_connection)
                  .values(key_fingerprint=key_fingerprint("a-key-set-since")))
    run_migration(world.ctx, batch=3, services=False)
    assert world.ctx.secrets.get(name) == "a-key-set-since"


def test_M6_verify_names_a_target_whose_key_is_not_stored(legacy_world: Callable[[str], LegacyWorld]) -> None:
    """What the gap left behind is a difference, not a pass: re-enabling would fail."""
    world = legacy_world("small-agency")
    summary = run_migration(world.ctx, batch=3, services=False)
    assert summary.target_connection is not None
    world.ctx.secrets.delete(connection_key_name("enhanced", summary.target_connection))
    report = verify_migration(world.ctx, services=False)
    assert not report.ok
    assert [(d.kind, d.field, d.actual) for d in report.differences] == [
        ("connection", "key", "no key stored")]


def test_M5_a_key_left_under_the_targets_id_by_an_earlier_connection_is_replaced(
    legacy_world: Callable[[str], LegacyWorld],
) -> None:
    """A key of an earlier connection with the id the target gets (a rollback killed before
    this version deleted keys before its last commit; SQLite reuses a deleted last id) is
    not the target's: its fingerprint differs, so the run stores the legacy key over it."""
    world = legacy_world("small-agency")
    for n in range(2, 6):
        world.ctx.secrets.put(connection_key_name("enhanced", n), "an-earlier-connections-key")
    summary = run_migration(world.ctx, batch=3, services=False)
    legacy, _ = find_migration(world.ctx)
    assert summary.target_connection is not None
    assert (world.ctx.secrets.get(connection_key_name("enhanced", summary.target_connection))
            == world.ctx.secrets.get(connection_key_name("legacy", legacy.id)))
    assert verify_migration(world.ctx, services=False).ok
