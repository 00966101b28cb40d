"""The Books half answers what the vendor's OpenAPI documents draw (status and body schema).

The documents are read from ../shared/reference/books-openapi/ and never copied; where that
folder is absent (a fresh clone) the test skips, saying why. Known quirks of the documents
are corrected here, in `_correct`, and nowhere else:

- `page_context` is sometimes drawn as an array, its numbers sometimes as strings: real
  answers carry an object with numbers, checked here as such;
- durations ("HH:MM", e.g. a task's `billed_hours`) are sometimes typed `number`: they are
  strings.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml  # type: ignore[import-untyped]

from .conftest import Books
from .scenario import ADA_BOOKS, GLOBEX, ORG

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DOCS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "books-openapi"
pytestmark = pytest.mark.skipif(not DOCS.is_dir(),
                                reason=f"the vendor's OpenAPI documents are not at {DOCS}")


def _resolve(doc: dict[str, Any], node: Any, seen: tuple[str, ...] = ()) -> Any:
    """Inline $refs and turn OpenAPI 3.0 schema keywords into JSON Schema."""
    if isinstance(node, list):
        return [_resolve(doc, n, seen) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].split("/")[-1]
        if name in seen:
            return {}
        return _resolve(doc, doc["components"]["schemas"][name], (*seen, name))
    return _correct({k: _resolve(doc, v, seen) for k, v in node.items()
                     if k not in ("example", "examples", "xml", "readOnly", "deprecated")})


PAGE_CONTEXT = {"type": "object", "required": ["page", "per_page", "has_more_page"],
                "properties": {"page": {"type": "integer"}, "per_page": {"type": "integer"},
                               "has_more_page": {"type": "boolean"}}}


def _correct(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    if isinstance(props, dict):
        if "page_context" in props:
            props["page_context"] = PAGE_CONTEXT
        for name, prop in props.items():
            if isinstance(prop, dict) and prop.get("type") in ("number", "integer") and \
                    name.endswith(("_hours", "log_time")):
                props[name] = {"type": "string"}
    if schema.get("nullable"):
        schema = {"anyOf": [{k: v for k, v in schema.items() if k != "nullable"},
                            {"type": "null"}]}
    return schema


@functools.cache
def _document(file: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load((DOCS / file).read_text(), Loader=_LOADER)
    return loaded


@functools.cache
def response_schemas(file: str, method: str, path: str) -> dict[str, Any]:
    raw = _document(file)
    operation = raw["paths"][path][method.lower()]
    schemas = {}
    for status, answer in operation["responses"].items():
        content = answer.get("content", {}).get("application/json")
        if content:
            schemas[str(status)] = _resolve(raw, content["schema"])
    return schemas


def check(file: str, method: str, path: str, answer: Any) -> None:
    schemas = response_schemas(file, method, path)
    status = str(answer.status_code)
    assert status in schemas, f"{method} {path}: {status} is not documented ({list(schemas)})"
    # OpenAPI 3.0 schemas are JSON Schema draft 4 plus a few keywords (dropped above)
    jsonschema.Draft4Validator(schemas[status]).validate(answer.json())


def test_answers_match_the_vendor_documents(books: Books) -> None:
    check("organizations.yml", "GET", "/organizations", books("GET", "/organizations"))
    check("organizations.yml", "GET", "/organizations/{organization_id}",
          books("GET", f"/organizations/{ORG}"))
    check("currency.yml", "GET", "/settings/currencies", books("GET", "/settings/currencies"))
    check("users.yml", "GET", "/users", books("GET", "/users"))
    check("users.yml", "GET", "/users/me", books("GET", "/users/me"))
    check("contacts.yml", "GET", "/contacts", books("GET", "/contacts"))
    contact = books("POST", "/contacts", {"contact_name": "Doc Co", "currency_code": "EUR"})
    check("contacts.yml", "POST", "/contacts", contact)
    check("contacts.yml", "GET", "/contacts/{contact_id}",
          books("GET", f"/contacts/{contact.json()['contact']['contact_id']}"))

    project = books("POST", "/projects", {
        "project_name": "Docs", "customer_id": GLOBEX, "billing_type": "based_on_task_hours",
        "user_id": ADA_BOOKS})
    check("projects.yml", "POST", "/projects", project)
    project_id = project.json()["project"]["project_id"]
    check("projects.yml", "GET", "/projects", books("GET", "/projects"))
    check("projects.yml", "GET", "/projects/{project_id}", books("GET", f"/projects/{project_id}"))
    check("projects.yml", "GET", "/projects/{project_id}/users",
          books("GET", f"/projects/{project_id}/users"))
    task = books("POST", f"/projects/{project_id}/tasks", {"task_name": "Write"})
    check("tasks.yml", "POST", "/projects/{project_id}/tasks", task)
    task_id = task.json()["task"]["task_id"]
    check("tasks.yml", "GET", "/projects/{project_id}/tasks",
          books("GET", f"/projects/{project_id}/tasks"))
    entry = books("POST", "/projects/timeentries", {
        "project_id": project_id, "task_id": task_id, "user_id": ADA_BOOKS,
        "log_date": "2026-01-02", "log_time": "02:00"})
    check("time-entries.yml", "POST", "/projects/timeentries", entry)
    check("time-entries.yml", "GET", "/projects/timeentries",
          books("GET", "/projects/timeentries"))

    invoice = books("POST", "/invoices", {"customer_id": GLOBEX, "line_items": [{
        "name": "Write", "rate": 50, "quantity": 2, "project_id": project_id,
        "time_entry_ids": [entry.json()["time_entry"]["time_entry_id"]]}]})
    check("invoices.yml", "POST", "/invoices", invoice)
    invoice_id = invoice.json()["invoice"]["invoice_id"]
    check("invoices.yml", "GET", "/invoices", books("GET", "/invoices"))
    check("invoices.yml", "GET", "/invoices/{invoice_id}", books("GET", f"/invoices/{invoice_id}"))
    check("invoices.yml", "POST", "/invoices/{invoice_id}/status/sent",
          books("POST", f"/invoices/{invoice_id}/status/sent"))
    check("projects.yml", "GET", "/projects/{project_id}/invoices",
          books("GET", f"/projects/{project_id}/invoices"))

    expense = books("POST", "/expenses", {"date": "2026-01-02", "amount": 9.99,
                                          "account_id": "1", "paid_through_account_id": "2"})
    check("expenses.yml", "POST", "/expenses", expense)
    check("expenses.yml", "GET", "/expenses", books("GET", "/expenses"))
    estimate = books("POST", "/estimates", {"customer_id": GLOBEX, "line_items": [{"rate": 1}]})
    check("estimates.yml", "POST", "/estimates", estimate)
    check("estimates.yml", "GET", "/estimates", books("GET", "/estimates"))
