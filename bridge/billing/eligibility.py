"""Which work an invoice may bill: the one rule both modes use (L5, L8, E9, E13).

A time log may be billed (legacy: on an invoice; enhanced: synced to Books as unbilled time)
only when it is billable, approved (when the portal asks for approval), of a positive
duration of at most a day, dated no later than today, and logged by a user of the portal.
The help pages name the first two; the rest are this toolkit's rules (docs/BILLING.md).
A log broken in several ways always reports the same code: the checks run in that order.

A task may be billed when it is completed, billable and not yet billed; an expense when it
is billable, of the invoice's customer and currency, and not yet billed. What an invoice
leaves off is reported with a code and a reason (`LeftOff`), like the sync's errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bridge.domain import LeftOff

if TYPE_CHECKING:
    from bridge.clients.projects import ProjectsClient

DAY_MINUTES = 24 * 60

#: code -> (when it applies, what to do): the time rule's reasons, shared with the sync's
#: error summary (E8), which shows the same codes
TIME_REASONS: dict[str, tuple[str, str]] = {
    "timesheet_not_billable": ("bill_status is Non Billable", "mark the log billable"),
    "timesheet_not_approved": ("approval is on for the portal and the log is Pending or Rejected",
                               "approve the log"),
    "timesheet_nonpositive_duration": ("the log's duration is 0 or less", "correct the hours"),
    "timesheet_over_a_day": ("the log's duration is over 24:00", "split or correct the log"),
    "timesheet_future_date": ("the log's date is after today (the sync's clock)", "correct the date"),
    "timesheet_unknown_user": ("the log's owner is not a user of the portal", "add the user to the portal"),
}

#: what else an invoice leaves off, and why
WORK_REASONS: dict[str, str] = {
    "task_not_completed": "the task is not completed",
    "task_not_billable": "the task is not billable",
    "task_already_invoiced": "the task is invoiced already (on either side)",
    "task_no_billable_time": "the task has no billable time that passes the time rule",
    "task_rate_unknown": "neither the task nor its project has a rate: set one; no line is billed at 0",
    "timesheet_not_in_books": "the log has no unbilled time entry in Books (run a sync; or it arrived invoiced)",
    "expense_not_billable": "the expense is not billable",
    "expense_no_customer": "the invoice has no customer yet; expenses are added when it gets one",
    "expense_other_customer": "the expense is for another customer",
    "expense_other_currency": "the expense is in another currency than the invoice",
    "expense_already_invoiced": "the expense is invoiced already",
}


def minutes_of(log: Mapping[str, Any]) -> int:
    """Minutes of a Projects time log (total_minutes, else hours 'HH:MM')."""
    if log.get("total_minutes") not in (None, ""):
        return int(log["total_minutes"])
    hours = str(log.get("hours", "0:00"))
    h, _, m = hours.partition(":")
    sign = -1 if h.strip().startswith("-") else 1
    return sign * (abs(int(h or 0)) * 60 + int(m or 0))


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


@dataclass(frozen=True)
class TimeRule:
    """The portal facts the time rule needs, read once per invoice or sync."""

    approval_on: bool
    today: dt.date
    portal_users: frozenset[str]

    def refusal(self, log: Mapping[str, Any], when: dt.date | None = None,
                minutes: int | None = None) -> tuple[str, str] | None:
        """(code, detail) of the first condition the log fails, or None when it may be billed.
        `when` and `minutes`: the log's date and minutes_of(log), if the caller has them."""
        # "Billable" as written: no need to normalise it (a sync checks 200,000 logs)
        if log.get("bill_status", "Billable") != "Billable" and not is_billable(log):
            return "timesheet_not_billable", ""
        status = str(log.get("approval_status") or "Approved")
        if self.approval_on and status != "Approved":
            return "timesheet_not_approved", f"the log is {status}"
        if minutes is None:
            minutes = minutes_of(log)
        if minutes <= 0:
            return "timesheet_nonpositive_duration", f"{minutes} minutes"
        if minutes > DAY_MINUTES:
            return "timesheet_over_a_day", f"{minutes // 60}:{minutes % 60:02d} hours"
        when = when or log_date(log)
        if when > self.today:
            return "timesheet_future_date", f"dated {when.isoformat()}, today is {self.today.isoformat()}"
        if str(log.get("owner_id", "")) not in self.portal_users:
            return "timesheet_unknown_user", f"owner {log.get('owner_id')} ({log.get('owner_name', '')})"
        return None


def approval_required(portals: Iterable[Mapping[str, Any]], portal_id: str) -> bool:
    """Whether the portal asks for timesheet approval (on unless it says otherwise)."""
    for portal in portals:
        if str(portal.get("id")) == portal_id:
            return portal.get("timesheet_approval", True) not in (False, "false", 0)
    return True


def time_rule(projects: ProjectsClient, portal_id: str, today: dt.date) -> TimeRule:
    """The time rule for one portal as its service shows it now."""
    return TimeRule(approval_on=approval_required(projects.list_portals(), portal_id), today=today,
                    portal_users=frozenset(str(u["id"]) for u in projects.list_users()))


def log_left_off(log: Mapping[str, Any], code: str, detail: str = "") -> LeftOff:
    when, _fix = TIME_REASONS.get(code, (WORK_REASONS.get(code, code), ""))
    name = f"{log.get('owner_name', '')} {log.get('log_date') or log.get('date') or ''}".strip()
    return LeftOff("time_log", str(log.get("id", "")), name, code, when + (f": {detail}" if detail else ""))


def work_left_off(kind: str, record_id: str, name: str, code: str) -> LeftOff:
    return LeftOff(kind, record_id, name, code, WORK_REASONS[code])
