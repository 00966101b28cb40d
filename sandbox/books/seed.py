"""Loading the Books part of a scenario: organization, currencies, accounts, users, contacts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.books.common import SERVICE
from sandbox.books.directory import new_user
from sandbox.db import Body, Row
from sandbox.formats import books_time, iso_day

# (symbol, name) of the currencies every sandbox organization has enabled [guess]
COMMON_CURRENCIES = {
    "AUD": ("$", "Australian Dollar"), "CAD": ("$", "Canadian Dollar"), "EUR": ("€", "Euro"),
    "GBP": ("£", "Pound Sterling"), "INR": ("₹", "Indian Rupee"), "JPY": ("¥", "Japanese Yen"),
    "USD": ("$", "US Dollar"),
}
CURRENCY_ID_BASE = 459_999_999_999_990_001  # apart from the record id counter

# The part of a chart of accounts expenses need [guess: Books' default chart has many more;
# these two are what an expense is booked to and paid from]. Fixed ids, like the currencies',
# so a profile-less sandbox run knows them (bridge.targets passes them to both modes).
EXPENSE_ACCOUNT_ID = "459999999999980001"
PAID_THROUGH_ACCOUNT_ID = "459999999999980002"
ACCOUNTS = (
    {"account_id": EXPENSE_ACCOUNT_ID, "account_name": "Other Expenses", "account_type": "other_expense"},
    {"account_id": PAID_THROUGH_ACCOUNT_ID, "account_name": "Petty Cash", "account_type": "cash"},
)
# The service item invoice lines name (invoices.yml requires item_id on every line) [guess:
# one item for billed time and re-billed expenses alike; its rate is only a default, each
# line carries its own]. A fixed id, like the accounts', passed to both modes by bridge.targets.
TIME_ITEM_ID = "459999999999970001"
ITEMS = ({"item_id": TIME_ITEM_ID, "name": "Billable time", "product_type": "service",
          "unit": "hrs", "rate": 0, "status": "active"},)


def books_rows(now: dt.datetime, scenario: dict[str, Any]) -> tuple[list[Row], str]:
    """The scenario's Books records, and the user the OAuth refresh token acts as."""
    books = scenario["books"]
    org = books["organization"]
    stamp = books_time(now)
    currencies = _currencies(org["currency_code"], _codes_in(scenario))
    rows: list[Row] = [(SERVICE, "currencies", c["currency_id"], "", c["currency_code"], c)
                       for c in currencies]
    base = currencies[0]
    plan = str(org.get("plan", "premium"))
    rows.append((SERVICE, "organizations", org["organization_id"], "", "", {
        "organization_id": org["organization_id"], "name": org["name"],
        "contact_name": org["name"], "email": org["email"],
        "is_default_org": True, "is_org_active": True, "plan_name": plan.upper(),
        "plan_type": 0, "plan_period": "Yearly", "language_code": "en", "time_zone": "UTC",
        "date_format": "yyyy-MM-dd", "field_separator": "-", "fiscal_year_start_month": 0,
        "account_created_date": iso_day(now),
        "currency_id": base["currency_id"], "currency_code": base["currency_code"],
        "currency_symbol": base["currency_symbol"], "currency_format": "###,##0.00",
        "price_precision": 2,
    }))
    rows += [(SERVICE, "chartofaccounts", a["account_id"], "", "", {**a, "is_active": True})
             for a in ACCOUNTS]
    rows += [(SERVICE, "items", str(i["item_id"]), "", "", dict(i)) for i in ITEMS]
    for user in books.get("users", []):
        body = new_user(user["user_id"], user["name"], user["email"], user["user_role"], stamp)
        rows.append((SERVICE, "users", user["user_id"], "", user["email"].lower(), body))
    by_code = {c["currency_code"]: c for c in currencies}
    for contact in books.get("contacts", []):
        currency = by_code[contact["currency_code"]]
        body = {
            "contact_id": contact["contact_id"], "contact_name": contact["contact_name"],
            "company_name": contact["contact_name"],
            "contact_type": contact.get("contact_type", "customer"),
            "customer_sub_type": "business", "status": "active",
            "currency_id": currency["currency_id"], "currency_code": currency["currency_code"],
            "currency_symbol": currency["currency_symbol"], "email": contact.get("email", ""),
            "payment_terms": 0, "payment_terms_label": "Due on Receipt",
            "outstanding_receivable_amount": 0, "unused_credits_receivable_amount": 0,
            "notes": "", "created_time": stamp, "last_modified_time": stamp,
        }
        rows.append((SERVICE, "contacts", contact["contact_id"], "",
                     contact["contact_name"].lower(), body))
    return rows, token_user(books.get("users", []))


def token_user(users: list[dict[str, Any]]) -> str:
    """The user marked is_current_user, else the first admin, else the first user."""
    for user in users:
        if user.get("is_current_user"):
            return str(user["user_id"])
    admins = [u for u in users if u.get("user_role") == "admin"]
    chosen = admins[0] if admins else (users[0] if users else None)
    return str(chosen["user_id"]) if chosen else ""


def _codes_in(scenario: dict[str, Any]) -> set[str]:
    projects = scenario.get("projects", {})
    codes = {c["currency_code"] for c in scenario["books"].get("contacts", [])}
    codes |= {c["currency_code"] for c in projects.get("clients", [])}
    codes |= {e["currency_code"] for e in projects.get("expenses", [])}
    return codes


def _currencies(base_code: str, extra: set[str]) -> list[Body]:
    """The base currency first, then the rest alphabetically; ids are fixed by position."""
    codes = [base_code] + sorted((set(COMMON_CURRENCIES) | extra) - {base_code})
    out = []
    for i, code in enumerate(codes):
        symbol, name = COMMON_CURRENCIES.get(code, (code, code))
        out.append({
            "currency_id": str(CURRENCY_ID_BASE + i), "currency_code": code,
            "currency_name": f"{code}- {name}", "currency_symbol": symbol,
            "price_precision": 0 if code == "JPY" else 2, "currency_format": "1,234,567.89",
            "is_base_currency": code == base_code, "exchange_rate": 1.0,
            "effective_date": "",
        })
    return out
