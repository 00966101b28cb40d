"""Issue 15: a Ctrl-C exits 130 saying what was kept and the command that resumes; status then
says "interrupted", never "running", and an interrupted sync marks no module it never reached
as failed. The Ctrl-C is a KeyboardInterrupt raised from inside the work, as SIGINT raises it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from typing import Any

import pytest

from bridge.domain import Module
from bridge.store import Store, default_url
from bridge.store.tables import LockRow
from tests.cli.conftest import Run, enhanced_connected, legacy_state, raise_after

RESUME = "resume with: bpbridge migrate run"


def _interrupt_migration_after_first_batch(run: Run, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    from bridge.store.locks import NamedLock

    with monkeypatch.context() as m:
        # the lock's heartbeat follows each committed batch: a Ctrl-C just after the first
        m.setattr(NamedLock, "heartbeat", raise_after(1)(NamedLock.heartbeat))
        return run(*args, "migrate", "run", "--no-services", "--batch", "2", code=130)


def test_ctrl_c_in_migrate_run_exits_130_and_status_says_interrupted(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    legacy_state(run)
    stopped = _interrupt_migration_after_first_batch(run, monkeypatch)
    assert stopped.stdout == ""
    assert stopped.stderr.startswith("interrupted: migration "), stopped.stderr
    assert "stopped after 2 of 26 records (committed batches are kept); " + RESUME in stopped.stderr
    assert "Aborted" not in stopped.output and "Traceback" not in stopped.output

    status = json.loads(run("--json", "migrate", "status").stdout)["migration"]
    assert status["state"] == "interrupted"
    assert (status["resume"], status["records_done"], status["records_total"]) == ("bpbridge migrate run", 2, 26)
    human = run("migrate", "status").stdout
    assert "interrupted after 2 of 26 records" in human and RESUME in human and "running" not in human

    done = json.loads(run("--json", "migrate", "run", "--no-services").stdout)  # it goes on from there
    assert done["resumed"] is True and done["state"] == "done"
    assert json.loads(run("--json", "migrate", "status").stdout)["migration"]["state"] == "done"
    assert json.loads(run("--json", "migrate", "verify", "--no-services").stdout)["ok"] is True


def test_with_json_the_interrupt_is_one_json_object_on_stdout(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    legacy_state(run)
    stopped = _interrupt_migration_after_first_batch(run, monkeypatch, "--json")
    error = json.loads(stopped.stdout)["error"]
    assert error["type"] == "Interrupted" and error["exit_code"] == 130
    assert error["resume"] == "bpbridge migrate run"
    assert "stopped after 2 of 26 records" in error["message"]
    assert RESUME in stopped.stderr


def test_the_resume_command_repeats_the_root_options_given(run: Run, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Any) -> None:
    legacy_state(run)
    home = tmp_path / "home"
    stopped = _interrupt_migration_after_first_batch(run, monkeypatch, "--home", str(home))
    assert f"resume with: bpbridge --home {home} migrate run" in stopped.stderr


def test_a_killed_run_shows_interrupted_once_its_process_is_gone(run: Run, tmp_path: Any) -> None:
    """A SIGKILL records nothing: the run stays `running` and the lock row names a dead pid."""
    legacy_state(run)
    run("migrate", "run", "--no-services")
    store = Store.open(default_url(tmp_path / "home"))
    try:
        from sqlalchemy import update

        from bridge.store.tables import MigrationRun

        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout.strip()
        with store.session() as s:
            s.execute(update(MigrationRun).values(state="running"))
            s.add(LockRow(name="migration", holder_host=socket.gethostname(), holder_pid=int(gone), token="t",
                          acquired_at=_now(), heartbeat_at=_now()))
        assert json.loads(run("--json", "migrate", "status").stdout)["migration"]["state"] == "interrupted"
        with store.session() as s:  # a live holder: it is running
            s.execute(update(LockRow).values(holder_pid=_this_pid()))
        assert json.loads(run("--json", "migrate", "status").stdout)["migration"]["state"] == "running"
    finally:
        store.close()


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def _this_pid() -> int:
    import os

    return os.getpid()


def _modules(run: Run) -> dict[str, str]:
    return {m["module"]: m["state"] for m in json.loads(run("--json", "enhanced", "status").stdout)["modules"]}


def _stop_in_tasks(st: Any, counts: Any) -> Any:
    st.progress("tasks", 0, 3)
    raise KeyboardInterrupt


def test_ctrl_c_in_enhanced_sync_marks_only_the_stopped_module(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from enhanced.sync import engine

    enhanced_connected(run)
    with monkeypatch.context() as m:
        m.setitem(engine.MODULES, Module.TASKS, _stop_in_tasks)
        stopped = run("--progress", "plain", "enhanced", "sync", code=130)
    assert "progress: tasks stopped at 0/3 (0%)" in stopped.stderr
    assert "interrupted: the sync stopped in the tasks module" in stopped.stderr
    assert stopped.stderr.rstrip().endswith("resume with: bpbridge enhanced sync")
    states = _modules(run)
    assert states == {"projects": "synced", "users": "synced", "tasks": "interrupted",
                      "bugs": "never", "timesheets": "never", "user_rates": "never"}
    assert "Sync in Progress" not in run("enhanced", "status").stdout

    run("enhanced", "sync")  # a whole sync: every module has a state of its own now
    before = _modules(run)
    assert "interrupted" not in before.values()
    with monkeypatch.context() as m:
        m.setitem(engine.MODULES, Module.TASKS, _stop_in_tasks)
        run("--json", "enhanced", "sync", code=130)
    after = _modules(run)
    assert after["tasks"] == "interrupted"
    assert {k: v for k, v in after.items() if k != "tasks"} == {k: v for k, v in before.items() if k != "tasks"}
    history = json.loads(run("--json", "enhanced", "history").stdout)
    assert next(r["status"] for r in history["runs"] if r["module"] == "tasks") == "interrupted"


def test_ctrl_c_outside_long_work_or_at_a_prompt_exits_130(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    import bridge.cli.confirm as confirm_module

    legacy_state(run)
    run("migrate", "run", "--no-services")

    def ctrl_c_at_the_prompt(*args: Any, **kwargs: Any) -> bool:
        try:  # as click.confirm answers a Ctrl-C
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise click.Abort() from None

    monkeypatch.setattr(confirm_module, "stdin_is_tty", lambda: True)
    monkeypatch.setattr(click, "confirm", ctrl_c_at_the_prompt)
    asked = run("migrate", "rollback", code=130)
    assert "Aborted" not in asked.output
    assert asked.stderr.rstrip().endswith("interrupted: `bpbridge migrate` stopped before it finished")
    assert json.loads(run("--json", "migrate", "status").stdout)["migration"]["state"] == "done"

    def ctrl_c(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("bridge.cli.migrate.find_migration", ctrl_c)
    anywhere = run("--json", "migrate", "status", code=130)
    assert json.loads(anywhere.stdout)["error"] == {
        "type": "Interrupted", "message": "`bpbridge migrate` stopped before it finished", "resume": None,
        "exit_code": 130}


def test_a_db_url_with_a_password_resumes_through_bridge_db_not_a_masked_url() -> None:
    import click
    from click.core import ParameterSource

    from bridge.cli.interrupts import resume_command
    from bridge.cli.main import cli

    hidden = ('bpbridge --db "$BRIDGE_DB" migrate run'
              "  # with BRIDGE_DB set to the --db URL given (its password is not printed)")
    plain = "postgresql+psycopg://ops@db.example/bridge"
    for url, want in [
        ("postgresql+psycopg://ops:s3cret@db.example/bridge", hidden),
        (plain, f"bpbridge --db {plain} migrate run"),
    ]:
        root = click.Context(cli, info_name="bpbridge")
        root.params["db"] = url
        root.set_parameter_source("db", ParameterSource.COMMANDLINE)
        with root:
            said = resume_command("migrate run")
        assert said == want and "s3cret" not in said and "***" not in said


def test_a_db_path_resumes_as_given() -> None:
    import click
    from click.core import ParameterSource

    from bridge.cli.interrupts import resume_command
    from bridge.cli.main import cli

    root = click.Context(cli, info_name="bpbridge")
    root.params["db"] = "/srv/bridge/state db.sqlite"
    root.set_parameter_source("db", ParameterSource.COMMANDLINE)
    with root:
        assert resume_command("migrate run") == "bpbridge --db '/srv/bridge/state db.sqlite' migrate run"
