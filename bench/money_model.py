"""The money model's long run (issue 13): many more sequences than the suite's bounded run.

    python bench/money_model.py [--examples 500] [--steps 50] [--first-bug-only]

Runs the state machine of `tests/model/test_money_model.py` (same rules, same invariants,
derandomized) with `--examples` sequences of up to `--steps` steps, reporting every
distinct failure Hypothesis finds, each shrunk (unless --first-bug-only). Prints how many
sequences and steps ran (generation and shrinking runs included), how long it took, and
what the operations answered (ok, or the error that refused them). Exit 1 if an invariant
broke. `BRIDGE_MODEL_EXAMPLES` / `BRIDGE_MODEL_STEPS` give the defaults;
`BRIDGE_MODEL_SKIP=name,...` leaves named invariants out (to look past a known failure).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=int(os.environ.get("BRIDGE_MODEL_EXAMPLES") or 500))
    parser.add_argument("--steps", type=int, default=int(os.environ.get("BRIDGE_MODEL_STEPS") or 50))
    parser.add_argument("--first-bug-only", action="store_true",
                        help="stop at the first failure (and shrink only it)")
    parser.add_argument("--outcomes", action="store_true", help="print what each operation answered")
    args = parser.parse_args()

    from hypothesis.stateful import run_state_machine_as_test

    from tests.model import oracle
    from tests.model import test_money_model as model

    model.reset_stats()
    started = time.monotonic()
    failed: BaseException | None = None
    try:
        run_state_machine_as_test(model.MoneyModel, settings=model.model_settings(  # type: ignore[no-untyped-call]
            args.examples, args.steps, all_bugs=not args.first_bug_only))
    except BaseException as exc:  # noqa: BLE001 - reported below, with the figures
        failed = exc
    seconds = time.monotonic() - started
    stats = model.STATS
    if failed is not None:
        traceback.print_exception(failed)
    skipped = sorted(oracle.skipped())
    print(f"money model long run: max_examples={args.examples}, stateful_step_count={args.steps}"
          + (f", invariants skipped: {', '.join(skipped)}" if skipped else ""))
    print(f"  {stats['sequences']} sequences, {stats['steps']} steps in {seconds:.1f}s "
          f"({stats['steps'] / seconds:.0f} steps/s; sequences include Hypothesis' shrinking runs)")
    if args.outcomes:
        for outcome, n in sorted(stats["outcomes"].items()):
            print(f"  {n:7d}  {outcome}")
    if failed is None:
        print("  result: every invariant held")
        return 0
    found = failed.exceptions if isinstance(failed, BaseExceptionGroup) else (failed,)
    print(f"  result: {len(found)} distinct failure(s): "
          + ", ".join(getattr(e, "invariant", type(e).__name__) for e in found))
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
