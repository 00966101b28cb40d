"""Projects-side invoices and expenses and the project's Finance view (no HTTP) [guess].

An invoice line naming a task claims it (`sandbox.marks`): a task another invoice on
either side already holds is refused with 6409. The Finance view lists the project's own
invoices and expenses plus the Books transactions linked to it, a link being idempotent on
(kind, books_id); a link that names a Books record one of the project's own invoices or
expenses already mirrors is not listed twice.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sandbox import marks
from sandbox.db import Body
from sandbox.errors import Refusal
from sandbox.formats import money_str, round_money
from sandbox.projects import render
from sandbox.projects.common import (
    ALREADY_INVOICED,
    SERVICE,
    ProjectsBase,
    bad,
    form_bool,
    form_date,
    form_money,
    form_text,
    missing,
)

INVOICE_STATUS = ("draft", "sent", "void")
LINK_KINDS = ("invoice", "expense", "estimate", "bill", "creditnote")
FINANCE_KINDS = ("invoices", "expenses", "finance_links")
NOT_MIRRORED = ("NOT (d.kind = 'finance_links' AND EXISTS (SELECT 1 FROM docs o WHERE "
                "o.service = d.service AND o.kind IN ('invoices', 'expenses') AND "
                "o.parent = d.parent AND o.ref = d.ref))")


def already_invoiced(what: str, holder: str) -> Refusal:
    return Refusal(400, ALREADY_INVOICED, f"{what} is already invoiced (invoice {holder})")


class FinanceState(ProjectsBase):
    # -- invoices --------------------------------------------------------------------------
    def invoices(self, portal_id: str, project_id: str, index: int, range_: int) -> list[Body]:
        self.project_in(portal_id, project_id)
        rows = self.page("invoices", index, range_, parent=project_id)
        return [render.invoice(i, self.lookup) for i in rows]

    def invoice(self, portal_id: str, project_id: str, invoice_id: str) -> Body:
        project = self.project_in(portal_id, project_id)
        return render.invoice(self.child_of("invoices", project, invoice_id), self.lookup)

    def create_invoice(self, portal_id: str, project_id: str, form: dict[str, str]) -> Body:
        self.require_manager(portal_id)
        project = self.project_in(portal_id, project_id)
        invoice: Body = {"id": self.tx.next_id(), "project_id": project_id,
                         "number": f"PI-{self.tx.counter('projects_invoice'):05d}",
                         "line_items": [], "total": "0.00"}
        self._invoice_fields(invoice, project, form, creating=True)
        self.tx.insert(SERVICE, "invoices", invoice["id"], self.stamp_new(invoice),
                       parent=project_id, ref=_ref("invoice", invoice.get("books_invoice_id")))
        self._claim_lines(invoice)
        return render.invoice(invoice, self.lookup)

    def update_invoice(self, portal_id: str, project_id: str, invoice_id: str,
                       form: dict[str, str]) -> Body:
        self.require_manager(portal_id)
        project = self.project_in(portal_id, project_id)
        invoice = self.child_of("invoices", project, invoice_id)
        relines = "line_items" in form
        if relines:
            self._release(invoice)
        self._invoice_fields(invoice, project, form, creating=False)
        self.save("invoices", invoice, ref=_ref("invoice", invoice.get("books_invoice_id")))
        if relines:
            self._claim_lines(invoice)
        return render.invoice(invoice, self.lookup)

    def _invoice_fields(self, invoice: Body, project: Body, form: dict[str, str],
                        creating: bool) -> None:
        if creating or "client_id" in form:
            invoice["client_id"] = self._client(project, form)
        if creating or "currency_code" in form:
            invoice["currency_code"] = self._currency(project, form, invoice.get("client_id"))
        if creating or "line_items" in form:
            invoice["line_items"] = self._lines(project, form)
            total = sum((Decimal(li["item_total"]) for li in invoice["line_items"]), Decimal(0))
            invoice["total"] = money_str(total)
        if creating or "date" in form:
            invoice["date"] = form_date(form, "date", default=self.today)
        # due on receipt unless told otherwise, as Books does [guess]
        if creating or "due_date" in form:
            invoice["due_date"] = form_date(form, "due_date", default=invoice["date"])
        for field in ("notes", "reference_number"):
            if creating or field in form:
                invoice[field] = form_text(form, field)
        if creating or "books_invoice_id" in form:
            invoice["books_invoice_id"] = form_text(form, "books_invoice_id")
        if creating or "status" in form:
            status = form_text(form, "status") or invoice.get("status") or "draft"
            if status not in INVOICE_STATUS:
                raise bad("status", "draft, sent or void")
            invoice["status"] = status
        if invoice["status"] == "sent" and not invoice.get("client_id"):
            raise missing("client_id")

    def _lines(self, project: Body, form: dict[str, str]) -> list[Body]:
        try:
            raw = json.loads(form_text(form, "line_items", required=True))
        except ValueError as exc:
            raise bad("line_items", "a JSON array") from exc
        if not isinstance(raw, list) or not raw or not all(isinstance(x, dict) for x in raw):
            raise bad("line_items", "a non-empty JSON array of objects")
        lines = []
        for item in raw:
            rate = form_money(item.get("rate"), "rate", default=Decimal(0)) or Decimal(0)
            quantity = form_money(item.get("quantity"), "quantity", default=Decimal(1))
            quantity = Decimal(1) if quantity is None else quantity
            line: Body = {"line_item_id": self.tx.next_id(),
                          "description": str(item.get("description") or ""),
                          "quantity": str(quantity), "rate": money_str(rate),
                          "item_total": money_str(round_money(rate * quantity))}
            for field, kind in (("task_id", "tasks"), ("expense_id", "expenses")):
                if item.get(field):
                    child = self.lookup(kind, str(item[field]))
                    if child is None or child.get("project_id") != project["id"]:
                        raise bad(field, "not in this project")
                    line[field] = child["id"]
            lines.append(line)
        return lines

    def _claim_lines(self, invoice: Body) -> None:
        """Claim each line's task and expense, or refuse (6409) when another invoice has it."""
        for line in invoice["line_items"]:
            if line.get("task_id"):
                task_id = line["task_id"]
                if not marks.claim(self.tx, self.now, task_id, invoice["project_id"],
                                   "projects", invoice["id"]):
                    holder = marks.holder(self.tx, task_id) or {}
                    raise already_invoiced(f"Task {task_id}", str(holder.get("invoice_id")))
            if line.get("expense_id"):
                expense = self.lookup("expenses", line["expense_id"]) or {}
                if expense.get("invoice_id"):
                    raise already_invoiced(f"Expense {expense['id']}", expense["invoice_id"])
                expense["invoice_id"] = invoice["id"]
                self.save("expenses", expense)

    def _release(self, invoice: Body) -> None:
        marks.release(self.tx, self.now, invoice["id"])
        for line in invoice["line_items"]:
            expense = self.lookup("expenses", line.get("expense_id"))
            if expense is not None and expense.get("invoice_id") == invoice["id"]:
                expense["invoice_id"] = ""
                self.save("expenses", expense)

    def _client(self, project: Body, form: dict[str, str]) -> str:
        client_id = form_text(form, "client_id")
        if client_id:
            found = self.lookup("clients", client_id)
            if found is None or found["portal_id"] != project["portal_id"]:
                raise bad("client_id", "not a client of this portal")
        return client_id

    def _currency(self, project: Body, form: dict[str, str], client_id: str | None) -> str:
        code = form_text(form, "currency_code").upper()
        if code:
            if len(code) != 3 or not code.isalpha():
                raise bad("currency_code")
            return code
        for candidate in [client_id, *(project.get("client_ids") or [])]:
            client = self.lookup("clients", candidate)
            if client is not None:
                return str(client["currency_code"])
        raise missing("currency_code")

    # -- expenses --------------------------------------------------------------------------
    def expenses(self, portal_id: str, project_id: str, index: int, range_: int) -> list[Body]:
        self.project_in(portal_id, project_id)
        rows = self.page("expenses", index, range_, parent=project_id)
        return [render.expense(e, self.lookup) for e in rows]

    def create_expense(self, portal_id: str, project_id: str, form: dict[str, str]) -> Body:
        self.require_manager(portal_id)
        project = self.project_in(portal_id, project_id)
        expense: Body = {"id": self.tx.next_id(), "project_id": project_id, "invoice_id": ""}
        self._expense_fields(expense, project, form, creating=True)
        self.tx.insert(SERVICE, "expenses", expense["id"], self.stamp_new(expense),
                       parent=project_id, ref=_ref("expense", expense["books_expense_id"]))
        return render.expense(expense, self.lookup)

    def update_expense(self, portal_id: str, project_id: str, expense_id: str,
                       form: dict[str, str]) -> Body:
        self.require_manager(portal_id)
        project = self.project_in(portal_id, project_id)
        expense = self.child_of("expenses", project, expense_id)
        if expense.get("invoice_id") and {"amount", "billable", "client_id"} & set(form):
            raise already_invoiced(f"Expense {expense_id}", expense["invoice_id"])
        self._expense_fields(expense, project, form, creating=False)
        self.save("expenses", expense, ref=_ref("expense", expense["books_expense_id"]))
        return render.expense(expense, self.lookup)

    def _expense_fields(self, expense: Body, project: Body, form: dict[str, str],
                        creating: bool) -> None:
        if creating or "client_id" in form:
            expense["client_id"] = self._client(project, form)
        if creating or "amount" in form:
            amount = form_money(form.get("amount"), "amount", required=True) or Decimal(0)
            expense["amount"] = money_str(amount)
        if creating or "currency_code" in form:
            expense["currency_code"] = self._currency(project, form, expense.get("client_id"))
        if creating or "date" in form:
            expense["date"] = form_date(form, "date", default=self.today)
        if creating or "description" in form:
            expense["description"] = form_text(form, "description")
        if creating or "billable" in form:
            expense["billable"] = form_bool(form, "billable", True)
        if creating or "books_expense_id" in form:
            expense["books_expense_id"] = form_text(form, "books_expense_id")

    # -- finance view ----------------------------------------------------------------------
    def finance(self, portal_id: str, project_id: str, index: int, range_: int) -> list[Body]:
        self.project_in(portal_id, project_id)
        rows = self.tx.select_kinds(SERVICE, FINANCE_KINDS, project_id, where=[NOT_MIRRORED],
                                    limit=range_, offset=index - 1)
        return [self._transaction(kind, body) for kind, body in rows]

    def link(self, portal_id: str, project_id: str, form: dict[str, str]) -> tuple[Body, bool]:
        """Link a Books transaction to the project; (transaction, created?)."""
        self.require_manager(portal_id)
        self.project_in(portal_id, project_id)
        kind = form_text(form, "kind", required=True)
        if kind not in LINK_KINDS:
            raise bad("kind", ", ".join(LINK_KINDS))
        books_id = form_text(form, "books_id", required=True)
        total = form_money(form.get("total"), "total", default=Decimal(0)) or Decimal(0)
        fields: Body = {"kind": kind, "books_id": books_id,
                        "projects_id": form_text(form, "projects_id"),
                        "number": form_text(form, "number"), "total": money_str(total),
                        "currency_code": form_text(form, "currency_code").upper(),
                        "status": form_text(form, "status"),
                        "origin": form_text(form, "origin") or "books"}
        ref = _ref(kind, books_id)
        existing = self.tx.select(SERVICE, "finance_links", parent=project_id, ref=ref, limit=1)
        if existing:
            link = {**existing[0], **fields}
            self.save("finance_links", link)
            return self._transaction("finance_links", link), False
        link = {"id": self.tx.next_id(), "project_id": project_id, **fields}
        self.tx.insert(SERVICE, "finance_links", link["id"], self.stamp_new(link),
                       parent=project_id, ref=ref)
        return self._transaction("finance_links", link), True

    def _transaction(self, kind: str, body: Body) -> Body:
        if kind == "invoices":
            return {"kind": "invoice", "books_id": body.get("books_invoice_id", ""),
                    "projects_id": body["id"], "number": body["number"], "total": body["total"],
                    "currency_code": body["currency_code"], "status": body["status"],
                    "origin": "projects"}
        if kind == "expenses":
            return {"kind": "expense", "books_id": body.get("books_expense_id", ""),
                    "projects_id": body["id"], "number": "",
                    "total": money_str(Decimal(str(body["amount"]))),
                    "currency_code": body["currency_code"],
                    "status": render.expense_status(body), "origin": "projects"}
        return {k: body.get(k, "") for k in ("kind", "books_id", "projects_id", "number", "total",
                                             "currency_code", "status", "origin")}


def _ref(kind: str, books_id: Any) -> str:
    """The lookup key that makes a link idempotent and spots mirrored records."""
    return f"{kind}:{books_id}" if books_id else ""
