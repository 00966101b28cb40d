"""Books organizations, currencies, users and contacts (no HTTP)."""

from __future__ import annotations

from typing import Any

from sandbox.books.common import (
    DUPLICATE_NAME,
    SERVICE,
    BooksBase,
    choice,
    invalid,
    json_eq,
    money,
    refused,
    text,
)
from sandbox.db import Body
from sandbox.errors import Refusal

USER_ROLES = ("admin", "staff", "timesheetstaff")
ROLE_IDS = {"admin": "459999999999999001", "staff": "459999999999999002",
            "timesheetstaff": "459999999999999003"}
PLAN_CAPS = {"free": 1000, "standard": 2000, "professional": 5000, "premium": 10000}


class DirectoryState(BooksBase):
    # -- organizations ---------------------------------------------------------------------
    def organizations(self) -> list[Body]:
        return self.tx.select(SERVICE, "organizations")

    def organization(self, org_id: str | None = None) -> Body:
        return self.need("organizations", org_id or self.org_id, "Organization")

    def plan(self) -> str:
        name = str(self.organization().get("plan_name", "PREMIUM")).lower()
        return name if name in PLAN_CAPS else "premium"

    # -- currencies ------------------------------------------------------------------------
    def currencies(self) -> list[Body]:
        return self.tx.select(SERVICE, "currencies")

    # -- users -----------------------------------------------------------------------------
    def user(self, user_id: str) -> Body:
        return self.render_user(self.need("users", user_id, "User"))

    def me(self) -> Body:
        return self.user(self.user_id)

    def users(self, page: int, per_page: int) -> tuple[list[Body], bool]:
        rows, more = self.page("users", page, per_page)
        return [self.render_user(u) for u in rows], more

    def render_user(self, user: Body) -> Body:
        out = dict(user)
        out["is_current_user"] = user["user_id"] == self.user_id
        out["email_ids"] = [{"email": user["email"], "is_selected": True}]
        return out

    def create_user(self, data: dict[str, Any]) -> Body:
        name = text(data, "name", required=True, max_len=100)
        email = text(data, "email", required=True, max_len=100)
        if "@" not in email:
            raise invalid("email")
        role = self._role(data, default="staff")
        if self.tx.select(SERVICE, "users", ref=email.lower(), limit=1):
            raise refused(f"A user with the email {email} already exists in this organization.")
        user_id = self.tx.next_id()
        user = new_user(user_id, name, email, role, self.stamp)
        if "cost_rate" in data:
            user["cost_rate"] = _number(data, "cost_rate")
        self.tx.insert(SERVICE, "users", user_id, user, ref=email.lower())
        return self.render_user(user)

    def update_user(self, user_id: str, data: dict[str, Any]) -> Body:
        user = self.need("users", user_id, "User")
        if "name" in data:
            user["name"] = text(data, "name", required=True, max_len=100)
        if "email" in data:
            email = text(data, "email", required=True, max_len=100)
            clash = self.tx.select(SERVICE, "users", ref=email.lower(), limit=1)
            if "@" not in email or (clash and clash[0]["user_id"] != user_id):
                raise invalid("email")
            user["email"] = email
        if "user_role" in data or "role_id" in data:
            user["user_role"] = self._role(data, default=user["user_role"])
            user["role_id"] = ROLE_IDS[user["user_role"]]
        if "cost_rate" in data:
            user["cost_rate"] = _number(data, "cost_rate")
        self.tx.put(SERVICE, "users", user_id, user, ref=user["email"].lower())
        return self.render_user(user)

    def set_user_status(self, user_id: str, status: str) -> Body:
        user = self.need("users", user_id, "User")
        user["status"] = status
        self.tx.put(SERVICE, "users", user_id, user)
        return self.render_user(user)

    def _role(self, data: dict[str, Any], default: str) -> str:
        role_id = text(data, "role_id")
        if role_id:
            by_id = {v: k for k, v in ROLE_IDS.items()}
            if role_id not in by_id:
                raise invalid("role_id")
            return by_id[role_id]
        return choice(data, "user_role", USER_ROLES, default=default)

    # -- contacts --------------------------------------------------------------------------
    def contact(self, contact_id: str) -> Body:
        return self.need("contacts", contact_id, "Contact")

    def contacts(self, page: int, per_page: int, filters: dict[str, str]) -> tuple[list[Body], bool]:
        where: list[str] = []
        params: list[Any] = []
        ref = filters["contact_name"].strip().lower() if filters.get("contact_name") else None
        if filters.get("contact_name_contains"):
            where.append("instr(d.ref, ?) > 0")
            params.append(filters["contact_name_contains"].lower())
        for field in ("contact_type", "email", "status"):
            if filters.get(field):
                where.append(json_eq(field))
                params.append(filters[field])
        return self.page("contacts", page, per_page, ref=ref, where=where, params=params)

    def create_contact(self, data: dict[str, Any]) -> Body:
        name = text(data, "contact_name", required=True, max_len=200)
        self._unique_name(name, None)
        kind = choice(data, "contact_type", ("customer", "vendor"), default="customer")
        currency = self._currency_of(data)
        contact_id = self.tx.next_id()
        contact: Body = {
            "contact_id": contact_id, "contact_name": name,
            "company_name": text(data, "company_name", default=name),
            "contact_type": kind, "customer_sub_type": "business", "status": "active",
            "currency_id": currency["currency_id"], "currency_code": currency["currency_code"],
            "currency_symbol": currency["currency_symbol"],
            "email": text(data, "email") or _person_email(data),
            "payment_terms": 0, "payment_terms_label": "Due on Receipt",
            "outstanding_receivable_amount": 0, "unused_credits_receivable_amount": 0,
            "notes": text(data, "notes"),
            "created_time": self.stamp, "last_modified_time": self.stamp,
        }
        self.tx.insert(SERVICE, "contacts", contact_id, contact, ref=name.lower())
        return contact

    def update_contact(self, contact_id: str, data: dict[str, Any]) -> Body:
        contact = self.contact(contact_id)
        if "contact_name" in data:
            name = text(data, "contact_name", required=True, max_len=200)
            self._unique_name(name, contact_id)
            contact["contact_name"] = name
        if "contact_type" in data:
            contact["contact_type"] = choice(data, "contact_type", ("customer", "vendor"),
                                             required=True)
        if "currency_id" in data or "currency_code" in data:
            currency = self._currency_of(data)
            contact.update(currency_id=currency["currency_id"],
                           currency_code=currency["currency_code"],
                           currency_symbol=currency["currency_symbol"])
        for field in ("company_name", "email", "notes"):
            if field in data:
                contact[field] = text(data, field)
        contact["last_modified_time"] = self.stamp
        self.tx.put(SERVICE, "contacts", contact_id, contact, ref=contact["contact_name"].lower())
        return contact

    def _unique_name(self, name: str, own_id: str | None) -> None:
        for other in self.tx.select(SERVICE, "contacts", ref=name.lower()):
            if other["contact_id"] != own_id:
                raise Refusal(400, DUPLICATE_NAME,
                              f'The contact name "{name}" already exists. '
                              "Please specify a different name.")

    def _currency_of(self, data: dict[str, Any]) -> Body:
        if data.get("currency_id"):
            found = self.currency(currency_id=str(data["currency_id"]))
            if found is None:
                raise invalid("currency_id")
            return found
        if data.get("currency_code"):
            found = self.currency(code=str(data["currency_code"]))
            if found is None:
                raise invalid("currency_code")
            return found
        return self.base_currency()


def new_user(user_id: str, name: str, email: str, role: str, stamp: str) -> Body:
    return {
        "user_id": user_id, "role_id": ROLE_IDS[role], "name": name, "email": email,
        "user_role": role, "status": "active", "user_type": "zoho", "photo_url": "",
        "is_employee": True, "cost_rate": 0.0, "created_time": stamp,
    }


def _number(data: dict[str, Any], field: str) -> float:
    amount = money(data, field, required=True)
    return float(amount) if amount is not None else 0.0


def _person_email(data: dict[str, Any]) -> str:
    persons = data.get("contact_persons")
    if isinstance(persons, list):
        for person in persons:
            if isinstance(person, dict) and isinstance(person.get("email"), str):
                return str(person["email"])
    return ""
