"""Fault injection for the kill tests (tests/migrate/killing.py, bench/kill_harness.py):
SIGKILL this process at the Nth step a run or a rollback passes. Never set in normal use.

A step is a point where a kill leaves a state of its own: right after a commit, or inside a
transaction before it commits. Records converted mid-batch have their own switch
(`migrate.run.KILL_ENV`)."""

from __future__ import annotations

import os
import signal

STEP_ENV = "BRIDGE_FAULT_KILL_AT_STEP"


class Steps:
    """Counts the steps one command passes and kills the process at the one STEP_ENV names."""

    def __init__(self) -> None:
        self.kill_at = int(os.environ.get(STEP_ENV, "0") or 0)
        self.passed = 0

    def step(self) -> None:
        self.passed += 1
        if self.kill_at and self.passed == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
