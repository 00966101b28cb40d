"""The small world the money model drives: one agency portal, two client projects.

Kept small on purpose (a sequence runs in well under a second): two projects with a handful
of tasks each, three Projects users on the portal and one who is not on it, three clients
that are Books contacts, a few logs and expenses. Timesheet approval is a choice of the
sequence (the model's `initialize` draws it).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

TODAY = dt.date(2026, 1, 15)
PORTAL = "64000001"
OTHER_PORTAL = "64000002"

DANA, SAM, LEE, PRIYA = "1200000000001", "1200000000002", "1200000000003", "1200000000004"
DANA_KEY = "5f1c2a9e8b7d4c3a9e0f6b2d1c8a7e4f"
DANA_EMAIL = "dana@northwind.example"
#: users of the portal (a log's owner must be one of them)
MEMBERS = (DANA, SAM, LEE)
#: a Projects user of another portal only: a log of his on this portal is broken data
STRANGER = PRIYA

ACME, GLOBEX, UMBRELLA = "1500000000001", "1500000000002", "1500000000004"
CONTACT = {ACME: "2317000000040001", GLOBEX: "2317000000040002", UMBRELLA: "2317000000040004"}
CLIENT_OF_CONTACT = {v: k for k, v in CONTACT.items()}

PROJECT_A, PROJECT_B = "1600000000001", "1600000000002"
PROJECTS = (PROJECT_A, PROJECT_B)
#: a project's clients, primary first
PROJECT_CLIENTS = {PROJECT_A: (ACME, UMBRELLA), PROJECT_B: (GLOBEX,)}

TASKS: dict[str, dict[str, Any]] = {
    "1700000000001": {"project_id": PROJECT_A, "name": "Discovery workshop", "completed": True, "billable": True,
                      "rate": "120.00"},
    "1700000000002": {"project_id": PROJECT_A, "name": "Wireframes", "completed": False, "billable": True},
    "1700000000003": {"project_id": PROJECT_A, "name": "Internal kickoff", "completed": True, "billable": False},
    "1700000000004": {"project_id": PROJECT_A, "name": "Frontend build", "completed": False, "billable": True},
    "1700000000005": {"project_id": PROJECT_B, "name": "Push notifications", "completed": True, "billable": True},
    "1700000000006": {"project_id": PROJECT_B, "name": "App store submission", "completed": False, "billable": True},
    "1700000000007": {"project_id": PROJECT_B, "name": "Release notes", "completed": False, "billable": False,
                      "rate": "90.00"},
}
TASK_IDS = tuple(TASKS)


def contact_choice(project_id: str, choice: str) -> str | None:
    """A customer for an invoice: none, the project's primary or second client, or a client
    of the other project ("other": not a client of this project at all)."""
    clients = PROJECT_CLIENTS[project_id]
    if choice == "none":
        return None
    if choice == "primary":
        return CONTACT[clients[0]]
    if choice == "second":
        return CONTACT[clients[-1]]
    other = next(c for p, cs in PROJECT_CLIENTS.items() if p != project_id for c in cs)
    return CONTACT[other]


_SCENARIO: dict[str, Any] = {
    "name": "money-model",
    "today": TODAY.isoformat(),
    "books": {
        "organization": {"organization_id": "60001234567", "name": "Northwind Studio",
                         "email": "billing@northwind.example", "currency_code": "USD", "plan": "professional"},
        "users": [
            {"user_id": "2317000000000101", "name": "Dana Reyes", "email": DANA_EMAIL, "user_role": "admin",
             "is_current_user": True},
            {"user_id": "2317000000000102", "name": "Sam Ortiz", "email": "sam@northwind.example",
             "user_role": "staff"},
        ],
        "contacts": [
            {"contact_id": CONTACT[ACME], "contact_name": "Acme Corp", "currency_code": "USD",
             "email": "ap@acme.example", "contact_type": "customer"},
            {"contact_id": CONTACT[GLOBEX], "contact_name": "Globex Ltd", "currency_code": "USD",
             "email": "finance@globex.example", "contact_type": "customer"},
            {"contact_id": CONTACT[UMBRELLA], "contact_name": "Umbrella Co", "currency_code": "USD",
             "email": "accounts@umbrella.example", "contact_type": "customer"},
        ],
    },
    "projects": {
        "portals": [
            {"id": PORTAL, "name": "northwind-studio", "owner_id": DANA, "timesheet_approval": True},
            {"id": OTHER_PORTAL, "name": "pinecrest-partners", "owner_id": PRIYA, "timesheet_approval": True},
        ],
        "users": [
            {"id": DANA, "name": "Dana Reyes", "email": DANA_EMAIL, "roles": {PORTAL: "owner"},
             "zsc_key": DANA_KEY, "rate": "120.00"},
            {"id": SAM, "name": "Sam Ortiz", "email": "sam@northwind.example", "roles": {PORTAL: "employee"},
             "rate": "85.00"},
            {"id": LEE, "name": "Lee Chen", "email": "lee@northwind.example", "roles": {PORTAL: "manager"},
             "rate": "100.00"},
            {"id": PRIYA, "name": "Priya Nair", "email": "priya@pinecrest.example", "roles": {OTHER_PORTAL: "owner"},
             "zsc_key": "0c7d2e9f4a1b8c3d6e5f2a9b0c1d4e7f"},
        ],
        "clients": [
            {"id": ACME, "portal_id": PORTAL, "name": "Acme Corp", "currency_code": "USD",
             "books_contact_id": CONTACT[ACME]},
            {"id": GLOBEX, "portal_id": PORTAL, "name": "Globex Ltd", "currency_code": "USD",
             "books_contact_id": CONTACT[GLOBEX]},
            {"id": UMBRELLA, "portal_id": PORTAL, "name": "Umbrella Co", "currency_code": "USD",
             "books_contact_id": CONTACT[UMBRELLA]},
        ],
        "projects": [
            {"id": PROJECT_A, "portal_id": PORTAL, "name": "Acme Website Redesign", "status": "active",
             "client_ids": [ACME, UMBRELLA], "rate": "110.00", "owner_id": DANA, "user_ids": [DANA, SAM, LEE]},
            {"id": PROJECT_B, "portal_id": PORTAL, "name": "Globex Mobile App", "status": "active",
             "client_ids": [GLOBEX], "rate": "125.00", "owner_id": DANA, "user_ids": [DANA, SAM, LEE]},
        ],
        "tasks": [
            {"id": tid, "owner_ids": [DANA], **{k: v for k, v in t.items()}} for tid, t in TASKS.items()
        ],
        "bugs": [],
        "timelogs": [
            {"id": "1900000000001", "project_id": PROJECT_A, "task_id": "1700000000001", "user_id": DANA,
             "date": "2025-12-02", "minutes": 240, "billable": True, "approval_status": "Approved",
             "notes": "Workshop with Acme stakeholders"},
            {"id": "1900000000002", "project_id": PROJECT_A, "task_id": "1700000000002", "user_id": SAM,
             "date": "2025-12-05", "minutes": 360, "billable": True, "approval_status": "Approved",
             "notes": "Homepage wireframes"},
            {"id": "1900000000003", "project_id": PROJECT_B, "task_id": "1700000000005", "user_id": LEE,
             "date": "2025-12-15", "minutes": 480, "billable": True, "approval_status": "Approved",
             "notes": "APNs and FCM integration"},
        ],
        "expenses": [
            {"id": "2000000000001", "project_id": PROJECT_A, "client_id": ACME, "amount": "240.00",
             "currency_code": "USD", "date": "2025-12-03", "description": "Stock photography license",
             "billable": True},
            {"id": "2000000000002", "project_id": PROJECT_A, "client_id": UMBRELLA, "amount": "300.00",
             "currency_code": "USD", "date": "2025-12-10", "description": "Usability test incentives",
             "billable": True},
            {"id": "2000000000003", "project_id": PROJECT_B, "client_id": GLOBEX, "amount": "150.00",
             "currency_code": "USD", "date": "2025-12-18", "description": "Device lab rental",
             "billable": True},
        ],
    },
    "operations": [{"op": "connect", "user_id": DANA, "portal_id": PORTAL}],
}


def scenario(*, approval: bool) -> dict[str, Any]:
    data = copy.deepcopy(_SCENARIO)
    data["projects"]["portals"][0]["timesheet_approval"] = approval
    return data
