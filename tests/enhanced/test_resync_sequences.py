"""E14 under random sequences: upstream edits to synced time logs, and syncs, in random
order. After every sync each synced log's Books entry says what the log says now, and the
sync wrote exactly the entries whose log changed since the last sync: a re-sync that tells
an unchanged log by its fingerprint alone must neither skip a changed log (stale time,
billed wrong later) nor rewrite an unchanged one."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import select

from bridge.store.tables import IdMap
from tests.enhanced.conftest import Control, books_writes, connect

pytestmark = pytest.mark.store

WORDS = ("review", "call", "fix", "design", "", "notes [plog:1900000000002]", "é ü \"quoted\"")


def _unbilled_entries(world: Any) -> dict[str, str]:
    """Synced logs (log id -> Books entry id) whose entry Books still lets the sync edit."""
    with world.ctx.store.session() as s:
        rows = s.execute(select(IdMap.projects_id, IdMap.books_id).where(IdMap.kind == "time_entry")).all()
    return {str(lid): str(bid) for lid, bid in rows
            if world.ctx.books.get_time_entry(str(bid)).get("billed_status") == "unbilled"}


def _log_facts(world: Any, log_id: str) -> tuple[str, str, str]:
    """What the Books entry must carry of the log now: notes with the marker, HH:MM, date."""
    log = world.sandbox.record("projects", "timelogs", log_id)
    minutes = int(log["minutes"])
    notes = f"{log.get('notes') or ''} [plog:{log_id}]".strip()
    return notes, f"{minutes // 60:02d}:{minutes % 60:02d}", str(log["date"])[:10]


def _entry_facts(world: Any, entry_id: str) -> tuple[str, str, str]:
    e = world.ctx.books.get_time_entry(entry_id)
    return str(e["notes"]), str(e["log_time"]), str(e["log_date"])


@pytest.mark.parametrize("seed", range(4))
def test_E14_random_edits_and_syncs_keep_every_entry_current_and_write_only_changes(
        make_world: Any, seed: int) -> None:
    rnd = random.Random(seed)
    world = make_world("small-agency")
    integ = connect(world)
    integ.sync()
    entries = _unbilled_entries(world)
    assert len(entries) >= 4, "the scenario must give the sequence logs to edit"
    today = world.ctx.clock.now().date()
    control = Control(world.sandbox)
    synced = {lid: _log_facts(world, lid) for lid in entries}
    for _ in range(8):
        for _ in range(rnd.randint(0, 3)):  # some rounds edit nothing: the re-sync must write nothing
            lid = rnd.choice(sorted(entries))
            field = rnd.choice(("notes", "minutes", "date"))
            value: Any = {"notes": lambda: rnd.choice(WORDS),
                          "minutes": lambda: rnd.choice((15, 60, 90, 240, 480, 600)),
                          "date": lambda: (today - dt.timedelta(days=rnd.randint(1, 40))).isoformat()}[field]()
            control.patch("projects", "timelogs", lid, {field: value})
        now = {lid: _log_facts(world, lid) for lid in entries}
        changed = {lid for lid in entries if now[lid] != synced[lid]}
        before = books_writes(control.calls())
        report = integ.sync()
        assert books_writes(control.calls()) - before == len(changed)
        assert report.counts["timesheets"]["updated"] == len(changed)
        assert {lid: _entry_facts(world, bid) for lid, bid in entries.items()} == now
        synced = now
