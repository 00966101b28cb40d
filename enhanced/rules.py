"""E12/E13: when a record cannot be fetched, with a stable reason code, a reason and a fix.

The codes and fixes are the ones docs/CONTRACTS.md §4 lists. Timesheet conditions are
checked in a fixed order, so a log broken in several ways always reports the same code:
its project, its task, then billable, approved, duration (positive, at most a day), date
(not after the sync's today) and owner (a user of the portal). The help pages name only
"billable and approved"; the rest are this toolkit's rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridge.billing import minutes_of

DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Reason:
    module: str
    code: str
    when: str
    fix: str


REASONS: dict[str, Reason] = {r.code: r for r in (
    Reason("projects", "project_no_primary_client", "the project has no client",
           "associate a primary client with the project in Projects"),
    Reason("projects", "project_client_currency_mismatch",
           "a Books contact with the primary client's name exists in another currency",
           "change the currency of the client (or the Books contact) so they match"),
    Reason("tasks", "task_project_not_fetched", "the task's project could not be fetched",
           "fix the project's error (see its entry); the task follows at the next sync"),
    Reason("timesheets", "timesheet_project_not_fetched", "the log's project could not be fetched",
           "fix the project's error"),
    Reason("timesheets", "timesheet_task_not_fetched", "the log's task could not be fetched",
           "fix the task's error"),
    Reason("timesheets", "timesheet_not_billable", "bill_status is Non Billable", "mark the log billable"),
    Reason("timesheets", "timesheet_not_approved",
           "approval is on for the portal and the log is Pending or Rejected", "approve the log"),
    Reason("timesheets", "timesheet_nonpositive_duration", "the log's duration is 0 or less",
           "correct the hours"),
    Reason("timesheets", "timesheet_over_a_day", "the log's duration is over 24:00",
           "split or correct the log"),
    Reason("timesheets", "timesheet_future_date", "the log's date is after today (the sync's clock)",
           "correct the date"),
    Reason("timesheets", "timesheet_unknown_user", "the log's owner is not a user of the portal",
           "add the user to the portal"),
)}


@dataclass(frozen=True)
class Failure:
    """One record that could not be fetched in one run."""

    module: str
    record_id: str
    record_name: str
    reason_code: str
    reason: str
    fix: str


def failure(code: str, record_id: str, record_name: str, detail: str = "") -> Failure:
    r = REASONS[code]
    reason = r.when + (f": {detail}" if detail else "")
    return Failure(r.module, record_id, record_name[:200], code, reason, r.fix)


def upstream_failure(code: str, record_id: str, record_name: str, upstream: str,
                     upstream_code: str | None) -> Failure:
    """A dependent that fails because `upstream` failed: the reason names the upstream error."""
    detail = f"{upstream} failed with {upstream_code}" if upstream_code else f"{upstream} was not synced"
    return failure(code, record_id, record_name, detail)


# --- E12 ---------------------------------------------------------------------------------

def project_client_check(
    project: Mapping[str, Any], primary: Mapping[str, Any] | None, books_currency: str | None
) -> str | None:
    """The E12 code a project fails with, or None. `books_currency`: the currency of a Books
    contact with the primary client's name, if one exists."""
    if primary is None:
        return "project_no_primary_client"
    if books_currency is not None and books_currency != client_currency(primary):
        return "project_client_currency_mismatch"
    return None


def client_currency(client: Mapping[str, Any]) -> str:
    return str(client.get("currency_code") or "")


# --- E13 ---------------------------------------------------------------------------------

def log_date(log: Mapping[str, Any]) -> dt.date:
    """A Projects log's date: `log_date` (MM-DD-YYYY, or ISO), else `log_date_long` (epoch ms)."""
    raw = log.get("log_date") or log.get("date")
    if isinstance(raw, str) and raw:
        if len(raw) == 10 and raw[2] == "-" and raw[5] == "-":
            month, day, year = raw[:2], raw[3:5], raw[6:]
            if month.isdigit() and day.isdigit() and year.isdigit():
                # by hand: strptime costs more than the rest of a log's checks together
                return dt.date(int(year), int(month), int(day))
            return dt.datetime.strptime(raw, "%m-%d-%Y").date()  # raises, naming the format
        return dt.date.fromisoformat(raw[:10])
    ms = int(log.get("log_date_long") or 0)
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()


def is_billable(log: Mapping[str, Any]) -> bool:
    return str(log.get("bill_status", "Billable")).replace(" ", "").lower() == "billable"


def timesheet_own_check(
    log: Mapping[str, Any], *, approval_on: bool, today: dt.date, portal_users: set[str],
    when: dt.date | None = None,
) -> tuple[str, str] | None:
    """The log's own E13 failure (code, detail), or None. Dependencies are checked by the caller.
    `when`: the log's date, if the caller has it already."""
    if not is_billable(log):
        return "timesheet_not_billable", ""
    status = str(log.get("approval_status") or "Approved")
    if approval_on and status != "Approved":
        return "timesheet_not_approved", f"the log is {status}"
    minutes = minutes_of(log)
    if minutes <= 0:
        return "timesheet_nonpositive_duration", f"{minutes} minutes"
    if minutes > DAY_MINUTES:
        return "timesheet_over_a_day", f"{minutes // 60}:{minutes % 60:02d} hours"
    when = when or log_date(log)
    if when > today:
        return "timesheet_future_date", f"dated {when.isoformat()}, today is {today.isoformat()}"
    if str(log.get("owner_id", "")) not in portal_users:
        return "timesheet_unknown_user", f"owner {log.get('owner_id')} ({log.get('owner_name', '')})"
    return None
