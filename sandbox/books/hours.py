"""The hours a Books project, its tasks and its users answer, summed from its time entries.

projects.yml and tasks.yml document `total_hours`, `billed_hours`, `un_billed_hours`,
`billable_hours`, `non_billable_hours` (projects) and `log_time`, `billed_hours`,
`un_billed_hours` (tasks), all "HH:MM". They are never stored: each answer sums the entries
in SQL, so an entry logged, billed or released shows at once. Billed and unbilled count
billable entries only (a non-billable entry is neither) [guess: the documents do not say].
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sandbox.db import Body, Tx
from sandbox.formats import hhmm

_SERVICE = "books"
# "HH:MM" -> minutes, in SQL (log_time is stored as the sandbox normalised it: HH:MM)
_MINUTES = ("CAST(substr(lt, 1, instr(lt, ':') - 1) AS INTEGER) * 60 "
            "+ CAST(substr(lt, instr(lt, ':') + 1) AS INTEGER)")


@dataclass
class Hours:
    """Minutes of one project, task or user, by billing state."""

    billed: int = 0
    unbilled: int = 0
    non_billable: int = 0

    def add(self, minutes: int, billable: bool, invoiced: bool) -> None:
        if not billable:
            self.non_billable += minutes
        elif invoiced:
            self.billed += minutes
        else:
            self.unbilled += minutes

    @property
    def total(self) -> int:
        return self.billed + self.unbilled + self.non_billable

    def project_fields(self) -> Body:
        return {"total_hours": hhmm(self.total), "billable_hours": hhmm(self.billed + self.unbilled),
                "billed_hours": hhmm(self.billed), "un_billed_hours": hhmm(self.unbilled),
                "non_billable_hours": hhmm(self.non_billable)}

    def task_fields(self) -> Body:
        return {"log_time": hhmm(self.total), "billed_hours": hhmm(self.billed),
                "un_billed_hours": hhmm(self.unbilled)}

    def user_fields(self) -> Body:
        return {"total_hours": hhmm(self.total), "billed_hours": hhmm(self.billed),
                "un_billed_hours": hhmm(self.unbilled)}


@dataclass
class ProjectHours:
    """One project's hours: in all, per task and per user."""

    all: Hours
    tasks: dict[str, Hours]
    users: dict[str, Hours]


def hours_of(tx: Tx, project_ids: Iterable[str]) -> dict[str, ProjectHours]:
    """Each project's hours in one query (a page of projects costs one, not one per project)."""
    ids = list(dict.fromkeys(project_ids))
    out = {pid: ProjectHours(Hours(), defaultdict(Hours), defaultdict(Hours)) for pid in ids}
    if not ids:
        return out
    marks = ",".join("?" for _ in ids)
    rows = tx.conn.execute(
        f"SELECT parent, task, user, billable, status, sum({_MINUTES}) FROM ("
        "SELECT d.parent AS parent, json_extract(d.body, '$.task_id') AS task, "
        "json_extract(d.body, '$.user_id') AS user, json_extract(d.body, '$.is_billable') AS billable, "
        "json_extract(d.body, '$.billed_status') AS status, json_extract(d.body, '$.log_time') AS lt "
        f"FROM docs d WHERE d.service=? AND d.kind='time_entries' AND d.parent IN ({marks})) "
        "GROUP BY parent, task, user, billable, status",
        (_SERVICE, *ids)).fetchall()
    for parent, task, user, billable, status, minutes in rows:
        project = out[parent]
        invoiced = status == "invoiced"
        for bucket in (project.all, project.tasks[str(task)], project.users[str(user)]):
            bucket.add(int(minutes or 0), bool(billable), invoiced)
    return out
