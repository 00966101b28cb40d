"""BooksClient: organization_id on every call, paging, guarded creates."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from bridge.clients import BooksClient, RetryPolicy
from bridge.clock import FakeClock
from bridge.errors import ServiceError, ServiceTimeout

from ._support import ORG, FakeBooks, books_http, reply


def client(fake: FakeBooks, clock: FakeClock, **kw: object) -> BooksClient:
    return BooksClient(books_http(fake, clock, **kw), ORG)


def test_lists_page_until_has_more_page_is_false(clock: FakeClock) -> None:
    fake = FakeBooks(
        records={"contacts": [{"contact_id": str(i), "contact_name": f"C{i}"} for i in range(450)]}
    )
    contacts = list(client(fake, clock).list_contacts())
    assert [c["contact_id"] for c in contacts] == [str(i) for i in range(450)]
    assert [(r.url.params["page"], r.url.params["per_page"]) for r in fake.calls] == [
        ("1", "200"),
        ("2", "200"),
        ("3", "200"),
    ]
    assert all(r.url.params["organization_id"] == ORG for r in fake.calls)


def test_list_stops_on_one_page_without_page_context(clock: FakeClock) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return reply(
            200, {"code": 0, "message": "success", "currencies": [{"currency_code": "EUR"}]}
        )

    books = BooksClient(books_http(handler, clock), ORG)
    assert list(books.list_currencies()) == [{"currency_code": "EUR"}]
    assert len(calls) == 1


def test_filters_are_passed_and_encoded(clock: FakeClock) -> None:
    fake = FakeBooks()
    list(
        client(fake, clock).list_time_entries(
            project_id="7", filter_by="Status.Unbilled", from_date=dt.date(2026, 1, 2), user_id=None
        )
    )
    params = dict(fake.calls[0].url.params)
    assert params == {
        "project_id": "7",
        "filter_by": "Status.Unbilled",
        "from_date": "2026-01-02",
        "organization_id": ORG,
        "page": "1",
        "per_page": "200",
    }


@pytest.mark.parametrize("kind", ["500", "timeout"])
def test_guard_prevents_a_duplicate_invoice_when_the_write_landed(
    clock: FakeClock, kind: str
) -> None:
    fake = FakeBooks(write_then_fail=1, fail_kind=kind)
    made = client(fake, clock).create_invoice(
        {
            "customer_id": "c1",
            "reference_number": "PRJ-INV-1",
            "line_items": [{"rate": Decimal("12.50"), "quantity": 2}],
        }
    )
    assert len(fake.records["invoices"]) == 1
    assert made == fake.records["invoices"][0]
    assert fake.posts() == 1  # looked up, not resent


def test_guard_resends_when_the_write_did_not_land(clock: FakeClock) -> None:
    fake = FakeBooks(fail_before_write=2)
    made = client(fake, clock).create_expense({"amount": 10, "reference_number": "EXP-9"})
    assert len(fake.records["expenses"]) == 1 and made["reference_number"] == "EXP-9"
    assert fake.posts() == 3


def test_guard_matches_the_reference_exactly(clock: FakeClock) -> None:
    # The service filter may be a "contains": an older EST-10 must not pass for EST-1.
    fake = FakeBooks(
        records={"estimates": [{"estimate_id": "1", "reference_number": "EST-10"}]},
        write_then_fail=1,
    )

    def loose(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            fake.calls.append(request)
            rows = [r for r in fake.records["estimates"] if "EST-1" in r["reference_number"]]
            return reply(
                200, {"code": 0, "estimates": rows, "page_context": {"has_more_page": False}}
            )
        return fake(request)

    books = BooksClient(books_http(loose, clock), ORG)
    made = books.create_estimate({"customer_id": "c", "reference_number": "EST-1"})
    assert made["reference_number"] == "EST-1"
    assert len(fake.records["estimates"]) == 2


def test_each_guarded_create_kind(clock: FakeClock) -> None:
    fake = FakeBooks(write_then_fail=5)
    books = client(fake, clock)
    books.create_bill({"vendor_id": "v", "bill_number": "B1", "reference_number": "BILL-1"})
    books.create_contact({"contact_name": "Acme", "currency_code": "EUR"})
    books.create_user({"name": "Ann", "email": "Ann@Example.com"})
    books.create_time_entry(
        {"project_id": "p", "user_id": "u", "notes": "work plog:55"}, marker="plog:55"
    )
    books.create_estimate({"customer_id": "c", "reference_number": "EST-1"})
    assert {k: len(v) for k, v in fake.records.items()} == {
        "bills": 1,
        "contacts": 1,
        "users": 1,
        "projects/timeentries": 1,
        "estimates": 1,
    }
    assert fake.posts() == 5


def test_a_create_without_a_key_is_not_resent(clock: FakeClock) -> None:
    fake = FakeBooks(write_then_fail=1)
    with pytest.raises(ServiceError, match="not resent: the write may have landed"):
        client(fake, clock).create_invoice({"customer_id": "c1"})
    with pytest.raises(ServiceTimeout):
        client(FakeBooks(write_then_fail=1, fail_kind="timeout"), clock).create_time_entry(
            {"notes": "x"}
        )
    assert fake.posts() == 1


def test_the_time_entry_marker_must_be_in_the_notes(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="notes"):
        client(FakeBooks(), clock).create_time_entry({"notes": "no marker"}, marker="plog:1")


def test_payload_is_json_with_books_types(clock: FakeClock) -> None:
    fake = FakeBooks()
    client(fake, clock).create_invoice(
        {
            "customer_id": "c",
            "reference_number": "R",
            "date": dt.date(2026, 1, 5),
            "line_items": [{"rate": Decimal("12.50"), "quantity": Decimal(2)}],
        }
    )
    sent = fake.calls[0]
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == {
        "customer_id": "c",
        "reference_number": "R",
        "date": "2026-01-05",
        "line_items": [{"rate": 12.5, "quantity": 2}],
    }
    assert sent.url.params["organization_id"] == ORG


def test_create_user_reads_back_when_the_answer_has_no_user(clock: FakeClock) -> None:
    users: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            users.append({**json.loads(request.content), "user_id": "u1"})
            return reply(200, {"code": 0, "message": "The user has been added."})
        return reply(200, {"code": 0, "users": users, "page_context": {"has_more_page": False}})

    made = BooksClient(books_http(handler, clock), ORG).create_user(
        {"name": "Ann", "email": "ann@example.com"}
    )
    assert made["user_id"] == "u1"


def test_paths_and_methods(clock: FakeClock) -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path.removeprefix("/books/v3")))
        assert request.url.params["organization_id"] == ORG
        body = {
            "code": 0,
            "message": "ok",
            "organization": {},
            "user": {},
            "invoice": {},
            "project": {},
            "task": {},
            "time_entry": {},
            "contact": {},
            "expense": {},
            "users": [{"user_id": "u"}],
        }
        return reply(200, body)

    books = BooksClient(books_http(handler, clock), ORG)
    books.get_organization()
    books.current_user()
    books.mark_user_inactive("u")
    books.update_contact("c", {})
    books.update_project("p", {})
    books.add_project_user("p", {"users": [{"user_id": "u"}]})
    books.update_task("p", "t", {})
    books.update_time_entry("e", {})
    books.mark_invoice("i", "sent")
    books.update_invoice("i", {})
    books.delete_invoice("i")
    books.update_expense("x", {})
    assert seen == [
        ("GET", f"/organizations/{ORG}"),
        ("GET", "/users/me"),
        ("POST", "/users/u/inactive"),
        ("PUT", "/contacts/c"),
        ("PUT", "/projects/p"),
        ("POST", "/projects/p/users"),
        ("PUT", "/projects/p/tasks/t"),
        ("PUT", "/projects/timeentries/e"),
        ("POST", "/invoices/i/status/sent"),
        ("PUT", "/invoices/i"),
        ("DELETE", "/invoices/i"),
        ("PUT", "/expenses/x"),
    ]
    with pytest.raises(ValueError):
        books.mark_invoice("i", "paid")


def test_status_changes_are_resent_after_a_500(clock: FakeClock) -> None:
    answers = iter(
        [
            reply(500, {"code": 1000, "message": "Internal error"}),
            reply(200, {"code": 0, "message": "ok"}),
        ]
    )
    books = BooksClient(
        books_http(lambda _r: next(answers), clock, retry=RetryPolicy(jitter=0)), ORG
    )
    books.mark_invoice("i", "void")
    assert clock.slept == [1.0]


def test_a_failing_lookup_names_the_write(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return reply(500, {"code": 1000, "message": "Internal error"})

    books = BooksClient(books_http(handler, clock, retry=RetryPolicy(max_attempts=2)), ORG)
    with pytest.raises(ServiceError) as info:
        books.create_invoice({"customer_id": "c", "reference_number": "R-1"})
    assert info.value.call == "POST /invoices"
    assert "the write may have landed and the check failed (GET /invoices" in str(info.value)
    assert info.value.hint
