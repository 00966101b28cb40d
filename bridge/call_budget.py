"""Call-budget arithmetic, nothing more: a tally of API calls per service (`CallBudget`),
the calls needed to list N records (`pages`), and how long a tally takes under a Books
plan's documented limits (calls a minute, calls a day). The limits are the ones the
clients pace by (`bridge.clients.limits`), so a plan and a run cannot disagree about them.

It decides nothing about which calls a piece of work makes: `migrate plan` (migrate/plan.py)
and `enhanced sync --plan` (enhanced/plan.py) each fill a tally, and this says how long it
takes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bridge.clients.limits import books_limits, projects_limits

PAGE = 200


def pages(records: int, per_page: int = PAGE, empty_page_ends: bool = False) -> int:
    """Calls to list `records`: both services say on the last page that none follows
    (`empty_page_ends`: a service that needs one more call for an empty page after a full one)."""
    full, rest = divmod(records, per_page)
    calls = full + (1 if rest else 0)
    if empty_page_ends and rest == 0:
        calls += 1
    return max(calls, 1)


@dataclass
class CallBudget:
    """Calls per service, and per service and what they do (`detail`)."""

    books: int = 0
    projects: int = 0
    detail: dict[str, int] = field(default_factory=dict)

    def add(self, service: str, what: str, calls: int) -> None:
        setattr(self, service, getattr(self, service) + calls)
        self.detail[f"{service}:{what}"] = self.detail.get(f"{service}:{what}", 0) + calls

    def describe(self, plan: str = "premium") -> dict[str, object]:
        books, projects = books_limits(plan), projects_limits()
        cap = books.daily or 0
        per_minute = books.per_window * 60 / books.window_seconds
        books_minutes = self.books / per_minute
        days = math.ceil(self.books / cap) if self.books and cap else 0
        projects_minutes = self.projects * projects.window_seconds / 60 / projects.per_window
        return {
            "plan": plan,
            "books_calls": self.books,
            "projects_calls": self.projects,
            "books_days_at_cap": days,
            "books_minutes_at_rate": round(books_minutes, 1),
            "projects_minutes_at_rate": round(projects_minutes, 1),
            "summary": (f"{self.books:,} Books calls: {days} day(s) at {cap:,} a day "
                        f"({books_minutes:.0f} min at {per_minute:.0f}/min); "
                        f"{self.projects:,} Projects calls: {projects_minutes:.0f} min at "
                        f"{projects.per_window} per {projects.window_seconds / 60:.0f} min"),
            "detail": dict(sorted(self.detail.items())),
        }
