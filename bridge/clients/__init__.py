"""Clients of the two services, and what they share.

    http = ServiceHttp("Books", Endpoints.zoho().books, auth=OAuthTokenSource(...),
                       clock=clock, limiter=books_limiter(org_id, clock, usage=StoreUsage(store)))
    books = BooksClient(http, org_id)

`ServiceHttp` owns transport, auth, pacing (via the limiter), retries, idempotency guards
and error mapping; `BooksClient` / `ProjectsClient` only name paths and payloads.
"""

from bridge.clients._backoff import RetryPolicy
from bridge.clients._http import CallEvent, CallRecorder, Guard, ServiceHttp
from bridge.clients.auth import AuthProvider, OAuthTokenSource, StaticTokenAuth
from bridge.clients.books import BooksClient
from bridge.clients.endpoints import Endpoints
from bridge.clients.limits import (
    BOOKS_PLANS,
    LimiterPool,
    Limits,
    RateLimiter,
    books_limiter,
    books_limits,
    projects_limiter,
    projects_limits,
)
from bridge.clients.projects import SANDBOX_ONLY, ProjectsClient
from bridge.clients.projects_shapes import timelogs as flatten_timelogs
from bridge.clients.usage import MemoryUsage, StoreUsage, UsageStore

__all__ = [
    "BOOKS_PLANS",
    "SANDBOX_ONLY",
    "AuthProvider",
    "BooksClient",
    "CallEvent",
    "CallRecorder",
    "Endpoints",
    "Guard",
    "LimiterPool",
    "Limits",
    "MemoryUsage",
    "OAuthTokenSource",
    "ProjectsClient",
    "RateLimiter",
    "RetryPolicy",
    "ServiceHttp",
    "StaticTokenAuth",
    "StoreUsage",
    "UsageStore",
    "books_limiter",
    "books_limits",
    "flatten_timelogs",
    "projects_limiter",
    "projects_limits",
]
