"""Safe by default (issue 15): every destructive command says what it will do and asks;
`--yes` skips the question; without a terminal and without `--yes` it refuses (exit 2, naming
--yes) and changes nothing. `migrate demo` never deletes a folder it did not make, and counts
are validated by click types.

CliRunner's stdin is not a terminal, so a plain invoke is the "CI / pipe" case; the
interactive case pretends there is one (`stdin_is_tty`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import bridge.cli.confirm as confirm_module
from bridge.cli.main import cli
from bridge.cli.migrate import DEMO_MARKER, _prepare_demo_home
from bridge.errors import InputError

pytestmark = pytest.mark.store

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
EMAIL, KEY, PORTAL = "dana@northwind.example", "5f1c2a9e8b7d4c3a9e0f6b2d1c8a7e4f", "64000001"


@pytest.fixture
def run(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`bpbridge ...` in-process on a sandbox seeded with small-agency; asserts the exit code."""
    from bridge.scenarios.fixtures import load_scenario
    from sandbox.wiring import embedded_sandbox

    monkeypatch.setenv("BRIDGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BRIDGE_DB", store_url)
    monkeypatch.setenv("BRIDGE_ZSC_KEY", KEY)
    monkeypatch.delenv("BRIDGE_MODE", raising=False)
    embedded_sandbox(tmp_path / "home").seed(load_scenario(SCENARIOS / "small-agency.json"))
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, input: str | None = None) -> Result:
        result = runner.invoke(cli, list(args), input=input)
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        return result

    return invoke


def _state(run: Any, mode: str) -> Any:
    conn = json.loads(run("--json", "--mode", mode, mode, "status").stdout)["connection"]
    return conn and conn["state"]


def _migration(run: Any) -> Any:
    return json.loads(run("--json", "migrate", "status").stdout)["migration"]


def _refused(result: Result) -> None:
    assert "--yes" in result.stderr and "nothing was changed" in result.stderr, result.stderr
    assert "Traceback" not in result.output


def _connect_legacy(run: Any) -> None:
    run("--json", "--mode", "legacy", "legacy", "connect", "--email", EMAIL, "--portal", PORTAL)
    assert _state(run, "legacy") == "connected"


@pytest.mark.parametrize("command, after", [("disconnect", "disconnected"), ("disable", "disabled")])
def test_legacy_disconnect_and_disable_refuse_without_a_tty_and_yes_does_them(run: Any, command: str,
                                                                              after: str) -> None:
    _connect_legacy(run)
    _refused(run("--mode", "legacy", "legacy", command, code=2))
    assert _state(run, "legacy") == "connected"  # nothing changed
    run("--mode", "legacy", "legacy", command, "--yes")
    assert _state(run, "legacy") == after


def _migrated(run: Any) -> None:
    _connect_legacy(run)
    run("--json", "migrate", "run", "--no-services")
    assert _migration(run)["state"] == "done"


def test_migrate_rollback_refuses_without_a_tty_then_yes_rolls_back(run: Any) -> None:
    _migrated(run)
    before = run("--json", "migrate", "status").stdout
    refused = run("migrate", "rollback", code=2)
    _refused(refused)
    # what it would do: the migration, the enhanced scope deleted, billed marks carried back
    migration_id = _migration(run)["migration_id"]
    assert str(migration_id) in refused.stderr and "enhanced integration's scope" in refused.stderr
    assert "carry" in refused.stderr and "billed" in refused.stderr
    assert run("--json", "migrate", "status").stdout == before  # nothing changed
    assert _state(run, "enhanced") is not None
    done = json.loads(run("--json", "migrate", "rollback", "--yes").stdout)
    assert done["state"] == "rolled_back" and done["migration_id"] == migration_id
    assert _migration(run)["state"] == "rolled_back"


def test_the_refusal_under_json_is_a_json_error(run: Any) -> None:
    _migrated(run)
    refused = run("--json", "migrate", "rollback", code=2)
    error = json.loads(refused.stdout)["error"]
    assert error["type"] == "ConfirmationRequired" and "--yes" in error["message"]
    assert any("carry" in line for line in error["would"])
    assert _migration(run)["state"] == "done"


