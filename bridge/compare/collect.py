"""What a user sees on each side after a scenario, read through the clients (C1).

Books: customers, users, projects with their tasks, time entries, invoices with lines and
totals, expenses, and per-project reports (L9) summed from those invoices and expenses.
Projects: per project of the connected portal, its Finance view (E9), its invoices and
expenses, and which tasks are marked invoiced (L8).

Every record is keyed and every reference rewritten by `bridge.compare.keys`; the result is
plain JSON (str, bool, None, lists, dicts) and the same for equal worlds, whatever ids
their sandboxes handed out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bridge.clients import BooksClient, ProjectsClient
from bridge.compare.keys import Names, iso_date, money, number, plain_notes, unique_keys

Record = dict[str, Any]
View = dict[str, Any]


def seeded_names(scenario: Mapping[str, Any]) -> Names:
    """Names of the records the scenario seeds: what a reference to a deleted record resolves to."""
    names = Names()
    data = scenario["projects"]
    for kind, plural in (("project", "projects"), ("task", "tasks"), ("client", "clients")):
        for rec in data.get(plural, []):
            names.add(kind, rec["id"], rec["name"])
    return names


def collect_books(books: BooksClient, names: Names) -> View:
    contacts = list(books.list_contacts())
    names.add_all("contact", {c["contact_id"]: c["contact_name"] for c in contacts})
    users = list(books.list_users())
    names.add_all("user", {u["user_id"]: u["email"] for u in users})
    projects = list(books.list_projects())
    names.add_all("project", {p["project_id"]: p["project_name"] for p in projects})
    tasks = {p["project_id"]: list(books.list_tasks(p["project_id"])) for p in projects}
    for plist in tasks.values():
        names.add_all("task", {t["task_id"]: t["task_name"] for t in plist})
    entries = _keyed(list(books.list_time_entries()), "entry", "time_entry_id", names, _entry_base)
    invoices = _keyed([_full_invoice(books, i) for i in books.list_invoices()], "invoice", "invoice_id",
                      names, None)
    expenses = _keyed(list(books.list_expenses()), "expense", "expense_id", names, _expense_base)
    view_invoices = {k: _invoice(i, names) for k, i in invoices.items()}
    view_expenses = {k: _expense(e, names) for k, e in expenses.items()}
    return {
        "customers": {c["contact_name"]: {"contact_type": c.get("contact_type"),
                                           "currency_code": c.get("currency_code"),
                                           "email": c.get("email") or None} for c in contacts},
        "users": {u["email"].lower(): {"name": u.get("name"), "role": u.get("user_role"), "status": u.get("status")}
                  for u in users},
        "projects": {p["project_name"]: _project(p, tasks[p["project_id"]], names) for p in projects},
        "time_entries": {k: _entry(e, names) for k, e in entries.items()},
        "invoices": view_invoices,
        "expenses": view_expenses,
        "reports": _reports(view_invoices, view_expenses),
    }


def collect_projects(projects: ProjectsClient, project_ids: list[str], names: Names) -> View:
    """`project_ids`: every project of the portal that ever existed (deleted ones show as such)."""
    live = {str(p["id"]): p["name"] for p in projects.list_projects()}
    names.add_all("project", live)
    out: View = {"finance": {}, "invoices": {}, "expenses": {}, "billed": {}}
    for pid in sorted(set(project_ids) | set(live), key=lambda i: names.get("project", i) or i):
        name = names.get("project", pid) or pid
        if pid not in live:
            out["finance"][name] = {"deleted": True, "transactions": {}}
            continue
        # expenses first: invoice lines and the Finance view point at them
        out["expenses"][name] = _projects_expenses(projects.list_expenses(pid), name, names)
        out["invoices"][name] = _projects_invoices(projects, pid, name, names)
        tasks = list(projects.list_tasks(pid))
        out["billed"][name] = {t["name"]: _billed(t, names) for t in sorted(tasks, key=lambda t: t["name"])}
        out["finance"][name] = {"deleted": False, "transactions": _finance(projects.finance(pid), names)}
    return out


# -- Books records ------------------------------------------------------------------------------
def _keyed(records: list[Record], kind: str, id_field: str, names: Names, base: Any) -> dict[str, Record]:
    """Key records by their natural base (invoices: '<project> / invoice <n>' in number order)."""
    if base is None:
        records = sorted(records, key=lambda r: (str(r.get("invoice_number", "")), str(r[id_field])))
        per_project: dict[str, int] = defaultdict(int)
        bases = []
        for r in records:
            project = _invoice_project(r)
            per_project[project] += 1
            bases.append(f"{project} / invoice {per_project[project]}")
    else:
        records = sorted(records, key=lambda r: (base(r, names), plain_notes(r.get("notes")), str(r[id_field])))
        bases = [base(r, names) for r in records]
    keyed = dict(zip(unique_keys(bases), records, strict=True))
    for key, r in keyed.items():
        names.add(kind, r[id_field], key)
    return keyed


def _full_invoice(books: BooksClient, invoice: Record) -> Record:
    return invoice if "line_items" in invoice else books.get_invoice(invoice["invoice_id"])


def _invoice_project(invoice: Record) -> str:
    projects = sorted({str(li.get("project_name") or "") for li in invoice.get("line_items", [])} - {""})
    return " + ".join(projects) or "(no project)"


def _entry_base(e: Record, names: Names) -> str:
    return " / ".join([e.get("project_name") or "-", e.get("task_name") or "-", str(e.get("log_date")),
                       names.get("user", e.get("user_id")) or "-"])


def _expense_base(e: Record, names: Names) -> str:
    return " / ".join([e.get("project_name") or "-", str(e.get("date")), e.get("description") or "-"])


def _project(p: Record, tasks: list[Record], names: Names) -> View:
    return {
        "customer": names.get("contact", p.get("customer_id")), "currency_code": p.get("currency_code"),
        "status": p.get("status"), "billing_type": p.get("billing_type"), "rate": money(p.get("rate")),
        "users": sorted(names.get("user", u.get("user_id")) or "-" for u in p.get("users", [])),
        "tasks": {k: {"rate": money(t.get("rate")), "billable": t.get("is_billable"), "status": t.get("status")}
                  for k, t in zip(unique_keys(t["task_name"] for t in tasks), tasks, strict=True)},
    }


def _entry(e: Record, names: Names) -> View:
    return {"hours": e.get("log_time"), "billable": e.get("is_billable"), "billed_status": e.get("billed_status"),
            "invoice": names.get("invoice", e.get("invoice_id")), "notes": plain_notes(e.get("notes"))}


def _invoice(i: Record, names: Names) -> View:
    lines = sorted(i.get("line_items", []), key=lambda li: int(li.get("item_order") or 0))
    return {
        "number": i.get("invoice_number"), "status": i.get("status"), "date": i.get("date"),
        "customer": names.get("contact", i.get("customer_id")), "currency_code": i.get("currency_code"),
        "exchange_rate": number(i.get("exchange_rate")), "total": money(i.get("total")),
        "lines": [_line(li, names) for li in lines],
    }


def _line(li: Record, names: Names) -> View:
    return {
        "name": li.get("name") or li.get("description"), "description": li.get("description"),
        "quantity": number(li.get("quantity")), "rate": money(li.get("rate")), "amount": money(li.get("item_total")),
        "project": li.get("project_name") or None,
        "task": names.get("task", li.get("task_id")),
        "expense": names.get("expense", li.get("expense_id")),
        "time_entries": sorted(names.get("entry", t) or "-" for t in li.get("time_entry_ids", [])),
    }


def _expense(e: Record, names: Names) -> View:
    return {"amount": money(e.get("total", e.get("amount"))), "currency_code": e.get("currency_code"),
            "customer": names.get("contact", e.get("customer_id")), "billable": e.get("is_billable"),
            "status": e.get("status"), "invoice": names.get("invoice", e.get("invoice_id"))}


def _reports(invoices: Mapping[str, View], expenses: Mapping[str, View]) -> View:
    """Per project and currency: count and total of invoices (not void) and of expenses (L9)."""
    out: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}

    def add(project: str, what: str, currency: str, amount: str | None) -> None:
        cell = out.setdefault(project, {"invoices": {}, "expenses": {}})[what].setdefault(
            currency, {"count": 0, "total": "0.00"})
        cell["count"] += 1
        cell["total"] = money(Decimal(cell["total"]) + Decimal(amount or "0"))

    for key, inv in invoices.items():
        if inv["status"] != "void":
            add(key.rsplit(" / invoice ", 1)[0], "invoices", inv["currency_code"], inv["total"])
    for key, exp in expenses.items():
        add(key.split(" / ", 1)[0], "expenses", exp["currency_code"], exp["amount"])
    return out


# -- Projects records ---------------------------------------------------------------------------
def _projects_invoices(projects: ProjectsClient, pid: str, project: str, names: Names) -> View:
    records = sorted(projects.list_invoices(pid), key=lambda r: (str(r.get("number")), str(r["id"])))
    out: View = {}
    for n, r in enumerate(records, start=1):
        key = f"{project} / projects invoice {n}"
        names.add("projects_invoice", r["id"], key)
        out[key] = {
            "number": r.get("number"), "status": r.get("status"), "total": money(r.get("total")),
            "currency_code": r.get("currency_code"), "client": names.get("client", r.get("client_id")),
            "books_invoice": names.get("invoice", r.get("books_invoice_id")),
            "lines": [{"description": li.get("description"), "quantity": number(li.get("quantity")),
                       "rate": money(li.get("rate")), "amount": money(li.get("item_total")),
                       "task": names.get("task", li.get("task_id")),
                       "expense": names.get("projects_expense", li.get("expense_id"))}
                      for li in r.get("line_items", [])],
        }
    return out


def _projects_expenses(records: Any, project: str, names: Names) -> View:
    """Keyed like Books expenses ('<project> / <ISO date> / <description>'), so a mirrored
    expense has one key on both sides."""
    records = list(records)
    bases = [f"{project} / {iso_date(r.get('date'))} / {r.get('description') or '-'}" for r in records]
    order = sorted(range(len(records)), key=lambda i: (bases[i], money(records[i].get("amount")) or ""))
    keys = unique_keys(bases[i] for i in order)
    out: View = {}
    for key, i in zip(keys, order, strict=True):
        r = records[i]
        names.add("projects_expense", r["id"], key)
        out[key] = {"amount": money(r.get("amount")), "currency_code": r.get("currency_code"),
                    "client": names.get("client", r.get("client_id")), "billable": r.get("billable"),
                    "books_expense": names.get("expense", r.get("books_expense_id")),
                    "invoiced": bool(r.get("invoice_id"))}
    return out


def _billed(task: Record, names: Names) -> View:
    invoice_id = task.get("invoice_id")
    kind = "invoice" if names.has("invoice", invoice_id) else "projects_invoice"
    return {"completed": bool(task.get("completed")), "invoiced": bool(task.get("invoiced")),
            "invoice": names.get(kind, invoice_id)}


def _finance(transactions: list[Record], names: Names) -> View:
    def base(t: Record) -> str:
        for kind in ("invoice", "expense", "projects_invoice", "projects_expense"):
            for field in ("books_id", "projects_id"):
                if names.has(kind, t.get(field)):
                    return str(names.get(kind, t.get(field)))
        return f"{t.get('kind')} {t.get('number') or '-'}"

    ordered = sorted(transactions, key=lambda t: (base(t), str(t.get("number"))))
    return {key: {"kind": t.get("kind"), "number": t.get("number") or None, "total": money(t.get("total")),
                  "currency_code": t.get("currency_code"), "status": t.get("status"), "origin": t.get("origin")}
            for key, t in zip(unique_keys(base(t) for t in ordered), ordered, strict=True)}
