"""The vendor's Books OpenAPI documents: loaded once, corrected in ONE place, and checked with
openapi-core.

The documents live in ../shared/reference/books-openapi/ (beside the repository; present in CI
and in every development checkout; BRIDGE_REFERENCE_DIR names another reference folder) and
are never copied into the project. Where they are absent (a user's fresh clone) the contract
tests skip and say why (`requires_documents`).

The documents' known quirks are tabled in `quirks.py` (QUIRKS), and `correct()` corrects only
those, recording each; `test_quirks.py` holds the two to each other. Everything else the
documents say is honoured as written (an invoice line's required `item_id` among it).

Not corrected (openapi-core cannot check it, and the sandbox's own tests do): the `oauth2`
security of each operation; the request validators used here skip security.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml  # type: ignore[import-untyped]
from jsonschema_path import SchemaPath
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import (
    V30RequestBodyValidator,
    V30RequestParametersValidator,
)
from openapi_core.validation.response.validators import V30ResponseDataValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from .quirks import QUIRKS

REPO = Path(__file__).resolve().parents[2]
# BRIDGE_REFERENCE_DIR: where a worktree that does not sit beside ../shared finds them
REFERENCE = Path(os.environ.get("BRIDGE_REFERENCE_DIR") or REPO.parent / "shared" / "reference")
DOCS = REFERENCE / "books-openapi"
MISSING = (
    None
    if DOCS.is_dir()
    else f"the vendor's OpenAPI documents are not at {DOCS} (they sit beside the repository "
    "in CI and in development checkouts, not in a fresh clone)"
)
requires_documents = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")

#: where the documents' `servers` put the API; requests are re-based onto it to be matched
SERVER_HOST = "https://www.zohoapis.com"
PREFIX = "/books/v3"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Operation:
    """One Books operation the toolkit uses: the client method that sends it and its document."""

    method: str
    path: str  # template under /books/v3, as the document spells it
    document: str
    client: str  # the BooksClient method that sends it

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @functools.cached_property
    def _pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{([^}/]+)\}", r"(?P<\1>[^/]+)", self.path) + "$")

    def path_values(self, path: str) -> dict[str, str]:
        found = self._pattern.match(path)
        return found.groupdict() if found else {}

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and bool(self._pattern.match(path))

    def schema_path(self) -> SchemaPath:
        return api(self.document) / "paths" / self.path / self.method.lower()


def _op(method: str, path: str, document: str, client: str) -> Operation:
    return Operation(method, path, document, client)


# Every Books operation `bridge/clients/books.py` sends (docs/CONTRACTS.md §1). A test checks
# that every public BooksClient method is named here and that the traffic reaches each row.
OPERATIONS: tuple[Operation, ...] = (
    _op("GET", "/organizations", "organizations.yml", "list_organizations"),
    _op("GET", "/organizations/{organization_id}", "organizations.yml", "get_organization"),
    _op("GET", "/settings/currencies", "currency.yml", "list_currencies"),
    _op("GET", "/users/me", "users.yml", "current_user"),
    _op("GET", "/users", "users.yml", "list_users"),
    _op("GET", "/users/{user_id}", "users.yml", "get_user"),
    _op("POST", "/users", "users.yml", "create_user"),
    _op("PUT", "/users/{user_id}", "users.yml", "update_user"),
    _op("POST", "/users/{user_id}/inactive", "users.yml", "mark_user_inactive"),
    _op("GET", "/contacts", "contacts.yml", "list_contacts"),
    _op("GET", "/contacts/{contact_id}", "contacts.yml", "get_contact"),
    _op("POST", "/contacts", "contacts.yml", "create_contact"),
    _op("PUT", "/contacts/{contact_id}", "contacts.yml", "update_contact"),
    _op("GET", "/projects", "projects.yml", "list_projects"),
    _op("GET", "/projects/{project_id}", "projects.yml", "get_project"),
    _op("POST", "/projects", "projects.yml", "create_project"),
    _op("PUT", "/projects/{project_id}", "projects.yml", "update_project"),
    _op("DELETE", "/projects/{project_id}", "projects.yml", "delete_project"),
    _op("GET", "/projects/{project_id}/users", "projects.yml", "list_project_users"),
    _op("POST", "/projects/{project_id}/users", "projects.yml", "add_project_user"),
    _op("GET", "/projects/{project_id}/invoices", "projects.yml", "list_project_invoices"),
    _op("GET", "/projects/{project_id}/tasks", "tasks.yml", "list_tasks"),
    _op("GET", "/projects/{project_id}/tasks/{task_id}", "tasks.yml", "get_task"),
    _op("POST", "/projects/{project_id}/tasks", "tasks.yml", "create_task"),
    _op("PUT", "/projects/{project_id}/tasks/{task_id}", "tasks.yml", "update_task"),
    _op("DELETE", "/projects/{project_id}/tasks/{task_id}", "tasks.yml", "delete_task"),
    _op("GET", "/projects/timeentries", "time-entries.yml", "list_time_entries"),
    _op("GET", "/projects/timeentries/{time_entry_id}", "time-entries.yml", "get_time_entry"),
    _op("POST", "/projects/timeentries", "time-entries.yml", "create_time_entry"),
    _op("PUT", "/projects/timeentries/{time_entry_id}", "time-entries.yml", "update_time_entry"),
    _op("DELETE", "/projects/timeentries/{time_entry_id}", "time-entries.yml",
        "delete_time_entry"),
    _op("GET", "/invoices", "invoices.yml", "list_invoices"),
    _op("GET", "/invoices/{invoice_id}", "invoices.yml", "get_invoice"),
    _op("POST", "/invoices", "invoices.yml", "create_invoice"),
    _op("PUT", "/invoices/{invoice_id}", "invoices.yml", "update_invoice"),
    _op("DELETE", "/invoices/{invoice_id}", "invoices.yml", "delete_invoice"),
    _op("POST", "/invoices/{invoice_id}/status/sent", "invoices.yml", "mark_invoice"),
    _op("POST", "/invoices/{invoice_id}/status/void", "invoices.yml", "mark_invoice"),
    _op("POST", "/invoices/{invoice_id}/status/draft", "invoices.yml", "mark_invoice"),
    _op("GET", "/expenses", "expenses.yml", "list_expenses"),
    _op("GET", "/expenses/{expense_id}", "expenses.yml", "get_expense"),
    _op("POST", "/expenses", "expenses.yml", "create_expense"),
    _op("PUT", "/expenses/{expense_id}", "expenses.yml", "update_expense"),
    _op("DELETE", "/expenses/{expense_id}", "expenses.yml", "delete_expense"),
    _op("GET", "/estimates", "estimates.yml", "list_estimates"),
    _op("GET", "/estimates/{estimate_id}", "estimates.yml", "get_estimate"),
    _op("POST", "/estimates", "estimates.yml", "create_estimate"),
    _op("DELETE", "/estimates/{estimate_id}", "estimates.yml", "delete_estimate"),
    _op("GET", "/bills", "bills.yml", "list_bills"),
    _op("GET", "/bills/{bill_id}", "bills.yml", "get_bill"),
    _op("POST", "/bills", "bills.yml", "create_bill"),
    _op("DELETE", "/bills/{bill_id}", "bills.yml", "delete_bill"),
)


def operation_of(method: str, path: str) -> Operation | None:
    """The table's operation for a concrete call (`path` under /books/v3)."""
    # literal segments first: /projects/timeentries is not /projects/{project_id}
    for op in sorted(OPERATIONS, key=lambda o: o.path.count("{")):
        if op.matches(method, path):
            return op
    return None


