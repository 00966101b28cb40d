"""Helpers for the legacy tests: credentials from a scenario, a connected legacy world."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.domain import Credentials
from bridge.modes import open_integration


def credentials(scenario: dict[str, Any], user_id: str) -> Credentials:
    user = next(u for u in scenario["projects"]["users"] if u["id"] == user_id)
    return Credentials(user["email"], user["zsc_key"])


def first_connect(scenario: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = next(o for o in scenario["operations"] if o["op"] == "connect")
    return op


@dataclass
class Legacy:
    world: Any
    integration: Any

    @property
    def ctx(self) -> Any:
        return self.world.ctx

    @property
    def scenario(self) -> dict[str, Any]:
        return self.world.scenario  # type: ignore[no-any-return]

    @property
    def owner(self) -> Credentials:
        return credentials(self.scenario, first_connect(self.scenario)["user_id"])

    @property
    def portal_id(self) -> str:
        return str(first_connect(self.scenario)["portal_id"])

    def projects(self) -> Any:
        """The Projects client of the connection (as the owner, on the portal)."""
        return self.ctx.projects_for(self.owner, self.portal_id)

    def books_invoices(self) -> list[dict[str, Any]]:
        return list(self.ctx.books.list_invoices())

    def books_expenses(self) -> list[dict[str, Any]]:
        return list(self.ctx.books.list_expenses())




# --- racing invoicers (L8 concurrency) ----------------------------------------------------

RaceResult = tuple[str, str]  # ("ok", invoice id) | ("AlreadyInvoiced", message) | ("error", text)


@dataclass(frozen=True)
class RaceSetup:
    """What a racer needs to build its own Context: the shared store and sandbox file."""

    store_url: str
    sandbox_path: str
    secrets_path: str
    today: str
    side: str
    project_id: str
    customer_id: str


def open_racer(setup: RaceSetup) -> Any:
    """A legacy integration on its own Context, Store and Sandbox handle (same files)."""
    import datetime as dt
    from pathlib import Path

    from bridge.clock import FakeClock
    from bridge.secrets import FileSecrets
    from bridge.store import Store
    from sandbox import Sandbox
    from sandbox.wiring import sandbox_context

    clock = FakeClock(dt.datetime.fromisoformat(setup.today + "T10:00:00+00:00"))
    sandbox = Sandbox(Path(setup.sandbox_path), clock=clock)
    ctx = sandbox_context(sandbox, Store.open(setup.store_url), clock=clock,
                          secrets=FileSecrets(Path(setup.secrets_path)))
    return open_integration("legacy", ctx)


def race_once(integration: Any, setup: RaceSetup) -> RaceResult:
    from bridge.domain import Side
    from bridge.errors import AlreadyInvoiced

    try:
        inv = integration.create_invoice(setup.project_id, setup.customer_id, Side(setup.side))
        return ("ok", inv.invoice_id)
    except AlreadyInvoiced as exc:
        return ("AlreadyInvoiced", exc.message)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the round
        return ("error", f"{type(exc).__name__}: {exc}")


def racer(setup: RaceSetup, conn: Any, barrier: Any) -> None:
    """Serve rounds: each message is the round's time (a reseeded sandbox makes every client
    mint a token again, and the accounts server allows 10 mints per 10 minutes: each round
    is 11 minutes later); wait at the barrier with the other racer, invoice, answer the
    outcome. A None message ends it."""
    integration = open_racer(setup)
    conn.send(("ready", ""))
    while (when := conn.recv()) is not None:
        integration.ctx.clock.set(when)
        barrier.wait(timeout=30)
        conn.send(race_once(integration, setup))
    integration.ctx.store.close()
