"""A process killed between claiming tasks and making its invoice leaves claims nobody will
release (L8, E9). The next invoice (or legacy sync) releases those of a dead holder when
Books has no invoice under the claim, so the tasks invoice again; a claim whose invoice did
reach Books keeps its tasks billed. Killed for real: a forked child SIGKILLs itself."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

import bridge.billing.claims
from bridge.billing.claims import settle_stale_claims
from bridge.billing.lines import claim_keys
from bridge.domain import Side, TxnKind
from bridge.errors import AlreadyInvoiced, BridgeError
from bridge.modes import MODES, open_integration
from bridge.scenarios.replay import replay
from bridge.store.tables import BilledTask

pytestmark = pytest.mark.store

PROJECT, CUSTOMER = "1600000000001", "2317000000040001"  # small-agency: a project with billable time


def _ready(make_world: Any, mode: str) -> tuple[Any, Any]:
    world = make_world("small-agency")
    integration = open_integration(mode, world.ctx)
    # connect, sync, complete a task, log time on it, sync: the project has work to invoice
    replay({**world.scenario, "operations": world.scenario["operations"][:5]}, integration, world.ctx)
    return world, integration


def _killed_while_invoicing(world: Any, mode: str, after_books: bool,
                            act: Callable[[Any], object] | None = None) -> int:
    """In a forked child: run `act(integration)` (default: invoice the project from Books)
    and SIGKILL at the Books invoice create (before it when `after_books` is false, right
    after it otherwise). Returns the child's pid."""
    child = os.fork()
    if child == 0:
        try:
            from bridge.store import Store
            from sandbox.wiring import sandbox_context

            ctx = sandbox_context(world.sandbox, Store.open(world.store_url), clock=world.ctx.clock,
                                  secrets=world.ctx.secrets)
            create = ctx.books.create_invoice

            def dying(payload: Any) -> Any:
                if after_books:
                    create(payload)
                os.kill(os.getpid(), signal.SIGKILL)

            ctx.books.create_invoice = dying  # type: ignore[method-assign]
            integration = open_integration(mode, ctx)
            if act is None:
                integration.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)
            else:
                act(integration)
        finally:
            os._exit(3)  # not reached: the child dies at the Books create
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == -signal.SIGKILL
    return child


def _claims(world: Any) -> list[BilledTask]:
    with world.ctx.store.session() as s:
        return list(s.execute(select(BilledTask).where(BilledTask.state == "claimed")).scalars())


@pytest.mark.parametrize("mode", MODES)
def test_claims_of_a_run_killed_before_its_invoice_are_released_and_invoice_again(
        make_world: Any, mode: str) -> None:
    world, integration = _ready(make_world, mode)
    child = _killed_while_invoicing(world, mode, after_books=False)
    stuck = _claims(world)
    assert stuck and {c.holder for c in stuck} == {f"{socket.gethostname()}:{child}"}
    invoice = integration.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)
    assert {c.task_id for c in stuck} <= set(claim_keys(invoice.lines))  # tasks and expense keys
    assert _claims(world) == []
    assert len(list(world.ctx.books.list_invoices())) == 1


@pytest.mark.parametrize("mode", MODES)
def test_claims_whose_invoice_reached_books_keep_their_tasks_billed(make_world: Any, mode: str) -> None:
    world, integration = _ready(make_world, mode)
    _killed_while_invoicing(world, mode, after_books=True)
    stuck = _claims(world)
    [made] = list(world.ctx.books.list_invoices())
    assert {c.invoice_id for c in stuck} == {made["reference_number"]}
    with pytest.raises(BridgeError):  # nothing left to bill: those tasks are in the Books invoice
        integration.create_invoice(PROJECT, CUSTOMER, Side.PROJECTS)
    assert {c.task_id for c in _claims(world)} == {c.task_id for c in stuck}
    assert len(list(world.ctx.books.list_invoices())) == 1


def _claim(store: Any, task: str, claim: str, holder: str | None, at: dt.datetime) -> None:
    with store.session() as s:
        s.add(BilledTask(connection_id=1, task_id=task, invoice_id=claim, side="books", state="claimed",
                         billed_at=at, holder=holder))


