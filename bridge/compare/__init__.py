"""`bpbridge compare`: one scenario through every mode, what a user sees diffed (C1), and the
differences the generations are meant to have kept apart from the rest (C2)."""

from bridge.compare.declared import Declared, load_declared
from bridge.compare.diff import Comparison, Difference, diff_views
from bridge.compare.drive import ModeRun, mode_runs
from bridge.compare.result import CompareResult, compare_runs, compare_scenario

__all__ = [
    "CompareResult", "Comparison", "Declared", "Difference", "ModeRun", "compare_runs", "compare_scenario",
    "diff_views", "load_declared", "mode_runs",
]
