"""E12/E13: when a record cannot be fetched, with a stable reason code, a reason and a fix.

The codes and fixes are the ones docs/CONTRACTS.md §4 lists. A timesheet fails first on
its project, then its task, then on its own: the time rule both modes bill by
(`bridge.billing.eligibility.TimeRule`), so a log the sync refuses is one no invoice bills.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridge.billing.eligibility import TIME_REASONS, log_date
from bridge.domain import SyncFailure


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
    # the time rule's own reasons live with the rule (bridge.billing.eligibility): one rule, one wording
    *(Reason("timesheets", code, when, fix) for code, (when, fix) in TIME_REASONS.items()),
)}


def failure(code: str, record_id: str, record_name: str, detail: str = "") -> SyncFailure:
    r = REASONS[code]
    reason = r.when + (f": {detail}" if detail else "")
    return SyncFailure(r.module, record_id, code, reason, r.fix, record_name[:200])


def upstream_failure(code: str, record_id: str, record_name: str, upstream: str,
                     upstream_code: str | None) -> SyncFailure:
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

__all__ = [
    "REASONS",
    "Reason",
    "client_currency",
    "failure",
    "log_date",
    "project_client_check",
    "upstream_failure",
]
