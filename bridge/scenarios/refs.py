"""Cross-reference checks on a scenario that JSON Schema cannot express (F1).

Run after the schema pass, so shapes and types are known to be right here. Each failure is a
`FixtureError` naming the JSON path of the offending field. The tables below are the rules:
which arrays hold which kind of record, and which fields point at which kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NoReturn

from bridge.errors import FixtureError

Parts = Sequence[str | int]
Record = dict[str, Any]

# kind -> (where its records live, their id field)
KINDS: dict[str, tuple[tuple[str, str], str]] = {
    "books user": (("books", "users"), "user_id"),
    "contact": (("books", "contacts"), "contact_id"),
    "portal": (("projects", "portals"), "id"),
    "user": (("projects", "users"), "id"),
    "client": (("projects", "clients"), "id"),
    "project": (("projects", "projects"), "id"),
    "task": (("projects", "tasks"), "id"),
    "bug": (("projects", "bugs"), "id"),
    "timelog": (("projects", "timelogs"), "id"),
    "expense": (("projects", "expenses"), "id"),
}

# (where, field, kind it points at); a list-valued field points with each item
REFERENCES: tuple[tuple[tuple[str, str], str, str], ...] = (
    (("projects", "portals"), "owner_id", "user"),
    (("projects", "clients"), "portal_id", "portal"),
    (("projects", "clients"), "books_contact_id", "contact"),
    (("projects", "projects"), "portal_id", "portal"),
    (("projects", "projects"), "client_ids", "client"),
    (("projects", "projects"), "owner_id", "user"),
    (("projects", "projects"), "user_ids", "user"),
    (("projects", "tasks"), "project_id", "project"),
    (("projects", "tasks"), "owner_ids", "user"),
    (("projects", "bugs"), "project_id", "project"),
    (("projects", "timelogs"), "project_id", "project"),
    (("projects", "timelogs"), "task_id", "task"),
    (("projects", "timelogs"), "bug_id", "bug"),
    (("projects", "timelogs"), "user_id", "user"),
    (("projects", "expenses"), "project_id", "project"),
    (("projects", "expenses"), "client_id", "client"),
)

# fields of an operation and the kind they name
OP_FIELDS: dict[str, str] = {
    "user_id": "user", "portal_id": "portal", "project_id": "project",
    "task_id": "task", "customer_id": "contact",
}

# expect.errors[].module -> the kind its record_id names
MODULE_KINDS: dict[str, str] = {
    "projects": "project", "users": "user", "tasks": "task", "bugs": "bug",
    "timesheets": "timelog", "user_rates": "user",
}

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path(parts: Parts) -> str:
    """`$.projects.tasks[3].rate`; keys that are not identifiers go in brackets: `roles['12']`."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}"
        else:  # a lone surrogate is written as its escape, so the path can be printed
            out += "['" + part.encode("utf-8", "backslashreplace").decode("utf-8") + "']"
    return out


def check_references(data: Record, source: str) -> None:
    _Checker(data, source).run()


