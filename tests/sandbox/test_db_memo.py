"""The sandbox file's per-connection memo of reads by key: never stale. Another connection's
commit (another process or thread on the file), a rolled-back write and an own write are
all seen by the next read."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sandbox.db import MEMO_LIMIT, Db


def _put(db: Db, name: str) -> None:
    with db.tx(write=True) as tx:
        if tx.get("books", "contacts", "1") is None:
            tx.insert("books", "contacts", "1", {"contact_name": name})
        else:
            tx.put("books", "contacts", "1", {"contact_name": name})


def _name(db: Db) -> str | None:
    with db.tx() as tx:
        body = tx.get("books", "contacts", "1")
    return None if body is None else str(body["contact_name"])


def test_another_connections_commit_is_seen(tmp_path: Path) -> None:
    here, there = Db(tmp_path / "s.db"), Db(tmp_path / "s.db")  # as two processes would
    _put(here, "Before")
    assert _name(here) == "Before" and _name(there) == "Before"  # both memos hold it now
    _put(there, "After")
    assert _name(here) == "After"
    with there.tx(write=True) as tx:
        tx.set_meta("limits", {"enabled": True})
    assert here.read_meta("limits") == {"enabled": True}
    with there.tx(write=True) as tx:
        tx.delete("books", "contacts", "1")
    assert _name(here) is None


def test_another_threads_commit_is_seen(tmp_path: Path) -> None:
    db = Db(tmp_path / "s.db")
    _put(db, "Before")
    assert _name(db) == "Before"
    worker = threading.Thread(target=_put, args=(db, "From a thread"))  # its own connection
    worker.start()
    worker.join()
    assert _name(db) == "From a thread"


def test_a_rolled_back_write_is_not_remembered(tmp_path: Path) -> None:
    db = Db(tmp_path / "s.db")
    _put(db, "Kept")
    with pytest.raises(RuntimeError), db.tx(write=True) as tx:
        tx.set_meta("id_counter", 42)
        tx.put("books", "contacts", "1", {"contact_name": "Rolled back"})
        assert tx.get("books", "contacts", "1") == {"contact_name": "Rolled back"}
        raise RuntimeError("refused")
    assert _name(db) == "Kept"
    assert db.read_meta("id_counter") is None


def test_the_memo_is_bounded(tmp_path: Path) -> None:
    db = Db(tmp_path / "s.db")
    with db.tx() as tx:
        for n in range(MEMO_LIMIT + 10):
            tx.get("books", "contacts", str(n))
        assert len(tx.memo) <= MEMO_LIMIT
