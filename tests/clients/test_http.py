"""ServiceHttp: retries, waits, error mapping, no httpx exception escaping."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from bridge.clients import CallEvent, RetryPolicy, ServiceHttp, books_limiter
from bridge.clock import FakeClock
from bridge.errors import NotFound, RateLimited, ServiceError, ServiceTimeout

from ._support import Handler, books_http, projects_http, reply

OK = {"code": 0, "message": "success", "invoice": {"invoice_id": "1"}}


def scripted(*answers: httpx.Response | Exception) -> tuple[list[httpx.Request], Handler]:
    """A handler giving `answers` in turn (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return seen, handler


def test_429_retry_after_is_honoured(clock: FakeClock) -> None:
    seen, handler = scripted(
        reply(429, {"code": 1070, "message": "Too many requests in flight"}, {"Retry-After": "7"}),
        reply(429, {"code": 1070, "message": "Too many requests in flight"}, {"Retry-After": "3"}),
        reply(200, OK),
    )
    http = books_http(handler, clock)
    assert http.request("GET", "/invoices/1") == OK
    assert len(seen) == 3
    assert clock.slept == [7.0, 3.0]


def test_retry_after_as_http_date(clock: FakeClock) -> None:
    when = (clock.now() + dt.timedelta(seconds=20)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    _, handler = scripted(
        reply(429, {"code": 44, "message": "slow down"}, {"Retry-After": when}), reply(200, OK)
    )
    books_http(handler, clock).request("GET", "/invoices/1")
    assert clock.slept == [20.0]


def test_books_per_minute_without_retry_after_waits_a_minute(clock: FakeClock) -> None:
    _, handler = scripted(reply(429, {"code": 44, "message": "100 per minute"}), reply(200, OK))
    books_http(handler, clock).request("GET", "/invoices/1")
    assert clock.slept == [60.0]


def test_500_on_get_backs_off_exponentially_with_seeded_jitter(clock: FakeClock) -> None:
    seen, handler = scripted(
        *(reply(500, {"code": 1000, "message": "Internal error"}) for _ in range(3)), reply(200, OK)
    )
    policy = RetryPolicy(max_attempts=5, backoff_base=1.0, backoff_cap=60.0, jitter=0.1, seed=7)
    books_http(handler, clock, retry=policy).request("GET", "/invoices/1")
    assert len(seen) == 4
    for n, slept in enumerate(clock.slept, start=1):
        assert 2 ** (n - 1) <= slept <= 2 ** (n - 1) * 1.1
    again = FakeClock(clock.now())
    _, handler2 = scripted(
        *(reply(500, {"code": 1000, "message": "x"}) for _ in range(3)), reply(200, OK)
    )
    books_http(handler2, again, retry=policy).request("GET", "/invoices/1")
    assert again.slept == clock.slept  # same seed, same waits


def test_retries_give_up_with_the_last_error(clock: FakeClock) -> None:
    seen, handler = scripted(reply(503, {"code": 1000, "message": "Internal error"}))
    with pytest.raises(ServiceError) as info:
        books_http(handler, clock, retry=RetryPolicy(max_attempts=3)).request("GET", "/invoices")
    assert len(seen) == 3
    assert (
        "Books GET /invoices failed (HTTP 503, code 1000): Internal error; gave up after 3 attempts"
        in str(info.value)
    )


def test_daily_cap_raises_at_once_with_the_resume_time(clock: FakeClock) -> None:
    seen, handler = scripted(
        reply(
            429, {"code": 45, "message": "You have exceeded the maximum call rate limit of 2000."}
        )
    )
    limiter = books_limiter("600001", clock)
    with pytest.raises(RateLimited) as info:
        books_http(handler, clock, limiter=limiter).request("GET", "/invoices")
    assert len(seen) == 1 and clock.slept == []
    midnight = dt.datetime(2026, 1, 6, tzinfo=dt.UTC)
    assert info.value.resume_at == midnight
    assert info.value.code == 45 and info.value.call == "GET /invoices"
    assert "2026-01-06T00:00:00+00:00" in str(info.value)
    # ... and the limiter now knows the day is spent: the next call is refused before sending
    with pytest.raises(RateLimited):
        books_http(handler, clock, limiter=limiter).request("GET", "/contacts")
    assert len(seen) == 1


def test_a_long_retry_after_is_not_slept_through(clock: FakeClock) -> None:
    seen, handler = scripted(
        reply(429, {"error": {"code": 6429, "message": "Locked out"}}, {"Retry-After": "1800"})
    )
    http = projects_http(handler, clock, retry=RetryPolicy(max_wait=600))
    with pytest.raises(RateLimited) as info:
        http.request("GET", "/portal/1/projects/")
    assert clock.slept == [] and len(seen) == 1
    assert info.value.resume_at == clock.now() + dt.timedelta(seconds=1800)
    assert "Locked out" in str(info.value)


def test_timeout_surfaces_as_service_timeout_naming_service_and_call(clock: FakeClock) -> None:
    seen, handler = scripted(httpx.ReadTimeout("timed out"))
    http = books_http(handler, clock, retry=RetryPolicy(max_attempts=3), timeout=12)
    with pytest.raises(ServiceTimeout) as info:
        http.request("GET", "/invoices", params={"organization_id": "1"})
    assert len(seen) == 3
    text = str(info.value)
    assert text.startswith("Books GET /invoices failed")
    assert "no answer within 12 s (ReadTimeout)" in text and "gave up after 3 attempts" in text


def test_post_without_guard_is_not_resent_after_a_timeout(clock: FakeClock) -> None:
    seen, handler = scripted(httpx.ReadTimeout("timed out"), reply(201, OK))
    with pytest.raises(ServiceTimeout) as info:
        books_http(handler, clock).request("POST", "/projects/1/tasks", json={})
    assert len(seen) == 1
    assert "not resent: the write may have landed" in str(info.value)
    assert info.value.hint


def test_post_is_resent_when_the_connection_was_never_made(clock: FakeClock) -> None:
    seen, handler = scripted(
        httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), reply(201, OK)
    )
    assert books_http(handler, clock).request("POST", "/projects/1/tasks", json={}) == OK
    assert len(seen) == 3


def test_non_zero_code_under_http_200_is_an_error(clock: FakeClock) -> None:
    _, handler = scripted(reply(200, {"code": 4, "message": "Invalid value passed for rate"}))
    with pytest.raises(ServiceError) as info:
        books_http(handler, clock).request("PUT", "/invoices/1", json={})
    assert info.value.code == 4 and info.value.status == 200
    assert (
        str(info.value)
        == "Books PUT /invoices/1 failed (HTTP 200, code 4): Invalid value passed for rate"
    )


def test_not_found_in_both_dialects(clock: FakeClock) -> None:
    _, books = scripted(reply(404, {"code": 1002, "message": "Invoice does not exist."}))
    with pytest.raises(NotFound, match="Books GET /invoices/9 failed .*Invoice does not exist"):
        books_http(books, clock).request("GET", "/invoices/9")
    _, projects = scripted(reply(404, {"error": {"code": 6404, "message": "Resource Not Found"}}))
    with pytest.raises(NotFound) as info:
        projects_http(projects, clock).request("GET", "/portal/1/projects/9/")
    assert info.value.code == 6404 and "Resource Not Found" in str(info.value)


def test_400_is_not_retried_and_names_the_field(clock: FakeClock) -> None:
    seen, handler = scripted(
        reply(400, {"error": {"code": 6400, "message": "Invalid value for hours"}})
    )
    with pytest.raises(
        ServiceError, match="Projects POST /portal/1/projects/2/logs/ failed .*hours"
    ):
        projects_http(handler, clock).request(
            "POST", "/portal/1/projects/2/logs/", data={"hours": "x"}
        )
    assert len(seen) == 1 and clock.slept == []


@pytest.mark.parametrize(
    "exc",
    [
        httpx.RemoteProtocolError("peer closed"),
        httpx.ReadError("reset"),
        httpx.UnsupportedProtocol("gopher"),
        httpx.LocalProtocolError("bad"),
        httpx.DecodingError("gzip"),
        httpx.TooManyRedirects("loop"),
        httpx.PoolTimeout("pool"),
        httpx.WriteTimeout("write"),
    ],
)
def test_no_httpx_exception_escapes(clock: FakeClock, exc: Exception) -> None:
    _, handler = scripted(exc)
    http = books_http(handler, clock, retry=RetryPolicy(max_attempts=2))
    for method in ("GET", "POST"):
        with pytest.raises(ServiceError) as info:
            http.request(method, "/invoices", json={} if method == "POST" else None)
        assert info.value.service == "Books" and info.value.call == f"{method} /invoices"
        assert not isinstance(info.value.__cause__, httpx.HTTPError)


def test_a_non_json_answer_is_an_error(clock: FakeClock) -> None:
    _, handler = scripted(httpx.Response(502, text="<html>Bad gateway</html>"))
    with pytest.raises(ServiceError, match="Bad gateway"):
        books_http(handler, clock, retry=RetryPolicy(max_attempts=1)).request("GET", "/invoices")
    _, handler = scripted(httpx.Response(200, text="not json"))
    with pytest.raises(ServiceError, match="not a JSON object"):
        books_http(handler, clock).request("GET", "/invoices")


def test_delete_that_landed_before_a_500_counts_as_done(clock: FakeClock) -> None:
    seen, handler = scripted(
        reply(500, {"code": 1000, "message": "Internal error"}),
        reply(404, {"code": 1002, "message": "Invoice does not exist."}),
    )
    assert books_http(handler, clock).request("DELETE", "/invoices/1") == {}
    assert len(seen) == 2


def test_204_is_an_empty_body(clock: FakeClock) -> None:
    _, handler = scripted(httpx.Response(204))
    assert projects_http(handler, clock).request("GET", "/portal/1/users/") == {}


def test_the_recorder_sees_every_attempt(clock: FakeClock) -> None:
    events: list[CallEvent] = []
    _, handler = scripted(reply(500, {"code": 1000, "message": "x"}), reply(200, OK))
    books_http(handler, clock, recorder=events.append).request("GET", "/invoices/1")
    assert [(e.call, e.attempt, e.status, e.outcome) for e in events] == [
        ("GET /invoices/1", 1, 500, "retry"),
        ("GET /invoices/1", 2, 200, "ok"),
    ]


def test_timeouts_are_always_set(clock: FakeClock) -> None:
    seen, handler = scripted(reply(200, OK))
    books_http(handler, clock, timeout=9).request("GET", "/invoices/1")
    assert seen[0].extensions["timeout"] == {"connect": 9, "read": 9, "write": 9, "pool": 9}


def test_base_url_path_is_kept(clock: FakeClock) -> None:
    seen, handler = scripted(reply(200, OK))
    http = ServiceHttp(
        "Books", "https://x.test/books/v3/", transport=httpx.MockTransport(handler), clock=clock
    )
    http.request("GET", "/invoices", params={"organization_id": "5", "skip": None})
    assert str(seen[0].url) == "https://x.test/books/v3/invoices?organization_id=5"


def test_live_transport_takes_the_proxy_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.clients._http import env_proxy

    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert env_proxy("https://www.zohoapis.com/books/v3") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert env_proxy("https://www.zohoapis.com/books/v3") == "http://proxy.example:3128"
    assert env_proxy("http://127.0.0.1:8080") is None  # HTTPS_PROXY is for https only
    monkeypatch.setenv("NO_PROXY", "zohoapis.com")
    assert env_proxy("https://www.zohoapis.com/books/v3") is None