# -- loading and the corrections ------------------------------------------------------------
@functools.cache
def raw_document(file: str) -> dict[str, Any]:
    """The document as the vendor ships it (do not mutate: it is shared)."""
    loaded: dict[str, Any] = yaml.load((DOCS / file).read_text(), Loader=_LOADER)
    return loaded


@functools.cache
def document(file: str) -> dict[str, Any]:
    """The document with the known quirks corrected (see the module docstring)."""
    return correct(copy.deepcopy(raw_document(file)), file)


#: what a real `page_context` is (SERVICES.md: an object, `page`/`per_page` numbers)
PAGE_CONTEXT: dict[str, Any] = {
    "type": "object",
    "required": ["page", "per_page", "has_more_page"],
    "properties": {
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "has_more_page": {"type": "boolean"},
    },
}
_DURATIONS = ("log_time", "billed_hours", "un_billed_hours", "total_hours", "budget_hours")


#: money fields; some files type them `integer`, but amounts and rates carry cents
_MONEY = frozenset({"rate", "bcy_rate", "item_total", "sub_total", "total", "balance", "amount",
                    "cost_rate", "cost_amount", "budget_amount", "tax_total", "adjustment",
                    "shipping_charge", "discount_amount", "payment_made", "credits_applied"})


#: quirk key -> the documents `correct()` changed for it (test_quirks checks it against QUIRKS)
APPLIED: dict[str, set[str]] = {}