def test_only_dead_or_day_old_holders_are_released(make_world: Any) -> None:
    world, _ = _ready(make_world, "enhanced")
    store, now = world.ctx.store, dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC)
    host = socket.gethostname()
    _claim(store, "t-alive", "C-alive", f"{host}:{os.getpid()}", now)
    _claim(store, "t-elsewhere", "C-elsewhere", "other-host:1", now - dt.timedelta(hours=2))
    _claim(store, "t-old", "C-old", "other-host:1", now - dt.timedelta(hours=25))
    _claim(store, "t-unknown-old", "C-unknown-old", None, now - dt.timedelta(days=3))
    asked: list[str] = []

    def exists(claim: str) -> bool:
        asked.append(claim)
        return False

    assert settle_stale_claims(store, 1, now, exists) == ["C-old", "C-unknown-old"]
    assert sorted(asked) == ["C-old", "C-unknown-old"]  # Books is asked only about abandoned claims
    assert {c.task_id for c in _claims(world)} == {"t-alive", "t-elsewhere"}


def _race_before_claim(monkeypatch: pytest.MonkeyPatch, world: Any, winner: BilledTask) -> None:
    """The racing winner's claim lands between the loser's choice of lines and its own claim."""
    real = bridge.billing.claims.claim_tasks

    def racing(*args: Any, **kwargs: Any) -> None:
        with world.ctx.store.session() as s:
            s.merge(winner)
        real(*args, **kwargs)
    monkeypatch.setattr(bridge.billing.claims, "claim_tasks", racing)


@pytest.mark.parametrize("mode", MODES)
def test_an_expense_a_racing_invoice_claimed_first_is_not_billed_again(
        make_world: Any, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Expenses are claimed with the tasks (`expense:<id>` keys), so the loser of a race for
    one expense is refused before any remote write, as for a task (L8 for expenses)."""
    world, integration = _ready(make_world, mode)
    racer = dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC)
    # the winner of the race claims the stock-photo expense after this invoice chose its lines
    _race_before_claim(monkeypatch, world, BilledTask(
        connection_id=1, task_id="expense:2000000000001", invoice_id="RACER-1", side="projects",
        state="claimed", billed_at=racer, holder=f"{socket.gethostname()}:{os.getpid()}"))
    with pytest.raises(AlreadyInvoiced, match=r"expense 2000000000001 \(invoiced from projects\)"):
        integration.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)
    assert list(world.ctx.books.list_invoices()) == []
    assert [c.invoice_id for c in _claims(world)] == ["RACER-1"]  # the loser's claims went with it


def test_a_legacy_draft_finalized_claims_the_expenses_it_gains(
        make_world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world, integration = _ready(make_world, "legacy")
    draft = integration.create_invoice(PROJECT, None, Side.BOOKS)  # no customer: a local draft
    assert draft.status == "draft" and not any(ln.expense_id for ln in draft.lines)
    _race_before_claim(monkeypatch, world, BilledTask(
        connection_id=1, task_id="expense:2000000000001", invoice_id="RACER-1", side="books",
        state="billed", billed_at=dt.datetime(2026, 1, 20, tzinfo=dt.UTC)))
    with pytest.raises(AlreadyInvoiced, match="expense 2000000000001"):
        integration.finalize_invoice(draft.invoice_id, CUSTOMER)
    assert list(world.ctx.books.list_invoices()) == []
    assert [(t.transaction_id, t.status) for t in integration.transactions(PROJECT)
            if t.kind is TxnKind.INVOICE] == [(draft.invoice_id, "draft")]
    with world.ctx.store.session() as s:  # the draft's task claims are untouched
        kept = set(s.execute(select(BilledTask.task_id).where(BilledTask.invoice_id == draft.invoice_id)).scalars())
    assert kept == {ln.task_id for ln in draft.lines if ln.task_id}


def test_a_finalize_killed_after_books_keeps_the_expenses_it_billed(make_world: Any) -> None:
    """A draft's claims are keyed by its local id, whose Books reference is the claim inside
    it: a finalize killed after the Books invoice was made leaves its expense claims alone."""
    world, integration = _ready(make_world, "legacy")
    draft = integration.create_invoice(PROJECT, None, Side.BOOKS)
    _killed_while_invoicing(world, "legacy", after_books=True,
                            act=lambda integ: integ.finalize_invoice(draft.invoice_id, CUSTOMER))
    assert [c.task_id for c in _claims(world)] == ["expense:2000000000001"]
    # the next invoice settles stale claims first: this one's invoice reached Books, so the
    # expense stays claimed (the tasks are the draft's: nothing is left to bill)
    with pytest.raises(AlreadyInvoiced):
        integration.create_invoice(PROJECT, CUSTOMER, Side.BOOKS)
    assert [c.task_id for c in _claims(world)] == ["expense:2000000000001"]
    assert len(list(world.ctx.books.list_invoices())) == 1
