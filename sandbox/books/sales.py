"""Books invoices, expenses, estimates and bills (no HTTP).

Invoices bill time: a line's `time_entry_ids` must be unbilled, billable entries (of the
line's project when it names one); creating the invoice marks them invoiced. A line may name a
Projects project and task (the legacy integration did): that marks the task invoiced on the
Projects side when it is free (see `sandbox.marks`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox import marks
from sandbox.books.common import (
    DUPLICATE_NUMBER,
    SERVICE,
    BooksBase,
    day,
    flag,
    id_list,
    invalid,
    json_eq,
    missing,
    money,
    refused,
    text,
)
from sandbox.db import Body
from sandbox.errors import Refusal
from sandbox.formats import money_num, money_str, round_money

# which accounts may be an expense's category and which may pay for it [guess]
EXPENSE_ACCOUNT_TYPES = frozenset({"expense", "other_expense", "cost_of_goods_sold"})
PAYING_ACCOUNT_TYPES = frozenset({"cash", "bank", "credit_card", "other_current_liability"})

LINES_HAVE = ("EXISTS (SELECT 1 FROM json_each(d.body, '$.line_items') li "
              "WHERE json_extract(li.value, '$.project_id') = ?)")


class SalesState(BooksBase):
    # -- invoices --------------------------------------------------------------------------
    def invoice(self, invoice_id: str) -> Body:
        return self.need("invoices", invoice_id, "Invoice")

    def invoices(self, page: int, per_page: int, f: dict[str, str]) -> tuple[list[Body], bool]:
        where, params = self._filters(f, ("customer_id", "status", "invoice_number"))
        if f.get("project_id"):
            where.append(LINES_HAVE)
            params.append(f["project_id"])
        if f.get("last_modified_time"):
            where.append("json_extract(d.body, '$.last_modified_time') >= ?")
            params.append(f["last_modified_time"])
        return self.page("invoices", page, per_page, ref=f.get("reference_number") or None,
                         where=where, params=params)

    def project_invoices(self, project_id: str, page: int, per_page: int) -> tuple[list[Body], bool]:
        self.need("projects", project_id, "Project")
        rows, more = self.page("invoices", page, per_page, where=[LINES_HAVE], params=[project_id])
        # projects.yml draws this list's total/balance as strings, and so do its examples
        # ('310.75'), unlike invoices.yml (numbers): each answers as its document shows
        return [{**i, "total": money_str(Decimal(str(i["total"]))),
                 "balance": money_str(Decimal(str(i["balance"])))} for i in rows], more

    def create_invoice(self, data: dict[str, Any]) -> Body:
        customer = self.ref_of("contacts", text(data, "customer_id", required=True), "customer_id")
        invoice_id = self.tx.next_id()
        number = self._number("invoices", "invoice_number", "INV-", data)
        invoice: Body = {
            "invoice_id": invoice_id, "invoice_number": number,
            "reference_number": text(data, "reference_number"),
            "date": day(data, "date", default=self.today), "status": "draft",
            **self._party(customer, data), "exchange_rate": 1.0,
            "notes": text(data, "notes"), "terms": text(data, "terms"),
            "created_time": self.stamp, "last_modified_time": self.stamp,
        }
        invoice["due_date"] = day(data, "due_date", default=invoice["date"])
        self.tx.insert(SERVICE, "invoices", invoice_id, invoice, ref=invoice["reference_number"])
        return self._bill_lines(invoice, data.get("line_items"))

    def update_invoice(self, invoice_id: str, data: dict[str, Any]) -> Body:
        invoice = self.invoice(invoice_id)
        if invoice["status"] == "void":
            raise refused("A void invoice cannot be edited. Mark it as draft first.")
        if "customer_id" in data:
            customer = self.ref_of("contacts", text(data, "customer_id", required=True),
                                   "customer_id")
            invoice.update(self._party(customer, data))
        for field in ("reference_number", "notes", "terms"):
            if field in data:
                invoice[field] = text(data, field)
        for field in ("date", "due_date"):
            if field in data:
                invoice[field] = day(data, field, required=True)
        if "invoice_number" in data:
            invoice["invoice_number"] = self._number("invoices", "invoice_number", "INV-", data,
                                                     own_id=invoice_id)
        invoice["last_modified_time"] = self.stamp
        if "line_items" in data:
            self._release(invoice)
            return self._bill_lines(invoice, data["line_items"])
        self.tx.put(SERVICE, "invoices", invoice_id, invoice, ref=invoice["reference_number"])
        return invoice

    def delete_invoice(self, invoice_id: str) -> None:
        invoice = self.invoice(invoice_id)
        self._release(invoice)
        self.tx.delete(SERVICE, "invoices", invoice_id)

    def mark_invoice(self, invoice_id: str, status: str) -> Body:
        invoice = self.invoice(invoice_id)
        if status == "sent":
            if invoice["status"] == "void":
                raise refused("A void invoice cannot be marked as sent.")
            if not invoice.get("customer_id"):
                raise missing("customer_id")
        invoice["status"] = status
        invoice["last_modified_time"] = self.stamp
        self.tx.put(SERVICE, "invoices", invoice_id, invoice)
        return invoice

    def _bill_lines(self, invoice: Body, raw_lines: Any) -> Body:
        """Validate the lines, claim their time entries, expenses and tasks; store the invoice."""
        if not isinstance(raw_lines, list) or not raw_lines:
            raise missing("line_items")
        invoice_id = invoice["invoice_id"]
        lines, seen = [], set()
        for order, raw in enumerate(raw_lines, start=1):
            line = self._line(raw, order)
            for entry_id in line["time_entry_ids"]:
                if entry_id in seen:
                    raise invalid("time_entry_ids", f"{entry_id} appears twice")
                seen.add(entry_id)
                self._claim_entry(entry_id, line, invoice)
            if line.get("expense_id"):
                self._claim_expense(line["expense_id"], invoice)
            if line.get("task_id") and line.get("project_id"):
                task = marks.projects_task(self.tx, line["task_id"])
                if task is not None and task["project_id"] == line["project_id"]:
                    marks.claim(self.tx, self.now, task["id"], task["project_id"], "books",
                                invoice_id)
            lines.append(line)
        total = sum((Decimal(str(li["item_total"])) for li in lines), Decimal(0))
        # numbers, as invoices.yml's examples and the estimates and bills answer them
        invoice.update(line_items=lines, sub_total=money_num(total), total=money_num(total),
                       balance=money_num(total))
        self.tx.put(SERVICE, "invoices", invoice_id, invoice, ref=invoice["reference_number"])
        return invoice

    def _line(self, raw: Any, order: int) -> Body:
        if not isinstance(raw, dict):
            raise invalid("line_items")
        rate = money(raw, "rate", default=Decimal(0)) or Decimal(0)
        quantity = money(raw, "quantity", default=Decimal(1))
        quantity = Decimal(1) if quantity is None else quantity
        item_id = text(raw, "item_id")
        if item_id and self.get("items", item_id) is None:
            raise invalid("item_id", f"item {item_id} does not exist")
        line: Body = {
            "line_item_id": self.tx.next_id(), "item_id": item_id,
            "name": text(raw, "name"), "description": text(raw, "description"),
            "item_order": order, "rate": money_num(rate), "bcy_rate": money_num(rate),
            "quantity": float(quantity), "unit": text(raw, "unit"),
            "item_total": money_num(round_money(rate * quantity)),
            "time_entry_ids": id_list(raw.get("time_entry_ids"), "time_entry_ids"),
            "expense_id": text(raw, "expense_id"), "task_id": text(raw, "task_id"),
        }
        if raw.get("project_id"):
            line["project_id"], line["project_name"] = self._any_project(str(raw["project_id"]))
        return line

    def _any_project(self, project_id: str) -> tuple[str, str]:
        """A line's project: a Books project, or a Projects one (legacy invoices name those)."""
        books = self.get("projects", project_id)
        if books is not None:
            return project_id, str(books["project_name"])
        other = marks.projects_project(self.tx, project_id)
        if other is not None:
            return project_id, str(other["name"])
        raise invalid("project_id")

    def _claim_entry(self, entry_id: str, line: Body, invoice: Body) -> None:
        entry = self.get("time_entries", entry_id)
        if entry is None:
            raise invalid("time_entry_ids", f"time entry {entry_id} does not exist")
        if line.get("project_id") and entry["project_id"] != line["project_id"]:
            raise invalid("time_entry_ids", f"time entry {entry_id} is not in this project")
        if entry["billed_status"] != "unbilled" or not entry.get("is_billable", True):
            raise invalid("time_entry_ids", f"time entry {entry_id} is not an unbilled entry")
        entry.update(billed_status="invoiced", invoice_id=invoice["invoice_id"],
                     invoice_number=invoice["invoice_number"], last_modified_time=self.stamp)
        self.tx.put(SERVICE, "time_entries", entry_id, entry)

    def _claim_expense(self, expense_id: str, invoice: Body) -> None:
        expense = self.get("expenses", expense_id)
        if expense is None or expense["status"] != "unbilled":
            raise invalid("expense_id", f"expense {expense_id} is not an unbilled expense")
        expense.update(status="invoiced", invoice_id=invoice["invoice_id"],
                       invoice_number=invoice["invoice_number"], last_modified_time=self.stamp)
        self.tx.put(SERVICE, "expenses", expense_id, expense)

    def _release(self, invoice: Body) -> None:
        """Give back what the invoice's lines held: entries, expenses, task marks."""
        for line in invoice.get("line_items", []):
            for entry_id in line.get("time_entry_ids", []):
                entry = self.get("time_entries", entry_id)
                if entry is not None and entry.get("invoice_id") == invoice["invoice_id"]:
                    entry.update(billed_status="unbilled", invoice_id="", invoice_number="",
                                 last_modified_time=self.stamp)
                    self.tx.put(SERVICE, "time_entries", entry_id, entry)
            expense = self.get("expenses", line.get("expense_id") or "")
            if expense is not None and expense.get("invoice_id") == invoice["invoice_id"]:
                expense.update(status="unbilled", invoice_id="", invoice_number="",
                               last_modified_time=self.stamp)
                self.tx.put(SERVICE, "expenses", expense["expense_id"], expense)
        marks.release(self.tx, self.now, invoice["invoice_id"])

    # -- expenses --------------------------------------------------------------------------
    def expense(self, expense_id: str) -> Body:
        return self.need("expenses", expense_id, "Expense")

    def expenses(self, page: int, per_page: int, f: dict[str, str]) -> tuple[list[Body], bool]:
        where, params = self._filters(f, ("customer_id", "status"))
        return self.page("expenses", page, per_page, parent=f.get("project_id") or None,
                         ref=f.get("reference_number") or None, where=where, params=params)

    def create_expense(self, data: dict[str, Any]) -> Body:
        expense_id = self.tx.next_id()
        expense: Body = {"expense_id": expense_id, "created_time": self.stamp,
                         "status": "unbilled", "invoice_id": "", "invoice_number": ""}
        self._expense_fields(expense, data, creating=True)
        self.tx.insert(SERVICE, "expenses", expense_id, expense, parent=expense["project_id"],
                       ref=expense["reference_number"])
        return expense

    def update_expense(self, expense_id: str, data: dict[str, Any]) -> Body:
        expense = self.expense(expense_id)
        if expense["status"] == "invoiced":
            raise refused("An invoiced expense cannot be edited.")
        self._expense_fields(expense, data, creating=False)
        self.tx.put(SERVICE, "expenses", expense_id, expense, parent=expense["project_id"],
                    ref=expense["reference_number"])
        return expense

    def delete_expense(self, expense_id: str) -> None:
        expense = self.expense(expense_id)
        if expense["status"] == "invoiced":
            raise refused("An invoiced expense cannot be deleted.")
        self.tx.delete(SERVICE, "expenses", expense_id)

    def _expense_fields(self, expense: Body, data: dict[str, Any], creating: bool) -> None:
        merged = {**expense, **data} if not creating else data
        amount = money(merged, "amount", required=True) or Decimal(0)
        customer = (self.ref_of("contacts", merged["customer_id"], "customer_id")
                    if merged.get("customer_id") else None)
        project_id, project_name = (self._any_project(str(merged["project_id"]))
                                    if merged.get("project_id") else ("", ""))
        currency = (self.currency(currency_id=str(merged["currency_id"]))
                    if merged.get("currency_id") else None)
        if merged.get("currency_id") and currency is None:
            raise invalid("currency_id")
        if currency is None:
            currency = (self.currency(currency_id=customer["currency_id"]) if customer else None) \
                or self.base_currency()
        billable = flag(merged, "is_billable", False)
        expense.update(
            date=day(merged, "date", required=True),
            account_id=self._account(merged, "account_id", EXPENSE_ACCOUNT_TYPES),
            paid_through_account_id=self._account(merged, "paid_through_account_id", PAYING_ACCOUNT_TYPES),
            amount=money_num(amount), total=money_num(amount), sub_total=money_num(amount),
            bcy_total=money_num(amount),
            currency_id=currency["currency_id"], currency_code=currency["currency_code"],
            customer_id=customer["contact_id"] if customer else "",
            customer_name=customer["contact_name"] if customer else "",
            project_id=project_id, project_name=project_name, is_billable=billable,
            reference_number=text(merged, "reference_number"),
            description=text(merged, "description", max_len=100),
            status="unbilled" if billable else "nonbillable",
            last_modified_time=self.stamp,
        )

    # -- estimates and bills ---------------------------------------------------------------
    def estimate(self, estimate_id: str) -> Body:
        return self.need("estimates", estimate_id, "Estimate")

    def estimates(self, page: int, per_page: int, f: dict[str, str]) -> tuple[list[Body], bool]:
        where, params = self._filters(f, ("customer_id", "project_id", "status"))
        return self.page("estimates", page, per_page, ref=f.get("reference_number") or None,
                         where=where, params=params)

    def create_estimate(self, data: dict[str, Any]) -> Body:
        customer = self.ref_of("contacts", text(data, "customer_id", required=True), "customer_id")
        lines = self._plain_lines(data.get("line_items"), required=True)
        estimate_id = self.tx.next_id()
        total = sum((Decimal(str(li["item_total"])) for li in lines), Decimal(0))
        project_id = str(data.get("project_id") or "")
        estimate: Body = {
            "estimate_id": estimate_id,
            "estimate_number": self._number("estimates", "estimate_number", "EST-", data),
            "reference_number": text(data, "reference_number"),
            "date": day(data, "date", default=self.today),
            "expiry_date": day(data, "expiry_date"), "status": "draft",
            **self._party(customer, data),
            "project_id": self._any_project(project_id)[0] if project_id else "",
            "line_items": lines, "sub_total": money_num(total), "total": money_num(total),
            "created_time": self.stamp, "last_modified_time": self.stamp,
        }
        self.tx.insert(SERVICE, "estimates", estimate_id, estimate,
                       ref=estimate["reference_number"])
        return estimate

    def delete_estimate(self, estimate_id: str) -> None:
        self.need("estimates", estimate_id, "Estimate")
        self.tx.delete(SERVICE, "estimates", estimate_id)

    def bill(self, bill_id: str) -> Body:
        return self.need("bills", bill_id, "Bill")

    def bills(self, page: int, per_page: int, f: dict[str, str]) -> tuple[list[Body], bool]:
        where, params = self._filters(f, ("vendor_id", "bill_number", "status"))
        if f.get("project_id"):
            where.append(LINES_HAVE)
            params.append(f["project_id"])
        return self.page("bills", page, per_page, ref=f.get("reference_number") or None,
                         where=where, params=params)

    def create_bill(self, data: dict[str, Any]) -> Body:
        vendor = self.ref_of("contacts", text(data, "vendor_id", required=True), "vendor_id")
        if vendor.get("contact_type") != "vendor":
            raise invalid("vendor_id", "the contact is not a vendor")
        number = text(data, "bill_number", required=True, max_len=100)
        lines = self._plain_lines(data.get("line_items"), required=False)
        total = sum((Decimal(str(li["item_total"])) for li in lines), Decimal(0))
        bill_id = self.tx.next_id()
        bill: Body = {
            "bill_id": bill_id, "bill_number": number, "vendor_id": vendor["contact_id"],
            "vendor_name": vendor["contact_name"], "status": "open",
            "reference_number": text(data, "reference_number"),
            "date": day(data, "date", default=self.today),
            "due_date": day(data, "due_date", default=self.today),
            "currency_id": vendor["currency_id"], "currency_code": vendor["currency_code"],
            "exchange_rate": 1.0, "line_items": lines, "sub_total": money_num(total),
            "total": money_num(total), "balance": money_num(total),
            "created_time": self.stamp, "last_modified_time": self.stamp,
        }
        self.tx.insert(SERVICE, "bills", bill_id, bill, ref=bill["reference_number"])
        return bill

    def _account(self, data: dict[str, Any], field: str, types: frozenset[str]) -> str:
        """An account of the chart that may stand in `field` (both expense fields are required)."""
        account_id = text(data, field, required=True)
        account = self.get("chartofaccounts", account_id)
        if account is None:
            raise invalid(field, "no such account")
        if account.get("account_type") not in types:
            raise invalid(field, f"a {account.get('account_type')} account cannot be used here")
        return account_id

    def delete_bill(self, bill_id: str) -> None:
        self.need("bills", bill_id, "Bill")
        self.tx.delete(SERVICE, "bills", bill_id)

    def _plain_lines(self, raw_lines: Any, required: bool) -> list[Body]:
        """Lines that bill nothing (estimates, bills): amounts and optional links only."""
        if raw_lines in (None, []) and not required:
            return []
        if not isinstance(raw_lines, list) or not raw_lines:
            raise missing("line_items")
        lines = []
        for order, raw in enumerate(raw_lines, start=1):
            line = self._line(raw, order)
            if line["time_entry_ids"]:
                raise invalid("time_entry_ids", "only invoices bill time entries")
            for field in ("customer_id", "account_id"):
                if isinstance(raw, dict) and raw.get(field):
                    line[field] = str(raw[field])
            if isinstance(raw, dict) and "is_billable" in raw:
                line["is_billable"] = flag(raw, "is_billable", False)
            lines.append(line)
        return lines

    # -- shared ----------------------------------------------------------------------------
    def _party(self, customer: Body, data: dict[str, Any]) -> Body:
        currency = None
        if data.get("currency_id"):
            currency = self.currency(currency_id=str(data["currency_id"]))
            if currency is None:
                raise invalid("currency_id")
        return {"customer_id": customer["contact_id"], "customer_name": customer["contact_name"],
                "currency_id": currency["currency_id"] if currency else customer["currency_id"],
                "currency_code": currency["currency_code"] if currency
                else customer["currency_code"]}

    def _number(self, kind: str, field: str, prefix: str, data: dict[str, Any],
                own_id: str | None = None) -> str:
        """The number the caller gave (unique), or the next free one of the series."""
        given = text(data, field, max_len=100)
        clash = "json_extract(d.body, '$." + field + "') = ?"
        if given:
            others = self.tx.select(SERVICE, kind, where=[clash], params=[given])
            if any(o.get(kind[:-1] + "_id") != own_id for o in others):
                raise Refusal(400, DUPLICATE_NUMBER, f"{field} {given} already exists.")
            return given
        while True:
            candidate = f"{prefix}{self.tx.counter(field):06d}"
            if not self.tx.count(SERVICE, kind, where=[clash], params=[candidate]):
                return candidate

    @staticmethod
    def _filters(f: dict[str, str], fields: tuple[str, ...]) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        for field in fields:
            if f.get(field):
                where.append(json_eq(field))
                params.append(f[field])
        return where, params
