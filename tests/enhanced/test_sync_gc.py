"""The sync's raised collector thresholds are the process's: syncs on several threads (a
fleet worker) share them, and the last one to end puts them back."""

from __future__ import annotations

import gc

from enhanced.sync.engine import SYNC_GC_THRESHOLD, rare_collections


def test_syncs_on_threads_put_the_collector_back_whatever_order_they_end_in() -> None:
    before = gc.get_threshold()
    first, second = rare_collections(), rare_collections()
    first.__enter__()
    second.__enter__()
    assert gc.get_threshold()[0] >= SYNC_GC_THRESHOLD
    first.__exit__(None, None, None)  # the first to start ends first: the second still runs
    assert gc.get_threshold()[0] >= SYNC_GC_THRESHOLD
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
