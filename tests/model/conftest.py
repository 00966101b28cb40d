"""Prints how many sequences and steps the money model ran, after the test summary.

Without xdist this conftest is loaded and prints the line; an xdist controller does not load
a conftest below its initial paths, so there the test module sends the line as a warning.
"""

from __future__ import annotations

import pytest

_LINES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _LINES.extend(str(v) for k, v in report.user_properties if k == "money_model")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _LINES:
        terminalreporter.write_line(line)
