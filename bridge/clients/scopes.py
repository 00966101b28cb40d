"""The OAuth scopes each command needs: ONE table, command -> scopes.

Books scopes are `ZohoBooks.<module>.<op>` as each operation's `security` names it in the
vendor's OpenAPI documents (organizations, users and currencies are `settings`; projects,
tasks and time entries are `projects`). Projects scopes are `ZohoProjects.<module>.<op>`
(PROJECTS-V3.md §1: portals, clients and timesheets are [doc]; projects, users, tasks and
bugs follow the documented syntax, [2nd]). A scope `<service>.<module>.ALL` (or
`ZohoBooks.fullaccess.all`) covers its module's operations.

The README's scope list is `markdown()` of this table (a test keeps them equal), and
`bpbridge doctor` checks the union of every command's scopes against what the accounts server
says it granted. Commands that never reach the services (db, fixtures, sandbox, compare,
scenario) need none and are not listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _books(*pairs: str) -> frozenset[str]:
    """"invoices:CREATE,READ" -> ZohoBooks.invoices.CREATE, ZohoBooks.invoices.READ"""
    return frozenset(f"ZohoBooks.{m}.{op}" for pair in pairs for m, ops in [pair.split(":")]
                     for op in ops.split(","))


def _projects(*pairs: str) -> frozenset[str]:
    return frozenset(f"ZohoProjects.{m}.{op}" for pair in pairs for m, ops in [pair.split(":")]
                     for op in ops.split(","))


# what several commands share
_SEE_ORG = _books("settings:READ")  # organizations, current user, currencies
_SEE_PORTAL = _projects("portals:READ", "users:READ")
_READ_PROJECT = _projects("projects:READ", "clients:READ", "tasks:READ", "timesheets:READ")
_CONNECT = _SEE_ORG | _SEE_PORTAL | _projects("clients:READ")
_SYNC = (_SEE_ORG | _books("settings:CREATE,UPDATE", "contacts:READ,CREATE,UPDATE",
                           "projects:READ,CREATE,UPDATE,DELETE")
         | _SEE_PORTAL | _READ_PROJECT | _projects("bugs:READ"))
_INVOICE = (_SEE_ORG | _books("contacts:READ", "projects:READ", "invoices:READ,CREATE,UPDATE,DELETE",
                              "expenses:READ,CREATE,DELETE")
            | _READ_PROJECT | _projects("tasks:UPDATE"))
_EXPENSE = _SEE_ORG | _books("contacts:READ", "projects:READ", "expenses:READ,CREATE,UPDATE,DELETE") \
    | _projects("projects:READ", "clients:READ")
_LIST_TXNS = _SEE_ORG | _books("invoices:READ", "expenses:READ", "estimates:READ", "bills:READ") \
    | _projects("projects:READ")
_MIGRATE = _SYNC | _INVOICE | _LIST_TXNS

#: command (as typed after `bridge`) -> the scopes its calls need
COMMAND_SCOPES: dict[str, frozenset[str]] = {
    "doctor": _SEE_ORG | _projects("portals:READ"),
    "legacy connect": _CONNECT,
    "legacy portals": _SEE_PORTAL,
    "legacy status": _SEE_ORG,
    "legacy disconnect": _SEE_ORG,
    "legacy disable": _SEE_ORG,
    "legacy reenable": _CONNECT,
    "legacy sync": _INVOICE | _EXPENSE,
    "legacy invoice create": _INVOICE,
    "legacy invoice finalize": _INVOICE,
    "legacy expense record": _EXPENSE,
    "legacy transactions": _LIST_TXNS,
    "legacy report": _LIST_TXNS,
    "enhanced connect": _CONNECT | _books("settings:CREATE", "contacts:CREATE"),
    "enhanced credentials": _CONNECT,
    "enhanced preferences": _SEE_ORG,
    "enhanced sync": _SYNC,
    "enhanced status": _SEE_ORG,
    "enhanced history": _SEE_ORG,
    "enhanced errors": _SEE_ORG,
    "enhanced disable": _SEE_ORG,
    "enhanced reenable": _CONNECT,
    "enhanced invoice create": _INVOICE,
    "enhanced estimate create": _INVOICE | _books("estimates:READ,CREATE,DELETE"),
    "enhanced bill record": _SEE_ORG | _books("contacts:READ", "projects:READ", "bills:READ,CREATE,DELETE")
    | _projects("projects:READ"),
    "enhanced expense record": _EXPENSE,
    "enhanced transactions": _LIST_TXNS,
    "migrate plan": _MIGRATE,
    "migrate run": _MIGRATE,
    "migrate verify": _MIGRATE,
    "migrate rollback": _MIGRATE,
    "migrate status": _SEE_ORG,
}


def all_scopes() -> frozenset[str]:
    return frozenset().union(*COMMAND_SCOPES.values())


def parse_granted(text: object) -> frozenset[str] | None:
    """The scopes a token answer's `scope` names (comma- or space-separated); None: not said."""
    if not isinstance(text, str) or not text.strip():
        return None
    return frozenset(s for s in re.split(r"[\s,]+", text.strip()) if s)


def covered(scope: str, granted: Iterable[str]) -> bool:
    """Whether `granted` covers `scope`: itself, its module's ALL, or Books' fullaccess."""
    have = {g.lower() for g in granted}
    service, module, _ = scope.split(".")
    return (scope.lower() in have or f"{service}.{module}.all".lower() in have
            or (service == "ZohoBooks" and "zohobooks.fullaccess.all" in have))


def missing(needed: Iterable[str], granted: Iterable[str]) -> list[str]:
    granted = list(granted)
    return sorted(s for s in needed if not covered(s, granted))


def needed_by(scope: str) -> list[str]:
    """The commands that need a scope (for a doctor message)."""
    return [c for c, scopes in COMMAND_SCOPES.items() if scope in scopes]


def markdown() -> str:
    """The table as the README shows it: one row per command."""
    rows = ["| command | scopes |", "|---|---|"]
    for command, scopes in COMMAND_SCOPES.items():
        rows.append(f"| `bpbridge {command}` | {', '.join(f'`{s}`' for s in sorted(scopes))} |")
    return "\n".join(rows)
