"""Projects API v3: every choice the client makes where the vendor's pages are silent.

`../shared/reference/PROJECTS-V3.md` tags facts [doc], [2nd], [inferred] or [gap]. Each
constant below that rests on a [2nd]/[inferred]/[gap] fact says so; docs/CONTRACTS.md
("Projects v3") lists the same choices. The sandbox imports them too, so a change here
changes both sides at once.
"""

from __future__ import annotations

from typing import Final

#: the API's root below the host [doc P0]
ROOT: Final = "/api/v3"

#: page size of every list: the documented maximum [doc P9: per_page 1-200]
PER_PAGE: Final = 200

#: end-of-list flags in `page_info` [2nd G2: has_next_page on milestones, has_more_page
#: elsewhere]; the client also stops on a short page or 204 [inferred]
HAS_NEXT_KEYS: Final = ("has_next_page", "has_more_page")

#: the time-log list's mandatory view [2nd G1]: a custom range wide enough for every log a
#: portal can hold [inferred: no page states a cap on the range]
LOG_VIEW_TYPE: Final = "customdate"
LOG_RANGE_START: Final = "2000-01-01"
LOG_RANGE_END: Final = "2099-12-31"

#: module types of a time log [doc P4 task, 2nd G1 issue/general]; the client asks for each
#: in turn, since a list names one `module` [2nd G1]
LOG_MODULES: Final = ("task", "issue", "general")
#: the module types a caller that bills tasks, or syncs without general timesheets, lists
TASK_LOGS: Final = ("task",)
WORK_LOGS: Final = ("task", "issue")

#: hours as "HH:MM" [2nd G1: "HH:MM may be required"; the doc sample prints "01.00"]
HOURS_FORMAT: Final = "HH:MM"

#: completing a task: PATCH its status to the closed one, named [2nd G1/G2: status{id};
#: inferred: a status may be named instead of its portal-specific id]
CLOSED_STATUS: Final = {"name": "Closed"}

#: bill_status values [doc P4 "Billable", 2nd G1 "Non Billable"]
BILLABLE: Final = "Billable"
NON_BILLABLE: Final = "Non Billable"

#: trashing a project [2nd G1/G2: POST .../trash]
TRASH: Final = "trash"

#: where a project's clients are read [gap: no v3 endpoint found; the path follows v3's
#: pattern and is answered by the sandbox]
PROJECT_CLIENTS: Final = "clients"
