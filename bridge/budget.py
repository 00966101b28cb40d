"""Call budgets: how many API calls a piece of work needs, and how long that takes under
a plan's documented limits (Books: 100 a minute and a daily cap per plan; Projects: 100
per 2 minutes). Shared by `migrate plan` and the enhanced sync's plan mode."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

DAILY_CAP = {"free": 1000, "standard": 2000, "professional": 5000, "premium": 10000}
BOOKS_PER_MINUTE = 100
PROJECTS_PER_TWO_MINUTES = 100
PAGE = 200


def pages(records: int, per_page: int = PAGE, empty_page_ends: bool = False) -> int:
    """Calls to list `records`: Books stops on has_more_page; Projects needs one more call
    for the empty (204) page when the last page is full."""
    full, rest = divmod(records, per_page)
    calls = full + (1 if rest else 0)
    if empty_page_ends and rest == 0:
        calls += 1
    return max(calls, 1)


@dataclass
class CallBudget:
    books: int = 0
    projects: int = 0
    detail: dict[str, int] = field(default_factory=dict)

    def add(self, service: str, what: str, calls: int) -> None:
        setattr(self, service, getattr(self, service) + calls)
        self.detail[f"{service}:{what}"] = self.detail.get(f"{service}:{what}", 0) + calls

    def describe(self, plan: str = "premium") -> dict[str, object]:
        cap = DAILY_CAP[plan]
        books_minutes = self.books / BOOKS_PER_MINUTE
        days = math.ceil(self.books / cap) if self.books else 0
        projects_minutes = 2 * self.projects / PROJECTS_PER_TWO_MINUTES
        return {
            "plan": plan,
            "books_calls": self.books,
            "projects_calls": self.projects,
            "books_days_at_cap": days,
            "books_minutes_at_rate": round(books_minutes, 1),
            "projects_minutes_at_rate": round(projects_minutes, 1),
            "summary": (f"{self.books:,} Books calls: {days} day(s) at {cap:,} a day "
                        f"({books_minutes:.0f} min at {BOOKS_PER_MINUTE}/min); "
                        f"{self.projects:,} Projects calls: {projects_minutes:.0f} min at 100 per 2 min"),
            "detail": dict(sorted(self.detail.items())),
        }
