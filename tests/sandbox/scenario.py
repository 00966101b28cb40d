"""A small scenario built inline for the sandbox's own tests (both services' data)."""

from __future__ import annotations

from typing import Any

ORG = "100000000000000001"
ADA_BOOKS, BETH_BOOKS = "200000000000000001", "200000000000000002"
GLOBEX, INITECH = "300000000000000001", "300000000000000002"
PORTAL, OTHER_PORTAL = "400000000000000001", "400000000000000002"
ADA, BOB, CARL = "500000000000000001", "500000000000000002", "500000000000000003"
ADA_KEY, BOB_KEY, CARL_KEY = "zsc-key-ada-0001", "zsc-key-bob-0002", "zsc-key-carl-003"
ADA_EMAIL, BOB_EMAIL, CARL_EMAIL = "ada@acme.test", "bob@acme.test", "carl@acme.test"
CLIENT_GLOBEX, CLIENT_INITECH = "600000000000000001", "600000000000000002"
WEBSITE, MOBILE, SECRET = "700000000000000001", "700000000000000002", "700000000000000003"
TASK_DESIGN, TASK_BUILD, TASK_DONE = ("800000000000000001", "800000000000000002",
                                      "800000000000000003")
BUG = "810000000000000001"
EXPENSE = "820000000000000001"
LOG_COUNT = 5


def small_scenario(**overrides: Any) -> dict[str, Any]:
    logs = [{"id": str(900000000000000001 + i), "project_id": WEBSITE,
             "task_id": TASK_DESIGN if i % 2 else TASK_BUILD, "user_id": ADA,
             "date": f"2026-01-0{1 + i % 3}", "minutes": 30 + 15 * i} for i in range(LOG_COUNT)]
    logs.append({"id": "900000000000000100", "project_id": WEBSITE, "user_id": BOB,
                 "date": "2026-01-02", "minutes": 60, "billable": False})
    scenario: dict[str, Any] = {
        "name": "sandbox-small", "description": "two services, a few records each",
        "today": "2026-01-05",
        "books": {
            "organization": {"organization_id": ORG, "name": "Acme Ltd",
                             "email": "books@acme.test", "currency_code": "USD"},
            "users": [
                {"user_id": ADA_BOOKS, "name": "Ada Admin", "email": "ada@acme.test",
                 "user_role": "admin", "is_current_user": True},
                {"user_id": BETH_BOOKS, "name": "Beth Staff", "email": "beth@acme.test",
                 "user_role": "staff"},
            ],
            "contacts": [
                {"contact_id": GLOBEX, "contact_name": "Globex", "currency_code": "USD"},
                {"contact_id": INITECH, "contact_name": "Initech", "currency_code": "EUR"},
            ],
        },
        "projects": {
            "portals": [{"id": PORTAL, "name": "Acme Portal", "owner_id": ADA},
                        {"id": OTHER_PORTAL, "name": "Bob's Portal", "owner_id": BOB}],
            "users": [
                {"id": ADA, "name": "Ada Admin", "email": "ada@acme.test",
                 "roles": {PORTAL: "owner"}, "zsc_key": ADA_KEY, "rate": "80"},
                {"id": BOB, "name": "Bob Builder", "email": "bob@acme.test",
                 "roles": {PORTAL: "employee", OTHER_PORTAL: "owner"}, "zsc_key": BOB_KEY},
                {"id": CARL, "name": "Carl Gone", "email": "carl@acme.test",
                 "roles": {PORTAL: "admin"}, "zsc_key": CARL_KEY, "active": False},
            ],
            "clients": [
                {"id": CLIENT_GLOBEX, "portal_id": PORTAL, "name": "Globex",
                 "currency_code": "USD"},
                {"id": CLIENT_INITECH, "portal_id": PORTAL, "name": "Initech",
                 "currency_code": "EUR"},
            ],
            "projects": [
                {"id": WEBSITE, "portal_id": PORTAL, "name": "Website", "owner_id": ADA,
                 "client_ids": [CLIENT_GLOBEX, CLIENT_INITECH], "user_ids": [ADA, BOB],
                 "rate": "100"},
                {"id": MOBILE, "portal_id": PORTAL, "name": "Mobile", "owner_id": ADA},
                {"id": SECRET, "portal_id": PORTAL, "name": "Secret", "owner_id": ADA},
            ],
            "tasks": [
                {"id": TASK_DESIGN, "project_id": WEBSITE, "name": "Design", "rate": "120"},
                {"id": TASK_BUILD, "project_id": WEBSITE, "name": "Build"},
                {"id": TASK_DONE, "project_id": WEBSITE, "name": "Launch", "completed": True},
            ],
            "bugs": [{"id": BUG, "project_id": WEBSITE, "title": "Broken link"}],
            "timelogs": logs,
            "expenses": [{"id": EXPENSE, "project_id": WEBSITE, "client_id": CLIENT_GLOBEX,
                          "amount": "42.50", "currency_code": "USD", "date": "2026-01-03",
                          "description": "Hosting"}],
        },
        "operations": [],
    }
    scenario.update(overrides)
    return scenario
