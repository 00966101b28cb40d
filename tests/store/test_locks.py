"""M5's one-migration-at-a-time lock: across processes on both backends, the holder named,
a dead holder taken over."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from bridge.errors import LockHeld
from bridge.store import Store
from bridge.store.locks import NamedLock, current_holder

HOLD = """
import sys, time
from bridge.store import Store
from bridge.store.locks import NamedLock
lock = NamedLock(Store.open(sys.argv[1]), "migration").acquire()
print("held", flush=True)
time.sleep(60)
"""


def _hold_in_child(url: str) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


def test_M5_second_holder_from_another_process_is_refused_naming_the_holder(store_url: str) -> None:
    child = _hold_in_child(store_url)
    try:
        store = Store.open(store_url)
        with pytest.raises(LockHeld) as info:
            NamedLock(store, "migration").acquire()
        assert f"pid {child.pid}" in info.value.message
        assert socket.gethostname() in info.value.message
        assert "since" in info.value.message
        store.close()
    finally:
        child.kill()
        child.wait()


def test_M5_a_lock_whose_holder_was_killed_is_taken_over(store_url: str) -> None:
    child = _hold_in_child(store_url)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    time.sleep(0.2)  # let PostgreSQL notice the dropped session
    store = Store.open(store_url)
    lock = NamedLock(store, "migration").acquire()
    holder = current_holder(store, "migration")
    assert holder is not None and holder.holder_pid == os.getpid()
    lock.release()
    assert current_holder(store, "migration") is None
    store.close()


def test_lock_is_reentrant_for_nobody_in_the_same_process(store: Store) -> None:
    with NamedLock(store, "migration"), pytest.raises(LockHeld):
        NamedLock(store, "migration").acquire()
    NamedLock(store, "migration").acquire().release()
