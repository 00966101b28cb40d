"""Timesheets module (E4, E13): billable, approved logs of fetched tasks, bugs and (with the
General Timesheets switch on) general logs become Books time entries. Dated before the
cutoff, or on a task billed already (invoiced upstream, or by the legacy integration), they
arrive as time Books never bills (`is_billable` false: the create request has no
`billed_status`); the rest unbilled and billable. A general log goes on one "General" Books
task per project, made when first needed. Each entry's notes carry a `plog:<id>` marker, so
a create whose answer was lost is found again instead of made twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from functools import partial
from json import encoder as json_encoder
from typing import Any

from bridge.billing.eligibility import TimeRule, approval_required, minutes_of
from bridge.clients import projects_v3 as v3
from bridge.domain import SyncFailure
from bridge.errors import ServiceError
from bridge.store.repo import billed_task_ids, record_fingerprint
from enhanced.rules import failure, log_date, upstream_failure
from enhanced.sync import maps
from enhanced.sync.common import Counts, Finder, apply, create_once
from enhanced.sync.deps import upstream
from enhanced.sync.people import People
from enhanced.sync.state import SyncState
from enhanced.sync.tasks import project_label

GENERAL_TASK = "General"


def marker(log_id: str) -> str:
    return f"[plog:{log_id}]"


def log_types(general_timesheets: bool) -> tuple[str, ...]:
    """The v3 time-log lists a sync needs: general logs only with the switch on (E3)."""
    return v3.LOG_MODULES if general_timesheets else v3.WORK_LOGS


def time_rule(st: SyncState) -> TimeRule:
    """The rule every invoice bills by (bridge.billing.eligibility), for this portal and sync."""
    return TimeRule(approval_required(st.projects.list_portals(), st.conn.portal_id), st.today,
                    frozenset(st.portal_users()))


def billed_upstream(st: SyncState, project_id: str, billed: set[str]) -> set[str]:
    """Tasks whose time is billed already: invoiced on the Projects side (before this
    connection, or by the legacy integration) or billed under this connection (the marks a
    migration carries). Their time arrives in Books as invoiced, never as billable."""
    return billed | {str(t["id"]) for t in st.tasks_of(project_id) if t.get("invoiced")}


def run(st: SyncState, counts: Counts) -> list[SyncFailure]:
    projects = upstream(st, "projects", "project")
    tasks = upstream(st, "tasks", "task")
    bugs = upstream(st, "bugs", "bug")
    generals = st.writer.mapped("general_task")
    # a no-change re-sync needs only the fingerprints: the map (200,000 rows of three strings)
    # is read when the first log is not skipped
    unchanged = st.writer.fingerprints("time_entry")
    entries: dict[str, maps.Mapped] | None = None
    people = People(st)
    portal_users = st.portal_users()
    rule = time_rule(st)
    cutoff = st.prefs.cutoff_date
    with st.ctx.store.session() as s:
        billed = billed_task_ids(s, st.cid)
    claimed: set[str] = set()  # the Books entries mapped already, once the map is read; the Finders share it
    failures: list[SyncFailure] = []
    dates: dict[str, dt.date] = {}
    upstream_projects = st.upstream_projects()
    for n, p in enumerate(upstream_projects, start=1):
        pid = str(p["id"])
        books_pid = projects.books_id(pid)
        finder = Finder(st.writer.under(books_pid, partial(st.books.list_time_entries, project_id=books_pid)),
                        _entry_key, "time_entry_id", claimed)
        invoiced_tasks: set[str] | None = None  # read once per project, when a log needs it
        members: dict[str, str] = {}  # the project's log owners: portal user id -> Books user id
        for log in st.timelogs_of(pid, log_types(st.prefs.general_timesheets)):
            counts.fetched += 1
            lid = str(log["id"])
            when = _date_of(log, dates)  # once per log, and parsed once per day: a re-sync reads 200,000 logs
            component = str(log.get("component")
                            or ("task" if log.get("task") else "bug" if log.get("bug") else "general"))
            if component == "general" and not st.prefs.general_timesheets:
                counts.skipped += 1
                continue
            # a log on a task names its task (whose error names the project); others the project
            books_tid: str | None = None
            if component == "task":
                rid = _ref_id(log, "task")
                books_tid = tasks.books_id(rid) if books_pid is not None else None
                if books_tid is None:
                    failures.append(upstream_failure("timesheet_task_not_fetched", lid, _label(log, when),
                                                     f"task {rid}", tasks.failed.get(rid)))
                    continue
            elif books_pid is None:
                failures.append(upstream_failure("timesheet_project_not_fetched", lid, _label(log, when),
                                                 project_label(p), projects.failed.get(pid)))
                continue
            elif component == "bug":
                rid = _ref_id(log, "bug")
                books_tid = bugs.books_id(rid)
                if books_tid is None:
                    failures.append(upstream_failure("timesheet_task_not_fetched", lid, _label(log, when),
                                                     f"bug {rid}", bugs.failed.get(rid)))
                    continue
            minutes = minutes_of(log)
            own = rule.refusal(log, when, minutes)
            if own is not None:
                failures.append(failure(own[0], lid, _label(log, when), own[1]))
                continue
            assert books_pid is not None
            if books_tid is None:
                books_tid = _general_task(st, pid, books_pid, generals)
            owner_id = str(log["owner_id"])
            books_uid = members.get(owner_id)
            if books_uid is None:  # each owner settled once per project (ensure and member remember it)
                owner = portal_users[owner_id]
                books_uid, _made = people.ensure(owner)
                people.member(pid, books_pid, str(owner["id"]), books_uid)
                members[owner_id] = books_uid
            values = _entry_values(cutoff, log, lid, when, minutes)
            fp = _values_fingerprint(values, books_pid, books_tid, books_uid)
            if fp in unchanged:  # its own: the payload names the log (its marker, in the notes)
                counts.skipped += 1  # what `apply` does with an unchanged entry, without its set-up
                continue
            payload = _payload(values, books_pid, books_tid, books_uid)
            if entries is None:
                entries = st.writer.mapped("time_entry")
                claimed.update(m.books_id for m in entries.values())
            created = payload
            if component == "task" and lid not in entries:
                if invoiced_tasks is None:
                    invoiced_tasks = billed_upstream(st, pid, billed)
                if _ref_id(log, "task") in invoiced_tasks:
                    # decided once, at creation: the fingerprint stays the preference-driven
                    # payload, so a later invoice of the task makes no re-sync write (E14)
                    created = {**payload, "is_billable": False}
            apply(
                st, counts, kind="time_entry", projects_id=lid, payload=payload, mapped=entries,
                create=partial(st.writer.create_time_entry, created, marker=marker(lid)),
                update=partial(_update_entry, st, payload),
                id_field="time_entry_id", finder=finder, key=marker(lid), fingerprint=fp,
            )
        st.progress("timesheets", n, len(upstream_projects))
    return failures


def _update_entry(st: SyncState, payload: dict[str, Any], books_id: str) -> None:
    """Books refuses edits to an invoiced entry: what was billed stays as billed."""
    try:
        st.writer.update_time_entry(books_id, payload)
    except ServiceError as exc:
        if exc.status != 400 or "invoiced" not in exc.message.lower():
            raise


def _label(log: dict[str, Any], when: dt.date) -> str:
    """How a failure names a log (only a failing log needs one)."""
    return f"{log.get('owner_name', '')} {when.isoformat()}".strip()


def _date_of(log: dict[str, Any], dates: dict[str, dt.date]) -> dt.date:
    """`log_date(log)`, remembered by the text it is parsed from (logs share a few hundred days)."""
    raw = log.get("log_date") or log.get("date")
    if not isinstance(raw, str) or not raw:  # then the date is read from elsewhere
        return log_date(log)
    when = dates.get(raw)
    if when is None:
        when = dates[raw] = log_date(log)
    return when


def _ref_id(log: dict[str, Any], component: str) -> str:
    ref = log.get(component) or log.get(f"{component}_id") or {}
    return str(ref.get("id", "")) if isinstance(ref, dict) else str(ref)


def _entry_key(rec: dict[str, Any]) -> str:
    notes = str(rec.get("notes") or "")
    start = notes.rfind("[plog:")
    end = notes.find("]", start)
    return notes[start:end + 1] if start >= 0 and end > start else ""


def entry_payload(st: SyncState, log: dict[str, Any], books_pid: str, books_tid: str, books_uid: str,
                  when: dt.date | None = None) -> dict[str, Any]:
    """The Books time entry a log becomes."""
    values = _entry_values(st.prefs.cutoff_date, log, str(log["id"]), when or log_date(log), minutes_of(log))
    return _payload(values, books_pid, books_tid, books_uid)


#: what an entry takes from its log: is_billable, log_date, log_time, notes
_Values = tuple[bool, str, str, str]


def _entry_values(cutoff: dt.date | None, log: dict[str, Any], log_id: str, when: dt.date, minutes: int) -> _Values:
    # Books' create request has no billed_status (time-entries.yml): time that must never be
    # billed (dated before the cutoff, E3) arrives non-billable, the one documented way
    notes = f"{log.get('notes') or ''} {marker(log_id)}".strip()
    return cutoff is None or when >= cutoff, _iso(when), _log_time(minutes), notes


def _payload(values: _Values, books_pid: str, books_tid: str, books_uid: str) -> dict[str, Any]:
    billable, day, duration, notes = values
    return {"project_id": books_pid, "task_id": books_tid, "user_id": books_uid, "log_date": day,
            "log_time": duration, "is_billable": billable, "notes": notes}


#: entry_payload's keys, as json.dumps(sort_keys=True) orders them
_ENTRY_KEYS = frozenset({"is_billable", "log_date", "log_time", "notes", "project_id", "task_id", "user_id"})
_JSON_TEXT = json_encoder.encode_basestring_ascii


def entry_fingerprint(payload: dict[str, Any]) -> str:
    """record_fingerprint(payload), for entry_payload's payloads (six strings and a boolean)
    with their JSON text written out in key order: 2.8 us, not 4.5 (the encoder sorts the
    keys and joins 30 pieces); a re-sync fingerprints each of 200,000 logs. Any other
    payload (other keys, a value not a string) goes to record_fingerprint."""
    billable = payload.get("is_billable")
    if payload.keys() != _ENTRY_KEYS or type(billable) is not bool:
        return record_fingerprint(payload)
    values = (billable, payload["log_date"], payload["log_time"], payload["notes"])
    return _values_fingerprint(values, payload["project_id"], payload["task_id"], payload["user_id"])


def _values_fingerprint(values: _Values, books_pid: str, books_tid: str, books_uid: str) -> str:
    """entry_fingerprint(_payload(...)), without making the payload: a re-sync makes one
    only for an entry it writes."""
    billable, day, duration, notes = values
    try:
        text = (f'{{"is_billable": {"true" if billable else "false"}, "log_date": {_JSON_TEXT(day)}, '
                f'"log_time": {_JSON_TEXT(duration)}, "notes": {_JSON_TEXT(notes)}, '
                f'"project_id": {_JSON_TEXT(books_pid)}, "task_id": {_JSON_TEXT(books_tid)}, '
                f'"user_id": {_JSON_TEXT(books_uid)}}}')
    except TypeError:  # not a string: the encoder's `default` decides
        return record_fingerprint(_payload(values, books_pid, books_tid, books_uid))
    return hashlib.sha256(text.encode()).hexdigest()


@functools.lru_cache(maxsize=4096)  # logs share a few hundred days: 0.1 us a log, not 0.75
def _iso(day: dt.date) -> str:
    return day.isoformat()


@functools.lru_cache(maxsize=4096)  # and a few dozen durations: 0.1 us a log, not 1.4
def _log_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _general_task(st: SyncState, pid: str, books_pid: str, generals: dict[str, maps.Mapped]) -> str:
    current = generals.get(pid)
    if current is not None:
        return current.books_id
    body = {"task_name": GENERAL_TASK, "description": "General timesheets from Projects", "is_billable": True}
    finder = Finder(st.writer.under(books_pid, lambda: st.books.list_tasks(books_pid)), lambda r: r.get("task_name"),
                    "task_id", set())
    found = finder.take(GENERAL_TASK) if "general_task" in st.reconcile else None
    books_tid = found or create_once(lambda: st.writer.create_task(books_pid, body), "task_id", finder, GENERAL_TASK)
    fp = record_fingerprint({**body, "project": books_pid})
    st.writer.put("general_task", pid, books_tid, fp)
    generals[pid] = maps.Mapped(books_tid, fp)
    return books_tid