def _apply(key: str, file: str) -> None:
    if key not in QUIRKS:
        raise KeyError(f"correction {key!r} is not in tests/contract/quirks.py QUIRKS")
    APPLIED.setdefault(key, set()).add(file)


def correct(doc: dict[str, Any], file: str = "") -> dict[str, Any]:
    """Correct the documents' known quirks in place: only those QUIRKS tables, each recorded."""
    schemas = doc.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        schemas[name] = _correct_named(name, schema, file)
    _walk(doc, lambda node: _correct_node(node, file))
    paths = doc.get("paths", {})
    if "/organizations" in paths:
        item = paths["/organizations"]
        item["parameters"] = [
            {**_parameter(doc, p), "required": False} for p in item.get("parameters", [])]
        _apply("organizations_list_needs_org", file)
    users = _body_schema(doc, "/projects/{project_id}/users", "post")
    if users is not None and "cost_rate" in users.get("required", []):
        users["required"] = [r for r in users.get("required", []) if r != "cost_rate"]
        if not users["required"]:
            del users["required"]
        _apply("project_users_cost_rate", file)
    return doc


def _parameter(doc: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in raw:
        found: dict[str, Any] = doc["components"]["parameters"][raw["$ref"].split("/")[-1]]
        return dict(found)
    return dict(raw)


def _body_schema(doc: dict[str, Any], path: str, method: str) -> dict[str, Any] | None:
    """The component an operation's JSON request body names (corrections edit it there)."""
    operation = doc.get("paths", {}).get(path, {}).get(method)
    if not operation or "requestBody" not in operation:
        return None
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        found: dict[str, Any] = doc["components"]["schemas"][schema["$ref"].split("/")[-1]]
        return found
    return dict(schema)


def _fixed(name: str, schema: dict[str, Any], file: str) -> dict[str, Any] | None:
    """The corrected schema of a property or component called `name`, or None (no quirk)."""
    kind = schema.get("type")
    if name == "page_context" and (kind == "array" or _string_paging(schema)):
        _apply("page_context_array", file)
        return _page_context(schema)
    if name in _DURATIONS and kind in ("number", "integer"):
        _apply("duration_as_number", file)
        return {**schema, "type": "string"}
    if name == "log_date" and schema.get("format") != "date":
        _apply("log_date_as_time", file)
        return {**schema, "type": "string", "format": "date"}
    if name in _MONEY and kind == "integer":
        _apply("money_as_integer", file)
        return {**schema, "type": "number"}
    example = schema.get("example")
    if (name in ("total", "balance") and kind == "string" and isinstance(example, (int, float))
            and not isinstance(example, bool)):
        _apply("money_as_string", file)  # the document's own example is a number
        return {**schema, "type": "number"}
    return None


def _string_paging(schema: dict[str, Any]) -> bool:
    props = schema.get("properties") or {}
    return any(isinstance(props.get(k), dict) and props[k].get("type") == "string"
               for k in ("page", "per_page"))


def _correct_named(name: str, schema: Any, file: str) -> Any:
    if not isinstance(schema, dict):
        return schema
    return _fixed(name, schema, file) or schema


def _correct_node(node: dict[str, Any], file: str) -> None:
    props = node.get("properties")
    if not isinstance(props, dict):
        return
    for name, prop in list(props.items()):
        if isinstance(prop, dict) and "$ref" not in prop:
            fixed = _fixed(name, prop, file)
            if fixed is not None:
                props[name] = fixed


def _page_context(schema: dict[str, Any]) -> dict[str, Any]:
    """The object a real page_context is: the array's item object when it draws one, with
    page/per_page/has_more_page as the service sends them (numbers and a boolean)."""
    inner = schema.get("items") if schema.get("type") == "array" else schema
    properties: dict[str, Any] = {}
    if isinstance(inner, dict) and isinstance(inner.get("properties"), dict):
        properties.update(inner["properties"])
    properties.update(PAGE_CONTEXT["properties"])  # quirk: page/per_page typed string in places
    return {**PAGE_CONTEXT, "properties": properties,
            "description": schema.get("description", "The context of a page.")}


def _walk(node: Any, visit: Any) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


@functools.cache
def api(file: str) -> SchemaPath:
    return SchemaPath.from_dict(document(file))


# -- openapi-core adapters --------------------------------------------------------------------
@dataclass
class _Request:
    """openapi-core's Request protocol over an httpx.Request, re-based onto the documents'
    server and pinned to the table's path template (no guessing between templates)."""

    path: str
    path_pattern: str
    method: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None
    host_url: str = SERVER_HOST


@dataclass
class _Response:
    status_code: int
    content_type: str
    data: bytes | None
    headers: Headers = field(default_factory=Headers)


def adapt_request(op: Operation, request: httpx.Request) -> _Request:
    path = request.url.path
    if not path.startswith(PREFIX):
        raise ValueError(f"{path} is not a Books path")
    params = RequestParameters(
        query=ImmutableMultiDict(list(request.url.params.multi_items())),
        header=Headers(list(request.headers.items())),
        path=op.path_values(path.removeprefix(PREFIX)),
    )
    body = request.content or None
    content_type = request.headers.get("content-type", "application/json" if body else "")
    return _Request(path=path, path_pattern=PREFIX + op.path, method=op.method.lower(),
                    parameters=params, content_type=content_type.lower(), body=body)


def adapt_response(response: httpx.Response) -> _Response:
    return _Response(response.status_code,
                     response.headers.get("content-type", "application/json").lower(),
                     response.content, Headers(list(response.headers.items())))


def problems(exc: BaseException) -> list[str]:
    """An openapi-core error as concrete problems: one per schema error under it ("at
    line_items/0/rate: '1.00' is not of type 'number'"), else the error itself."""
    found: list[str] = []
    cause: BaseException | None = exc
    while cause is not None:
        for error in getattr(cause, "schema_errors", None) or ():
            where = "/".join(str(p) for p in getattr(error, "absolute_path", ())) or "(body)"
            found.append(f"at {where}: {getattr(error, 'message', error)}")
        cause = cause.__cause__ or cause.__context__
    return found or [f"{type(exc).__name__}: {exc}"]


@functools.cache
def _request_validators(file: str) -> tuple[Any, ...]:
    spec = api(file)  # security is not checked: openapi-core cannot check oauth2 (it warns)
    return V30RequestParametersValidator(spec), V30RequestBodyValidator(spec)


@functools.cache
def _response_validator(file: str) -> V30ResponseDataValidator:
    return V30ResponseDataValidator(api(file))


def request_errors(op: Operation, request: httpx.Request) -> list[str]:
    """What is wrong with a request against its operation: parameters and body."""
    adapted = adapt_request(op, request)
    errors: list[str] = []
    for validator in _request_validators(op.document):
        for exc in validator.iter_errors(adapted):
            errors.extend(problems(exc))
    return errors


def response_errors(op: Operation, request: httpx.Request, response: httpx.Response) -> list[str]:
    """What is wrong with an answer: its status must be documented and its body match."""
    validator = _response_validator(op.document)
    return [p for exc in validator.iter_errors(adapt_request(op, request),
                                               adapt_response(response)) for p in problems(exc)]


def documented_statuses(op: Operation) -> list[str]:
    return [str(s) for s in document(op.document)["paths"][op.path][op.method.lower()]
            ["responses"]]


def check(file: str, method: str, path: str, answer: httpx.Response) -> None:
    """Assert an answer matches what `file` documents for `method path` (status and body)."""
    op = next((o for o in OPERATIONS if (o.method, o.path, o.document) == (method, path, file)),
              Operation(method, path, file, ""))
    errors = response_errors(op, answer.request, answer)
    assert not errors, f"{method} {path}:\n" + "\n".join(errors)


# -- schemas as plain JSON Schema, and the documented examples ---------------------------------
def resolve(file: str, node: Any, seen: tuple[str, ...] = ()) -> Any:
    """A (corrected) schema with $refs inlined and OpenAPI-only keywords kept as they are."""
    doc = document(file)
    if isinstance(node, list):
        return [resolve(file, n, seen) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].split("/")[-1]
        if name in seen:  # a recursive schema: stop (no Books schema we use recurses)
            return {}
        return resolve(file, doc["components"]["schemas"][name], (*seen, name))
    return {k: resolve(file, v, seen) for k, v in node.items()}


def request_schema(op: Operation) -> dict[str, Any] | None:
    body = document(op.document)["paths"][op.path][op.method.lower()].get("requestBody")
    if not body:
        return None
    schema: dict[str, Any] = resolve(op.document, body["content"]["application/json"]["schema"])
    return schema


def response_schema(op: Operation, status: str) -> dict[str, Any]:
    answer = document(op.document)["paths"][op.path][op.method.lower()]["responses"][status]
    schema: dict[str, Any] = resolve(op.document, answer["content"]["application/json"]["schema"])
    return schema


def parameters(op: Operation) -> list[dict[str, Any]]:
    """The operation's parameters (path-level and its own), $refs inlined."""
    doc = document(op.document)
    item = doc["paths"][op.path]
    out = []
    for raw in [*item.get("parameters", []), *item[op.method.lower()].get("parameters", [])]:
        out.append(resolve(op.document, doc["components"]["parameters"][raw["$ref"].split("/")[-1]]
                           if "$ref" in raw else raw))
    return out


_DIGITS = re.compile(r"^\d+$")
EXAMPLE_ID = "460000000012345"


def example(schema: Any) -> Any:
    """The instance the documented property examples compose (as the vendor's pages show it).

    Quirk: example ids are sometimes names ("Network Distribution" for a project_id); an id
    field's example that is not digits is replaced by a digit id."""
    return _example(schema, "")


def _example(schema: Any, name: str) -> Any:
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "object" or "properties" in schema:
        out = {}
        for key, sub in (schema.get("properties") or {}).items():
            value = _example(sub, key)
            if value is not None:
                out[key] = value
        return out or schema.get("example")
    if schema.get("type") == "array":
        if "items" in schema:
            item = _example(schema["items"], name)
            if item is not None:
                return [item]
        return schema.get("example")
    value = schema.get("example")
    if isinstance(value, str) and not value.strip():
        return None  # quirk: many examples are a lone space (" "): the vendor gave none
    if name.endswith("_id") and isinstance(value, str) and not _DIGITS.match(value):
        return EXAMPLE_ID  # quirk: example ids that are names
    if (name, value) in _WRONG_EXAMPLES:
        return _WRONG_EXAMPLES[name, value]
    return value


#: quirk: examples that do not fit their field, each replaced by one that does
_WRONG_EXAMPLES: dict[tuple[str, Any], Any] = {
    ("rate", "INV-00003"): 120,  # projects.yml: a task's rate shows an invoice number
    ("date", "6:52 PM"): "2013-11-17",  # projects.yml: a project invoice's date shows a time
    ("due_date", "6:52 PM"): "2013-12-03",
    ("date", "27 Dec 2016"): "2016-12-27",  # bills.yml: a vendor credit's date, display text
}


def iter_examples(op: Operation) -> Iterator[tuple[str, Any]]:
    """("request", instance) and ("<status>", instance) for the operation."""
    schema = request_schema(op)
    if schema is not None:
        yield "request", example(schema)
    for status in documented_statuses(op):
        yield status, example(response_schema(op, status))


def envelope_problem(status: int, body: Any) -> str | None:
    """Why a Books error answer is not in the vendor's envelope (None when it is)."""
    if not isinstance(body, Mapping):
        return f"{status}: the body is not a JSON object: {body!r:.200}"
    code, message = body.get("code"), body.get("message")
    if not isinstance(code, int) or isinstance(code, bool) or code == 0:
        return f"{status}: `code` must be a non-zero integer, got {code!r}"
    if not isinstance(message, str) or not message:
        return f"{status}: `message` must be a non-empty string, got {message!r}"
    return None
