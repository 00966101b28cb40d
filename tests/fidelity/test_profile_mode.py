"""A live profile others can read (it holds the OAuth client secret and refresh token) is
refused by every command that reads it: exit 2, a message naming the file and its mode, the
fix `chmod 600 FILE`; the file is left as it is and nothing is called (issue 19, point 6).
`bpbridge doctor` still reads it, to report it (tests/fidelity/test_doctor.py)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from bridge.profile import profile_path
from tests.fidelity.live import Live

COMMANDS = [("migrate", "status"), ("enhanced", "status"), ("legacy", "status")]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604], ids=lambda m: f"{m:04o}")
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_profile_others_can_read_is_refused_and_left_untouched(
    live: Live, command: tuple[str, ...], mode: int,
) -> None:
    path = profile_path(live.profile.name)
    os.chmod(path, mode)
    content = path.read_bytes()
    calls = live.sandbox.calls()["totals"]
    result = live.bridge(*command)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert f"profile {path} is mode {mode:04o}: others can read its secrets" in result.stderr
    assert f"hint: chmod 600 {path}" in result.stderr
    assert "Traceback" not in result.output
    assert path.read_bytes() == content and stat.S_IMODE(path.stat().st_mode) == mode
    assert live.sandbox.calls()["totals"] == calls  # refused before any call

    result = live.bridge("--json", *command)
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["hint"] == f"chmod 600 {path}"


def test_the_fix_it_names_makes_the_profile_usable_again(live: Live) -> None:
    path = profile_path(live.profile.name)
    os.chmod(path, 0o644)
    assert live.bridge("enhanced", "status").exit_code == 2
    os.chmod(path, 0o600)
    assert live.bridge("db", "upgrade").exit_code == 0  # status reads a store; it never makes one
    result = live.bridge("enhanced", "status")
    assert result.exit_code == 0, result.output
