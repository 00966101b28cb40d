"""L8 in the database: a task is billed once per connection, whatever writes the row."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bridge.billing.lines import claim_tasks, confirm_claims, release_claims
from bridge.domain import Side
from bridge.errors import AlreadyInvoiced
from bridge.store import Store
from bridge.store.repo import new_connection
from bridge.store.tables import BilledTask

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _conn(store: Store) -> int:
    with store.session() as s:
        return new_connection(s, mode="legacy", organization_id="1", portal_id="2", email="a@b.co",
                              key="", shared_name="", shared_email="", now=NOW).id


def test_L8_database_refuses_a_second_billed_mark_written_in_plain_sql(store: Store) -> None:
    cid = _conn(store)
    insert = text("INSERT INTO billed_tasks (connection_id, task_id, invoice_id, side, state, billed_at)"
                  " VALUES (:c, '900000000000000001', :inv, :side, 'billed', :at)")
    at = NOW.replace(tzinfo=None) if store.dialect == "sqlite" else NOW
    with store.engine.begin() as c:
        c.execute(insert, {"c": cid, "inv": "1", "side": "books", "at": at})
    with pytest.raises(IntegrityError), store.engine.begin() as c:
        c.execute(insert, {"c": cid, "inv": "2", "side": "projects", "at": at})


def test_L8_claims_are_all_or_nothing_and_name_the_taken_task(store: Store) -> None:
    cid = _conn(store)
    claim_tasks(store, cid, ["11", "12"], Side.BOOKS, "claim-a", NOW)
    with pytest.raises(AlreadyInvoiced, match="task 12 .invoiced from books"):
        claim_tasks(store, cid, ["13", "12"], Side.PROJECTS, "claim-b", NOW)
    with store.session() as s:
        tasks = set(s.execute(select(BilledTask.task_id)).scalars())
    assert tasks == {"11", "12"}  # task 13 was not claimed half-way


def test_released_claims_free_the_task_and_confirmed_ones_keep_the_invoice(store: Store) -> None:
    cid = _conn(store)
    claim_tasks(store, cid, ["21"], Side.BOOKS, "claim-a", NOW)
    release_claims(store, cid, "claim-a")
    claim_tasks(store, cid, ["21"], Side.PROJECTS, "claim-b", NOW)
    confirm_claims(store, cid, "claim-b", "460000000000000042")
    release_claims(store, cid, "claim-b")  # a confirmed claim is not released
    with store.session() as s:
        row = s.execute(select(BilledTask)).scalar_one()
    assert (row.invoice_id, row.side, row.state) == ("460000000000000042", "projects", "billed")


def test_L8_racing_threads_on_one_task_one_wins(store_url: str) -> None:
    store = Store.open(store_url)
    cid = _conn(store)
    rounds = 30
    for n in range(rounds):
        task = f"5{n:05d}"
        results: list[str] = []
        barrier = threading.Barrier(2)

        def attempt(side: Side, task: str, n: int, barrier: threading.Barrier, results: list[str]) -> None:
            mine = Store.open(store_url)
            barrier.wait()
            try:
                claim_tasks(mine, cid, [task], side, f"{side}-{n}", NOW)
                results.append("won")
            except AlreadyInvoiced:
                results.append("refused")
            finally:
                mine.close()

        threads = [threading.Thread(target=attempt, args=(s, task, n, barrier, results))
                   for s in (Side.BOOKS, Side.PROJECTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["refused", "won"], f"round {n}: {results}"
    with store.session() as s:
        assert len(s.execute(select(BilledTask)).scalars().all()) == rounds
    store.close()
