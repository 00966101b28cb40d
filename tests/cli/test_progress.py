"""Issue 15: long work shows its progress and its waits on stderr, never on stdout.

--progress plain prints lines a CI log keeps (counts, rate, ETA); auto shows nothing without
a terminal or with --json; -q shows nothing. A retry wait over two seconds is one line at
normal verbosity (none with -q); -vv adds the short ones. -v names the store and target.
The bar itself is checked on a real pseudo-terminal.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.cli.app import App, shown_url
from bridge.cli.progress import PlainLines, duration, per_second
from tests.cli.conftest import Run, enhanced_connected, legacy_state
from tests.conftest import REPO

FINAL = re.compile(r"^progress: transactions 7/7 \(100%\) [\d,.]+/s, done in \d+s$", re.MULTILINE)
WAIT = re.compile(r"^waiting 60 s: Books answered 429 \(per-minute rate limit\) on [A-Z]+ /books/v3/\S+; "
                  r"retry 1 of 4$", re.MULTILINE)


def test_plain_progress_is_lines_on_stderr_and_stdout_is_only_the_result(run: Run) -> None:
    legacy_state(run)
    result = run("--progress", "plain", "--json", "migrate", "run", "--no-services", "--batch", "3")
    summary = json.loads(result.stdout)  # the one JSON document, nothing else
    assert summary["state"] == "done"
    assert "progress:" not in result.stdout
    # each kind shows as it starts (before its first batch), then its final line with the rate
    assert "progress: transactions 0/7 (0%)" in result.stderr
    assert FINAL.search(result.stderr), result.stderr
    for kind, n in summary["carried"].items():
        assert f"progress: {kind} {n:,}/{n:,} (100%)" in result.stderr


def test_plain_lines_come_every_interval_with_rate_and_eta() -> None:
    now = [0.0]
    lines: list[str] = []
    plain = PlainLines(lines.append, interval=5.0, clock=lambda: now[0])
    plain.update("invoices", 0, 50_000)
    for done in range(1_000, 13_000, 1_000):  # 1,000 records a second, one report a second
        now[0] += 1.0
        plain.update("invoices", done, 50_000)
    plain.close(stopped=True)
    assert lines == [
        "progress: invoices 0/50,000 (0%)",
        "progress: invoices 5,000/50,000 (10%) 1,000/s ETA 45s",
        "progress: invoices 10,000/50,000 (20%) 1,000/s ETA 40s",
        "progress: invoices stopped at 12,000/50,000 (24%)",
    ]


def test_a_task_without_a_total_and_the_durations() -> None:
    lines: list[str] = []
    plain = PlainLines(lines.append, interval=60.0, clock=lambda: 0.0)
    plain.update("projects", 0, None)
    plain.close(stopped=False)
    assert lines == ["progress: projects started", "progress: projects 0 done in 0s"]
    assert [duration(s) for s in (0.4, 59, 61, 3725)] == ["0s", "59s", "1m01s", "1h02m"]
    assert [per_second(r) for r in (3100.4, 42.4, 4.27, 0.05)] == ["3,100/s", "42/s", "4.3/s", "0.05/s"]


@pytest.mark.parametrize("args", [(), ("--json",), ("-q", "--progress", "plain")],
                         ids=["auto-no-tty", "auto-json", "quiet"])
def test_no_progress_without_a_terminal_with_json_or_quiet(run: Run, args: tuple[str, ...]) -> None:
    legacy_state(run)
    result = run(*args, "migrate", "run", "--no-services")
    assert "progress" not in result.stderr and "\x1b[" not in result.stderr


def test_explicit_plain_progress_shows_with_json_for_verify_too(run: Run) -> None:
    legacy_state(run)
    run("migrate", "run", "--no-services")
    result = run("--json", "--progress", "plain", "migrate", "verify", "--no-services")
    assert json.loads(result.stdout)["ok"] is True
    assert "progress: verify transactions 7/7 (100%)" in result.stderr
    assert "progress: verify invariants 1/1 (100%)" in result.stderr


def test_rollback_and_compare_show_progress(run: Run) -> None:
    legacy_state(run)
    run("migrate", "run", "--no-services")
    rolled = run("--progress", "plain", "migrate", "rollback", "--yes")
    assert "progress: delete tables 7/7 (100%)" in rolled.stderr
    compared = run("--progress", "plain", "compare", "small-agency")
    assert "progress: replay legacy 0/11 (0%)" in compared.stderr
    assert "progress: replay enhanced 11/11 (100%)" in compared.stderr


def _faulty_sync(run: Run, *args: str) -> str:
    enhanced_connected(run)
    run("sandbox", "faults", "--rate", "0.1", "--kind", "429", "--seed", "3")
    result = run(*args, "enhanced", "sync")
    return result.stderr


def test_a_long_retry_wait_is_one_line_at_normal_verbosity(run: Run, slept: list[float]) -> None:
    stderr = _faulty_sync(run)
    long_waits = [s for s in slept if s > 2]
    assert long_waits, "the seed gives no Books 429: choose another"
    assert len(WAIT.findall(stderr)) == len(long_waits), stderr
    assert len(stderr.splitlines()) == len(long_waits)  # the short retries (Projects, ~1 s) stay quiet


def test_quiet_shows_no_wait(run: Run, slept: list[float]) -> None:
    assert _faulty_sync(run, "-q") == ""
    assert any(s > 2 for s in slept)


def test_vv_shows_every_retry(run: Run, slept: list[float]) -> None:
    stderr = _faulty_sync(run, "-vv")
    assert len(re.findall(r"^waiting ", stderr, re.MULTILINE)) == len(slept)
    assert re.search(r"^waiting 1\.\d s: Projects answered 429 \(rate limit\) on GET /api/v3/\S+; retry 1 of 4$",
                     stderr, re.MULTILINE), stderr


def test_verbose_names_the_store_without_its_password_and_the_target(run: Run, tmp_path: Path) -> None:
    run("db", "upgrade")
    status = run("-v", "enhanced", "status")
    home = tmp_path / "home"
    assert status.stderr.count("store: ") == 1  # once, though the command reads it several times
    assert f"store: sqlite:///{home / 'state.db'}; target: sandbox ({home / 'sandbox.db'})" in status.stderr
    assert "store:" not in run("enhanced", "status").stderr
    assert "store:" not in run("-v", "fixtures", "check", str(REPO / "fixtures/scenarios/small-agency.json")).stderr
    assert shown_url("postgresql+psycopg://bridge:s3cret@db.example/state") == \
        "postgresql+psycopg://bridge:***@db.example/state"
    live = App(db=None, mode=None, target="live", json=False, debug=False, profile="acme")
    assert live.target_shown == "live (profile acme)"


def test_the_bar_on_a_terminal(tmp_path: Path) -> None:
    """`python -m bridge migrate demo` with a pseudo-terminal as stderr: the bar draws its
    counts there (auto mode), while stdout, a pipe, gets only the result."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "120", "TERM": "xterm"}
    env.pop("BRIDGE_PROGRESS", None)
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "--home", str(tmp_path / "home"), "migrate", "demo",
                             "small-agency", "--home", str(tmp_path / "demo")],
                            stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL, env=env, cwd=REPO)
    os.close(terminal)
    drawn = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal's other end closed: the program is done with it
            break
        if not chunk:
            break
        drawn += chunk
    stdout, _ = proc.communicate(timeout=120)
    os.close(controller)
    assert proc.returncode == 0, (stdout, drawn)
    screen = drawn.decode("utf-8", "replace")
    assert re.search(r"transactions\s.*7/7", screen), screen  # counts done/total on the bar
    assert "verify transactions" in screen
    assert "\x1b[" in screen  # drawn, not printed as lines
    assert b"verification passed" in stdout and b"\x1b[" not in stdout