def test_enhanced_disable_refuses_without_a_tty_then_yes_disables(run: Any) -> None:
    _migrated(run)
    run("enhanced", "reenable", "--portal", PORTAL)
    assert _state(run, "enhanced") == "connected"
    _refused(run("enhanced", "disable", code=2))
    assert _state(run, "enhanced") == "connected"
    run("enhanced", "disable", "--yes")
    assert _state(run, "enhanced") == "disabled"


def test_with_a_terminal_it_asks_and_no_changes_nothing(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _connect_legacy(run)
    monkeypatch.setattr(confirm_module, "stdin_is_tty", lambda: True)
    no = run("--mode", "legacy", "legacy", "disconnect", input="n\n", code=1)
    assert f"portal {PORTAL}" in no.stderr and "cancelled" in no.stderr
    assert _state(run, "legacy") == "connected"
    run("--mode", "legacy", "legacy", "disconnect", input="y\n")
    assert _state(run, "legacy") == "disconnected"


def test_batch_0_is_a_usage_error_and_migrates_nothing(run: Any) -> None:
    _connect_legacy(run)
    result = run("migrate", "run", "--batch", "0", "--no-services", code=2)
    assert "--batch" in result.stderr
    assert _migration(run) is None
    run("migrate", "verify", "--batch", "0", code=2)
    run("enhanced", "history", "--limit", "0", code=2)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`bpbridge migrate demo ...` in-process: its own store in its home (no BRIDGE_DB)."""
    monkeypatch.setenv("BRIDGE_HOME", str(tmp_path / "unused"))  # the demo sets it: restored after
    monkeypatch.delenv("BRIDGE_DB", raising=False)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(cli, ["migrate", "demo", "small-agency", *args])
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        return result

    return invoke


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_never_deletes_a_folder_it_did_not_make(demo: Any, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "notes.txt").write_text("keep me")
    (mine / "sub" / "state.db").write_bytes(b"\x00precious")
    before = _tree(mine)
    for extra in ((), ("--yes",)):  # --yes does not make a foreign folder the demo's
        result = demo("--home", str(mine), *extra, code=2)
        assert "not made by `bpbridge migrate demo`" in result.stderr
        assert _tree(mine) == before
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    demo("--home", str(a_file), "--yes", code=2)
    assert a_file.read_text() == "x"


def test_demo_marks_its_folder_and_asks_before_replacing_a_named_one(demo: Any, tmp_path: Path) -> None:
    home = tmp_path / "demo"
    demo("--home", str(home))  # absent: no question
    assert (home / DEMO_MARKER).is_file() and (home / "state.db").exists()
    (home / "left-by-user").write_text("x")
    _refused(demo("--home", str(home), code=2))
    assert (home / "left-by-user").exists()
    demo("--home", str(home), "--yes")
    assert (home / DEMO_MARKER).is_file() and not (home / "left-by-user").exists()


def test_the_default_home_is_replaced_without_asking_only_when_marked(tmp_path: Path) -> None:
    app = confirm_module.App(db=None, mode=None, target="sandbox", json=False, debug=False)
    home = tmp_path / "default"
    _prepare_demo_home(app, home, ask=False, yes=False)  # absent: made and marked
    (home / "old.db").write_text("x")
    _prepare_demo_home(app, home, ask=False, yes=False)  # its own: replaced, no question
    assert sorted(p.name for p in home.iterdir()) == [DEMO_MARKER]
    (home / DEMO_MARKER).unlink()
    (home / "user.txt").write_text("x")
    with pytest.raises(InputError):
        _prepare_demo_home(app, home, ask=False, yes=True)
    assert (home / "user.txt").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    _prepare_demo_home(app, empty, ask=True, yes=False)  # empty: nothing to lose, no question
    assert (empty / DEMO_MARKER).is_file()
