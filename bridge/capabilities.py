"""What live mode can and cannot do: the capability matrix, as data.

Two tables. `SERVICE_OPS`: every call the modes and the migrator make on Books or Projects,
tagged "public API" (with the document that says so) or "sandbox only" (the product's
internals, which only the sandbox imitates). `OPERATIONS`: every integration operation,
with the service calls it cannot do without (`needs`) and the sandbox-only calls it leaves
out on a live target (`live_without`, each saying what happens instead). An operation whose
needs include a sandbox-only call does not run live; `instead` says what to do.

`Context.require` (bridge.context) is the one place that refuses; `bpbridge doctor` and the
README print `matrix_rows()`, so the three never disagree. Books documents are the vendor's
OpenAPI files in ../shared/reference/books-openapi/ (file#operationId); Projects rows cite
../shared/reference/PROJECTS-V3.md (section, row, source key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PUBLIC, SANDBOX_ONLY = "public API", "sandbox only"


@dataclass(frozen=True)
class ServiceOp:
    key: str          # "<service>.<client method>", or a field/auth pseudo-call
    access: str       # PUBLIC | SANDBOX_ONLY
    document: str     # PUBLIC: where it is documented; SANDBOX_ONLY: what the public API lacks
    without: str = ""  # SANDBOX_ONLY, where an operation goes without it live: what happens then


def _books(method: str, doc: str, operation_id: str | None = None) -> ServiceOp:
    return ServiceOp(f"books.{method}", PUBLIC, f"books-openapi/{doc}.yml#{operation_id or method}")


def _projects(method: str, doc: str) -> ServiceOp:
    return ServiceOp(f"projects.{method}", PUBLIC, f"PROJECTS-V3.md {doc}")


def _internal(method: str, lacks: str, without: str = "") -> ServiceOp:
    return ServiceOp(f"projects.{method}", SANDBOX_ONLY, lacks, without)


_NO_MONEY = "PROJECTS-V3.md §3 money surfaces, §8: no v3 endpoint for "
_FINANCE_WITHOUT = ("not shown by the toolkit: the vendor's own integration shows Books transactions "
                    "of synced projects in the Finance tab (PROJECTS-V3.md §7, B1/K1)")

SERVICE_OPS: dict[str, ServiceOp] = {op.key: op for op in (
    _books("list_organizations", "organizations"),
    _books("get_organization", "organizations"),
    _books("list_currencies", "currency"),
    _books("current_user", "users", "get_current_user"),
    _books("list_users", "users"),
    _books("create_user", "users"),
    _books("mark_user_inactive", "users"),
    _books("list_contacts", "contacts"),
    _books("get_contact", "contacts"),
    _books("create_contact", "contacts"),
    _books("list_projects", "projects"),
    _books("get_project", "projects"),
    _books("create_project", "projects"),
    _books("update_project", "projects"),
    _books("add_project_user", "projects"),
    _books("list_tasks", "tasks"),
    _books("create_task", "tasks", "add_task"),
    _books("update_task", "tasks"),
    _books("list_time_entries", "time-entries"),
    _books("create_time_entry", "time-entries", "create_time_entries"),
    _books("update_time_entry", "time-entries"),
    _books("delete_time_entry", "time-entries"),
    _books("list_invoices", "invoices"),
    _books("get_invoice", "invoices"),
    _books("create_invoice", "invoices"),
    _books("update_invoice", "invoices"),
    _books("mark_invoice", "invoices", "mark_invoice_sent|mark_invoice_void|mark_invoice_draft"),
    _books("delete_invoice", "invoices"),
    _books("list_expenses", "expenses"),
    _books("get_expense", "expenses"),
    _books("create_expense", "expenses"),
    _books("update_expense", "expenses"),
    _books("delete_expense", "expenses"),
    _books("create_estimate", "estimates"),
    _books("delete_estimate", "estimates"),
    _books("create_bill", "bills"),
    _books("delete_bill", "bills"),
    _projects("list_portals", "§3 List portals (P1, doc)"),
    _projects("list_users", "§3 Portal users (G1, 2nd)"),
    _projects("list_clients", "§3 Client companies (P2, doc)"),
    _projects("list_projects", "§3 List projects (G1-G3, 2nd)"),
    _projects("get_project", "§3 Get project (G1, G3, 2nd)"),
    # v3 documents no project-client endpoint (§3, §8 gap); the primary client is read as the
    # Projects client decides (docs/CONTRACTS.md). Tagged public so that sync, the heart of
    # live mode, is judged by the client's choice, not refused here: reconcile with the client.
    _projects("project_clients", "§3 Client companies (P2, doc); primary client: §8 gap, inferred"),
    _projects("project_users", "§3 Project users (G1, 2nd)"),
    _projects("list_tasks", "§3 Tasks of a project (G1, G3, 2nd)"),
    _projects("list_bugs", "§3 Issues (bugs) (G1, G4, 2nd)"),
    _projects("list_timelogs", "§3 Time logs of a project / portal-wide (G1, P5)"),
    _internal("list_invoices", _NO_MONEY + "Projects-side invoices"),
    _internal("get_invoice", _NO_MONEY + "Projects-side invoices"),
    _internal("create_invoice", _NO_MONEY + "Projects-side invoices"),
    _internal("update_invoice", _NO_MONEY + "Projects-side invoices"),
    _internal("list_expenses", _NO_MONEY + "Projects-side expenses",
              "no Projects-side expenses are billed: bill expenses recorded in Books"),
    _internal("create_expense", _NO_MONEY + "Projects-side expenses"),
    _internal("update_expense", _NO_MONEY + "Projects-side expenses"),
    _internal("finance", _NO_MONEY + "a project's Finance tab (read)"),
    _internal("link_transaction", _NO_MONEY + "a project's Finance tab (write)", _FINANCE_WITHOUT),
    _internal("task_billing_fields", "PROJECTS-V3.md §3 money surfaces: tasks carry only billing_type, "
              "no billable flag or rate",
              "a task counts as billable; its rate is the project's, and a task with no rate is left "
              "off the invoice, named (task_rate_unknown)"),
    _internal("verify_zsc_key", "PROJECTS-V3.md §1, §8: v3 takes OAuth only and cannot tell whose a "
              "ZSC key is", "the key is recorded, not checked by Projects; the OAuth token's user is "
              "the caller (docs/CONTRACTS.md)"),
)}


@dataclass(frozen=True)
class Operation:
    key: str                       # "<mode>: <operation>" (mode: legacy, enhanced, migrate)
    needs: tuple[str, ...]         # service calls it cannot do without
    live_without: tuple[str, ...] = ()  # sandbox-only calls it leaves out live
    instead: str = ""              # what to do instead, where it cannot run live

    @property
    def lacking(self) -> tuple[str, ...]:
        """The needed calls the public API does not have."""
        return tuple(k for k in dict.fromkeys(self.needs) if SERVICE_OPS[k].access == SANDBOX_ONLY)

    @property
    def runs_live(self) -> bool:
        return not self.lacking


# -- what the operations call (read off legacy/, enhanced/, migrate/ and bridge/billing,claims) --
_CONNECT = ("projects.list_portals", "books.get_organization")
_PORTALS = ("projects.list_portals",)
_TIME_RULE = ("projects.list_portals", "projects.list_users")  # bridge.billing.eligibility: approval rule
_CLAIMS = ("books.list_invoices", "books.delete_invoice", "books.mark_invoice")  # settle / withdraw
_EN_SUBJECT = ("books.get_project", "books.get_contact")
_EN_LINES = (*_EN_SUBJECT, "books.list_time_entries", "books.list_expenses", "projects.list_timelogs",
             "projects.get_project", "projects.list_tasks", *_TIME_RULE)
_EN_LINES_WITHOUT = ("projects.list_expenses", "projects.task_billing_fields", "projects.link_transaction")
_LG_LINES = ("projects.get_project", "projects.list_clients", "books.list_contacts", "books.get_contact",
             "books.get_organization", "projects.list_tasks", "projects.list_timelogs",
             "projects.list_expenses", "projects.task_billing_fields", *_TIME_RULE)
_LG_PUBLISH = ("books.create_invoice", *_CLAIMS, "books.list_expenses", "books.create_expense",
               "books.create_contact", "books.list_currencies", "projects.update_expense",
               "projects.link_transaction")
_LG_EXPENSE = ("books.get_contact", "books.get_organization", "books.list_currencies", "books.create_expense")
_SYNC = ("books.current_user", "books.list_projects", "books.create_project", "books.update_project",
         "books.list_contacts", "books.create_contact", "books.list_users", "books.create_user",
         "books.mark_user_inactive", "books.add_project_user", "books.list_tasks", "books.create_task",
         "books.update_task", "books.list_time_entries", "books.create_time_entry", "books.update_time_entry",
         "projects.list_projects", "projects.project_clients", "projects.project_users", "projects.list_users",
         "projects.list_tasks", "projects.list_bugs", "projects.list_timelogs", "projects.list_portals")
_MIRROR = ("projects.list_projects", "projects.list_expenses", "projects.list_invoices",
           "projects.get_invoice", "projects.update_invoice", "projects.update_expense", "projects.finance",
           "projects.link_transaction", "books.get_invoice", "books.update_invoice", "books.get_organization",
           *_LG_PUBLISH)
_SNAPSHOT = ("projects.finance", "books.list_invoices", "books.list_expenses")

_IN_BOOKS = "make it in Books: the same command with `--side books`"
_LEGACY_INSTEAD = ("legacy invoicing mirrors Projects-side invoices and expenses, which only the sandbox "
                   "has: rehearse it on the sandbox; live, migrate to enhanced and invoice in Books "
                   "(`bpbridge enhanced invoice create --side books`)")
_NO_SERVICES = "pass `--no-services` (the store-side checks still run; the Finance tab cannot be read)"

OPERATIONS: dict[str, Operation] = {op.key: op for op in (
    Operation("legacy: portals", _PORTALS, ("projects.verify_zsc_key",)),
    Operation("legacy: connect", (*_CONNECT, "projects.list_clients", "books.list_contacts"),
              ("projects.verify_zsc_key",)),
    Operation("legacy: disconnect", ()),
    Operation("legacy: status", ()),
    Operation("legacy: sync", _MIRROR, instead=_LEGACY_INSTEAD),
    Operation("legacy: create_invoice --side books", (*_LG_LINES, *_LG_PUBLISH), instead=_LEGACY_INSTEAD),
    Operation("legacy: create_invoice --side projects",
              (*_LG_LINES, *_LG_PUBLISH, "projects.create_invoice", "projects.update_invoice"),
              instead=_LEGACY_INSTEAD),
    Operation("legacy: finalize", (*_LG_LINES, *_LG_PUBLISH, "projects.update_invoice"),
              instead="give the draft its customer on the sandbox; live, make the invoice in Books "
                      "with its customer"),
    Operation("legacy: record_expense --side books", (*_LG_EXPENSE, "books.delete_expense"),
              ("projects.link_transaction",)),
    Operation("legacy: record_expense --side projects",
              (*_LG_EXPENSE, "projects.list_clients", "books.create_contact", "books.list_expenses",
               "books.update_expense", "projects.create_expense", "projects.update_expense"),
              instead=_IN_BOOKS),
    Operation("legacy: transactions", ()),
    Operation("legacy: disable", ()),
    Operation("legacy: reenable", ()),
    Operation("legacy: report", ("books.get_expense",)),
    Operation("enhanced: portals", ("books.current_user", *_PORTALS), ("projects.verify_zsc_key",)),
    Operation("enhanced: connect", ("books.current_user", *_CONNECT), ("projects.verify_zsc_key",)),
    Operation("enhanced: update_credentials", (), ("projects.verify_zsc_key",)),
    Operation("enhanced: disconnect", ()),
    Operation("enhanced: status", ()),
    Operation("enhanced: sync", _SYNC),
    Operation("enhanced: create_invoice --side books", (*_EN_LINES, "books.create_invoice", *_CLAIMS),
              _EN_LINES_WITHOUT),
    Operation("enhanced: create_invoice --side projects",
              (*_EN_LINES, "books.create_invoice", *_CLAIMS, "projects.create_invoice"),
              instead=_IN_BOOKS),
    Operation("enhanced: finalize", ("books.update_invoice",)),
    Operation("enhanced: record_expense --side books", (*_EN_SUBJECT, "books.create_expense",
                                                        "books.delete_expense"), ("projects.link_transaction",)),
    Operation("enhanced: record_expense --side projects",
              (*_EN_SUBJECT, "books.create_expense", "books.delete_expense", "projects.create_expense"),
              instead=_IN_BOOKS),
    Operation("enhanced: create_estimate --side books", (*_EN_LINES, "books.create_estimate",
                                                         "books.delete_estimate"), _EN_LINES_WITHOUT),
    # asked "from Projects", the only Projects-side trace is the Finance tab's entry
    Operation("enhanced: create_estimate --side projects",
              (*_EN_LINES, "books.create_estimate", "books.delete_estimate", "projects.link_transaction"),
              instead=_IN_BOOKS),
    Operation("enhanced: record_bill --side books", (*_EN_SUBJECT, "books.create_bill", "books.delete_bill"),
              ("projects.link_transaction",)),
    Operation("enhanced: record_bill --side projects",
              (*_EN_SUBJECT, "books.create_bill", "books.delete_bill", "projects.link_transaction"),
              instead=_IN_BOOKS),
    Operation("enhanced: transactions", ()),
    Operation("enhanced: disable", ()),
    Operation("enhanced: reenable", ()),
    Operation("migrate: plan", ("projects.list_projects",)),
    Operation("migrate: run", ("projects.list_projects",)),
    Operation("migrate: run --services", ("projects.list_projects", *_SNAPSHOT), instead=_NO_SERVICES),
    Operation("migrate: verify", ()),
    Operation("migrate: verify --services", ("projects.list_projects", *_SNAPSHOT), instead=_NO_SERVICES),
    Operation("migrate: rollback", ("books.list_time_entries", "books.delete_time_entry")),
)}


def operation_key(mode: str, name: str, side: object | None = None) -> str:
    """The matrix key of an operation: `side` is a bridge.domain.Side (or its value)."""
    where = getattr(side, "value", side)
    return f"{mode}: {name}" + (f" --side {where}" if where is not None else "")


def operation(key: str) -> Operation:
    """The row of an operation; an operation missing from the matrix is a bug, never a pass."""
    try:
        return OPERATIONS[key]
    except KeyError:
        raise KeyError(f"operation {key!r} is not in bridge.capabilities.OPERATIONS: add its row") from None


def is_public(service_op: str) -> bool:
    return SERVICE_OPS[service_op].access == PUBLIC


def refusal(key: str) -> tuple[str, str] | None:
    """(message, hint) if the operation cannot run on a live target, else None."""
    op = operation(key)
    if op.runs_live:
        return None
    lacks = "; ".join(f"{k} ({SERVICE_OPS[k].document})" for k in op.lacking)
    message = f"{key} needs what the public API does not have: {lacks}. Refused on --target live before any call"
    return message, op.instead or "run it on the sandbox target"


def matrix_rows() -> list[dict[str, Any]]:
    """One row per integration operation: what `bpbridge doctor` and the README show."""
    return [{"operation": op.key, "live": "yes" if op.runs_live else "no",
             "lacks": list(op.lacking), "instead": op.instead if not op.runs_live else "",
             "live_without": [f"{k} ({SERVICE_OPS[k].without})" for k in op.live_without]}
            for op in OPERATIONS.values()]


def service_rows() -> list[dict[str, str]]:
    return [{"call": s.key, "access": s.access, "document": s.document} for s in SERVICE_OPS.values()]


def markdown() -> str:
    """The README's section body, generated: tests/test_capabilities.py checks the README holds it."""
    out = ["| operation | live | what the public API lacks | instead / left out live |", "|---|---|---|---|"]
    for row in matrix_rows():
        note = row["instead"] or "; ".join(row["live_without"])
        out.append(f"| {row['operation']} | {row['live']} | {', '.join(row['lacks'])} | {note} |")
    out += ["", "| service call | access | document (public) or what the public API lacks |", "|---|---|---|"]
    out += [f"| {r['call']} | {r['access']} | {r['document']} |" for r in service_rows()]
    return "\n".join(out) + "\n"
