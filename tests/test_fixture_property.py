"""F1 (issue 19): what `bpbridge fixtures check` passes, `bpbridge scenario run` runs without
an internal error, in both modes.

Mutants of the shipped scenarios (`tests/fixture_mutations.py`: values at and past every
limit, lone surrogates, long text, dropped and duplicated records, deep nesting) are checked;
each one the checker passes is seeded and replayed in-process through legacy and enhanced.
A replay may fail the scenario's own expectations (a mutant is a different scenario), but
never with an error that is not the toolkit's own, nor with the replay's last-resort
FixtureError (the checker let through what the replay cannot run).

Bounded and deterministic: `derandomize=True`, no example database, 80 examples (about 20 s
on one core; BRIDGE_FIXTURE_EXAMPLES overrides it). The long run is
`python bench/fixture_property.py`, which prints the same counts for 1,000 examples.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fixture_mutations import Mutant, Trial, mutants

EXAMPLES = int(os.environ.get("BRIDGE_FIXTURE_EXAMPLES") or 80)


def test_f1_what_the_checker_passes_replays_in_both_modes(
    tmp_path: Path, record_property: pytest.RecordProperty, capsys: pytest.CaptureFixture[str],
) -> None:
    trial = Trial(tmp_path)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutants())
    def check_then_replay(mutant: Mutant) -> None:
        trial(mutant)

    check_then_replay()
    record_property("fixture_property", trial.summary())
    with capsys.disabled():
        print(f"\nfixture property: {trial.summary()}")
    assert trial.counts["checked"] >= EXAMPLES
    # the generator must keep feeding the replay, or the property says nothing
    assert trial.counts["passed"] >= EXAMPLES // 10, trial.summary()
    assert trial.counts["refused"] >= EXAMPLES // 10, trial.summary()
