"""The fixture property's long run (issue 19): many more mutants than the suite's bounded run.

    python bench/fixture_property.py [--examples 1000] [--first-bug-only]

Draws mutated scenarios (`tests/fixture_mutations.py`), checks each as `bpbridge fixtures
check` does, and replays every one the checker passes through both modes as `bpbridge
scenario run` does, in-process. The property: a file the checker passes never ends a replay
in an internal error (or in the replay's own last-resort FixtureError, which means the
checker let through something the replay cannot run). Prints how many mutants were checked,
refused and replayed, how each replay ended, and how long it took; every distinct failure,
each shrunk (unless --first-bug-only stops at the first). Exit 1 on a failure.
`BRIDGE_FIXTURE_EXAMPLES` gives the default number of examples. The suite's run of the same
property is tests/test_fixture_property.py (80 examples).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int,
                        default=int(os.environ.get("BRIDGE_FIXTURE_EXAMPLES") or 1000))
    parser.add_argument("--first-bug-only", action="store_true",
                        help="stop at the first failure (and shrink only it)")
    args = parser.parse_args()

    from hypothesis import HealthCheck, given, settings

    from tests.fixture_mutations import Mutant, Trial, mutants

    failed: BaseException | None = None
    with tempfile.TemporaryDirectory() as folder:
        trial = Trial(Path(folder))

        @settings(max_examples=args.examples, deadline=None, database=None, derandomize=False,
                  report_multiple_bugs=not args.first_bug_only,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(mutants())
        def prop(mutant: Mutant) -> None:
            trial(mutant)

        started = time.monotonic()
        try:
            prop()
        except BaseException as exc:  # noqa: BLE001 - reported below, with the figures
            failed = exc
        seconds = time.monotonic() - started
    if failed is not None:
        traceback.print_exception(failed)
    counts = trial.counts
    print(f"fixture property long run: max_examples={args.examples}")
    print(f"  {counts['checked']} mutants checked in {seconds:.1f}s: {counts['refused']} refused, "
          f"{counts['passed']} passed and replayed in both modes (counts include shrinking runs)")
    for outcome, n in sorted(counts.items()):
        if ":" in outcome:
            print(f"  {n:6d}  {outcome}")
    if failed is None:
        print("  result: every file the checker passed replayed without an internal error")
        return 0
    found = failed.exceptions if isinstance(failed, BaseExceptionGroup) else (failed,)
    print(f"  result: {len(found)} distinct failure(s)")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