class _Checker:
    def __init__(self, data: Record, source: str) -> None:
        self.data, self.source = data, source
        self.ids: dict[str, dict[str, tuple[Parts, Record]]] = {kind: {} for kind in KINDS}

    def fail(self, path: Parts, rule: str) -> NoReturn:
        raise FixtureError(self.source, json_path(path), rule)

    def records(self, where: tuple[str, str]) -> list[tuple[Parts, Record]]:
        items = self.data.get(where[0], {}).get(where[1], [])
        return [((where[0], where[1], i), rec) for i, rec in enumerate(items)]

    def run(self) -> None:
        for kind, (where, id_field) in KINDS.items():
            for path, rec in self.records(where):
                self.add(kind, rec[id_field], (*path, id_field), rec)
        for i, op in enumerate(self.data["operations"]):
            if op["op"] == "log_time" and "id" in op:  # a name for a log the op creates
                self.add("timelog", op["id"], ("operations", i, "id"), op)
        self.check_records()
        self.check_roles()
        self.check_operations()
        self.check_expect()

    def add(self, kind: str, value: str, path: Parts, rec: Record) -> None:
        if value in self.ids[kind]:
            first = json_path(self.ids[kind][value][0])
            self.fail(path, f"duplicate {kind} id {value!r} (first at {first})")
        self.ids[kind][value] = (path, rec)

    def ref(self, kind: str, value: str, path: Parts) -> Record:
        if value not in self.ids[kind]:
            where = json_path(KINDS[kind][0])
            self.fail(path, f"no {kind} with id {value!r} in {where}")
        return self.ids[kind][value][1]

    def check_records(self) -> None:
        for where, field, kind in REFERENCES:
            for path, rec in self.records(where):
                value = rec.get(field)
                if isinstance(value, list):
                    for j, item in enumerate(value):
                        self.ref(kind, item, (*path, field, j))
                elif value is not None:
                    self.ref(kind, value, (*path, field))
        self.check_same_parents()
        current = [p for p, u in self.records(("books", "users")) if u.get("is_current_user")]
        if len(current) > 1:
            self.fail((*current[1], "is_current_user"), "only one Books user can be the current user")

    def check_same_parents(self) -> None:
        projects = self.ids["project"]
        for path, proj in self.records(("projects", "projects")):
            for j, client_id in enumerate(proj.get("client_ids", [])):
                client = self.ids["client"][client_id][1]
                if client["portal_id"] != proj["portal_id"]:
                    self.fail((*path, "client_ids", j), f"client {client_id!r} belongs to portal "
                              f"{client['portal_id']!r}, not the project's portal {proj['portal_id']!r}")
        for path, log in self.records(("projects", "timelogs")):
            for field, kind in (("task_id", "task"), ("bug_id", "bug")):
                if field in log:
                    self.belongs(kind, log[field], log["project_id"], (*path, field))
        for path, exp in self.records(("projects", "expenses")):
            if "client_id" in exp:
                clients = projects[exp["project_id"]][1].get("client_ids", [])
                if exp["client_id"] not in clients:
                    self.fail((*path, "client_id"), f"client {exp['client_id']!r} is not a client "
                              f"of project {exp['project_id']!r}")

    def belongs(self, kind: str, record_id: str, project_id: str, path: Parts) -> None:
        owner = self.ids[kind][record_id][1]["project_id"]
        if owner != project_id:
            self.fail(path, f"{kind} {record_id!r} belongs to project {owner!r}, "
                      f"not to project {project_id!r}")

    def check_roles(self) -> None:
        for path, user in self.records(("projects", "users")):
            for portal_id, role in user["roles"].items():
                self.ref("portal", portal_id, (*path, "roles", portal_id))
                portal = self.ids["portal"][portal_id][1]
                if role == "owner" and portal["owner_id"] != user["id"]:
                    self.fail((*path, "roles", portal_id), f"portal {portal_id!r} is owned by "
                              f"user {portal['owner_id']!r}; no other user can be its owner")
        for path, portal in self.records(("projects", "portals")):
            owner = self.ids["user"][portal["owner_id"]][1]
            if owner["roles"].get(portal["id"]) != "owner":
                self.fail((*path, "owner_id"), f"user {portal['owner_id']!r} owns the portal, so "
                          f"their roles must list {portal['id']!r} as owner")

    def check_operations(self) -> None:
        named: set[str] = set()
        usable: set[str] = set()  # a refused invoice has no id to refer to
        for i, op in enumerate(self.data["operations"]):
            path = ("operations", i)
            for field, kind in OP_FIELDS.items():
                if field in op:
                    self.ref(kind, op[field], (*path, field))
            if op["op"] == "log_time" and "task_id" in op:
                self.belongs("task", op["task_id"], op["project_id"], (*path, "task_id"))
            if "customer_id" in op:
                contact = self.ids["contact"][op["customer_id"]][1]
                if contact.get("contact_type", "customer") != "customer":
                    self.fail((*path, "customer_id"), f"contact {op['customer_id']!r} is a "
                              f"{contact['contact_type']}, not a customer")
            if op["op"] == "connect" and not {"zsc_key", "expect_error"} & op.keys():
                user = self.ids["user"][op["user_id"]][1]
                if "zsc_key" not in user:
                    self.fail((*path, "user_id"), f"user {op['user_id']!r} has no zsc_key to connect with")
            if op["op"] == "create_invoice" and "ref" in op:
                if op["ref"] in named:
                    self.fail((*path, "ref"), f"ref {op['ref']!r} is already used by an earlier invoice")
                named.add(op["ref"])
                if "expect_error" not in op:
                    usable.add(op["ref"])
            if op["op"] == "finalize_invoice" and op["ref"] not in usable:
                self.fail((*path, "ref"), f"ref {op['ref']!r} names no earlier create_invoice "
                          "that is expected to succeed")

    def check_expect(self) -> None:
        for i, err in enumerate(self.data.get("expect", {}).get("errors", [])):
            self.ref(MODULE_KINDS[err["module"]], err["record_id"],
                     ("expect", "errors", i, "record_id"))
