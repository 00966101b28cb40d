"""Issue 14: the capability matrix, the refusal of sandbox-only operations under --target live
before any call, sandbox tools staying in the sandbox, and the matrix in doctor and README."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from bridge import capabilities
from bridge.capabilities import OPERATIONS, SANDBOX_ONLY, SERVICE_OPS
from bridge.cli.main import cli
from bridge.clock import FakeClock
from bridge.context import Context
from bridge.domain import Credentials, Side
from bridge.errors import NotInPublicApi
from bridge.store import Store
from sandbox import Sandbox
from sandbox.wiring import sandbox_context

README = Path(__file__).resolve().parents[1] / "README.md"
DAY = dt.date(2026, 1, 5)


class NoCalls(httpx.BaseTransport):
    """A transport that fails the test on any request: a refusal must come before any call."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url}")
        raise AssertionError(f"a request was sent: {request.method} {request.url}")


def _legacy(ctx: Context) -> Any:
    from legacy.integration import LegacyIntegration

    return LegacyIntegration(ctx)


def _enhanced(ctx: Context) -> Any:
    from enhanced.integration import EnhancedIntegration

    return EnhancedIntegration(ctx)


def _migrate_run(ctx: Context) -> Any:
    from migrate.run import run_migration

    return run_migration(ctx, services=True)


def _migrate_verify(ctx: Context) -> Any:
    from migrate.verify import verify_migration

    return verify_migration(ctx, services=True)


#: one way to ask for each operation that cannot run live, as the CLI would
DRIVERS: dict[str, Callable[[Context], Any]] = {
    "legacy: sync": lambda c: _legacy(c).sync(),
    "legacy: create_invoice --side books": lambda c: _legacy(c).create_invoice("P1", None, Side.BOOKS),
    "legacy: create_invoice --side projects": lambda c: _legacy(c).create_invoice("P1", None, Side.PROJECTS),
    "legacy: finalize": lambda c: _legacy(c).finalize_invoice("I1", "C1"),
    "legacy: record_expense --side projects": lambda c: _legacy(c).record_expense(
        "P1", Decimal(5), DAY, None, "", Side.PROJECTS),
    "enhanced: create_invoice --side projects": lambda c: _enhanced(c).create_invoice("P1", None, Side.PROJECTS),
    "enhanced: record_expense --side projects": lambda c: _enhanced(c).record_expense(
        "P1", Decimal(5), DAY, None, "", Side.PROJECTS),
    "enhanced: create_estimate --side projects": lambda c: _enhanced(c).create_estimate("P1", None, Side.PROJECTS),
    "enhanced: record_bill --side projects": lambda c: _enhanced(c).record_bill(
        "P1", "V1", Decimal(5), DAY, "", Side.PROJECTS),
    "migrate: run --services": _migrate_run,
    "migrate: verify --services": _migrate_verify,
}
REFUSED = sorted(k for k, op in OPERATIONS.items() if not op.runs_live)


@pytest.fixture
def no_calls_ctx(store_url: str, tmp_path: Path) -> Iterator[Callable[[bool], tuple[Context, NoCalls]]]:
    """A Context pointed at a sandbox whose transport fails on any request; live or not."""
    made: list[Context] = []

    def make(live: bool) -> tuple[Context, NoCalls]:
        transport = NoCalls()
        clock = FakeClock(dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
        ctx = sandbox_context(Sandbox(tmp_path / f"sb{len(made)}.db", clock=clock), Store.open(store_url),
                              clock=clock, transport=transport, organization_id="ORG", live=live)
        made.append(ctx)
        return ctx, transport

    yield make
    for c in made:
        c.store.close()


# -- the matrix -----------------------------------------------------------------------------------

def test_every_operation_names_known_service_calls_and_says_what_to_do() -> None:
    for op in OPERATIONS.values():
        unknown = [k for k in (*op.needs, *op.live_without) if k not in SERVICE_OPS]
        assert not unknown, f"{op.key}: {unknown}"
        assert op.runs_live or op.instead, f"{op.key} cannot run live and says nothing about what to do"
        for k in op.live_without:  # what it goes without live is sandbox-only and says what happens
            assert SERVICE_OPS[k].access == SANDBOX_ONLY and SERVICE_OPS[k].without, k
    for s in SERVICE_OPS.values():
        assert s.document, s.key


def test_the_products_internals_are_sandbox_only() -> None:
    internals = {"projects." + m for m in ("list_invoices", "get_invoice", "create_invoice", "update_invoice",
                                           "list_expenses", "create_expense", "update_expense", "finance",
                                           "link_transaction", "task_billing_fields", "verify_zsc_key")}
    assert {k for k, s in SERVICE_OPS.items() if s.access == SANDBOX_ONLY} == internals
    books = [s for s in SERVICE_OPS.values() if s.key.startswith("books.")]
    assert books and all(s.document.startswith("books-openapi/") for s in books)


def test_every_operation_of_the_brief_is_in_the_matrix() -> None:
    for mode in ("legacy", "enhanced"):
        for name in ("connect", "status", "sync", "finalize", "transactions", "disable", "reenable"):
            assert f"{mode}: {name}" in OPERATIONS
        for side in Side:
            for name in ("create_invoice", "record_expense"):
                assert capabilities.operation_key(mode, name, side) in OPERATIONS
    for key in ("legacy: report", "enhanced: create_estimate --side books", "enhanced: record_bill --side books",
                "migrate: plan", "migrate: run", "migrate: verify", "migrate: rollback"):
        assert key in OPERATIONS
    with pytest.raises(KeyError, match="add its row"):
        capabilities.operation("enhanced: teleport")


def test_a_driver_for_every_refused_operation() -> None:
    assert sorted(DRIVERS) == REFUSED


# -- refusal before any call ------------------------------------------------------------------------

@pytest.mark.parametrize("key", REFUSED)
def test_refused_live_before_any_call(key: str, no_calls_ctx: Callable[[bool], tuple[Context, NoCalls]]) -> None:
    ctx, transport = no_calls_ctx(True)
    with pytest.raises(NotInPublicApi) as caught:
        DRIVERS[key](ctx)
    assert transport.requests == []
    err = caught.value
    assert err.exit_code == 2 and key in err.message and "public API" in err.message
    for lacking in OPERATIONS[key].lacking:
        assert lacking in err.message
    assert err.hint == OPERATIONS[key].instead


@pytest.mark.parametrize("key", REFUSED)
def test_not_refused_on_the_sandbox(key: str, no_calls_ctx: Callable[[bool], tuple[Context, NoCalls]]) -> None:
    """The same call on the sandbox target gets past the gate (and then on to the store or the
    services: here nothing is connected, so it stops there, but never as NotInPublicApi)."""
    ctx, _ = no_calls_ctx(False)
    with pytest.raises(Exception) as caught:
        DRIVERS[key](ctx)
    assert not isinstance(caught.value, NotInPublicApi), f"{key} was refused on the sandbox target"


def _connected(make_world: Callable[..., Any], **kwargs: Any) -> tuple[Any, Any, str]:
    from tests.enhanced.conftest import connect

    world = make_world("small-agency", **kwargs)
    integ = connect(world)
    integ.sync()
    project = world.scenario["projects"]["projects"][0]["id"]
    return world, integ, project


def _projects_calls(world: Any, word: str) -> int:
    return sum(c["count"] for c in world.sandbox.calls()["calls"]
               if c["service"] == "projects" and word in c["path"])


def test_projects_side_operations_still_work_on_the_sandbox(make_world: Callable[..., Any]) -> None:
    world, integ, project = _connected(make_world)
    inv = integ.create_invoice(project, None, Side.PROJECTS)
    exp = integ.record_expense(project, Decimal("12.50"), DAY, None, "taxi", Side.PROJECTS)
    assert inv.invoice_id and exp.expense_id
    assert _projects_calls(world, "/invoices") > 0 and _projects_calls(world, "/expenses") > 0


def test_books_side_runs_live_without_touching_the_products_internals(make_world: Callable[..., Any]) -> None:
    """Live (here: in-process, behaving as live), a Books-side invoice and expense are made
    without one call to Projects-side invoices, expenses or the Finance tab."""
    world, integ, project = _connected(make_world, live=True)
    world.sandbox.reset_calls()
    inv = integ.create_invoice(project, None, Side.BOOKS)
    exp = integ.record_expense(project, Decimal("12.50"), DAY, None, "taxi", Side.BOOKS)
    assert inv.invoice_id and exp.expense_id
    for word in ("/invoices", "/expenses", "/finance"):
        assert _projects_calls(world, word) == 0, word
    with pytest.raises(NotInPublicApi, match="projects.create_invoice"):
        integ.create_invoice(project, None, Side.PROJECTS)


def test_legacy_connect_runs_and_invoicing_is_refused_live(make_world: Callable[..., Any]) -> None:
    from legacy.integration import LegacyIntegration
    from tests.legacy.legacy_support import credentials, first_connect

    world = make_world("small-agency", live=True)
    lg = LegacyIntegration(world.ctx)
    conn = first_connect(world.scenario)
    lg.connect(credentials(world.scenario, conn["user_id"]), str(conn["portal_id"]))
    world.sandbox.reset_calls()
    with pytest.raises(NotInPublicApi, match="Projects-side expenses"):
        lg.create_invoice(world.scenario["projects"]["projects"][0]["id"], None, Side.BOOKS)
    assert world.sandbox.calls()["totals"].get("projects", 0) == 0
    assert world.sandbox.calls()["totals"].get("books", 0) == 0


# -- sandbox tools stay in the sandbox --------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["scenario", "run", "small-agency", "--mode", "legacy"],
    ["sandbox", "load", "small-agency"], ["sandbox", "reset"], ["sandbox", "state"],
    ["sandbox", "faults", "--off"], ["sandbox", "serve", "--port", "0"],
    ["compare", "small-agency"],
])
def test_sandbox_tools_refuse_target_live(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BRIDGE_CONFIG_DIR", str(tmp_path / "config"))  # no profile: any call would fail
    result = CliRunner().invoke(cli, ["--target", "live", *args])
    assert result.exit_code == 2, result.output
    assert "sandbox tool" in result.stderr and "--target live" in result.stderr
    assert "hint:" in result.stderr
    home = tmp_path / "home"
    assert not (home / "sandbox.db").exists() and not (home / "state.db").exists()  # nothing touched
    as_json = CliRunner().invoke(cli, ["--target", "live", "--json", *args])
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)["error"]["type"] == "NotInPublicApi"


def test_sandbox_tools_still_run_on_the_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(cli, ["sandbox", "load", "small-agency"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "sandbox.db").exists()


# -- doctor and README ----------------------------------------------------------------------------

def test_doctor_prints_the_matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BRIDGE_CONFIG_DIR", str(tmp_path / "config"))  # no profile: exit 2, matrix still shown
    human = CliRunner().invoke(cli, ["--target", "live", "doctor"])
    assert "what live mode can and cannot do" in human.stdout
    for row in capabilities.matrix_rows():
        assert row["operation"] in human.stdout
    line = next(ln for ln in human.stdout.splitlines() if "enhanced: create_invoice --side projects" in ln)
    assert line.startswith("NO") and "projects.create_invoice" in line and "--side books" in line
    data = json.loads(CliRunner().invoke(cli, ["--target", "live", "doctor", "--json"]).stdout)
    assert data["capabilities"] == capabilities.matrix_rows()


def test_readme_carries_the_matrix() -> None:
    text = README.read_text()
    assert "## What live mode can and cannot do" in text
    assert capabilities.markdown() in text, (
        "README's matrix is not bridge.capabilities.markdown(): paste its output into the section")



class Gate(Exception):
    """Raised by a spied `Context.require`: proves the gate is asked before anything else."""


ARGS: dict[str, tuple[Any, ...]] = {
    "portals": (Credentials("a@b.c", "k"),), "connect": (Credentials("a@b.c", "k"), "P"),
    "disconnect": (), "status": (), "sync": (), "create_invoice": ("P1", None, Side.BOOKS),
    "finalize_invoice": ("I1", "C1"), "record_expense": ("P1", Decimal(1), DAY, None, "", Side.BOOKS),
    "transactions": ("P1",), "disable": (), "reenable": ("P",), "report": (),
    "update_credentials": (), "create_estimate": ("P1", None, Side.BOOKS),
    "record_bill": ("P1", "V1", Decimal(1), DAY, "", Side.BOOKS),
}


@pytest.mark.parametrize("mode", ["legacy", "enhanced"])
def test_every_service_operation_of_a_mode_asks_the_gate_first(
        mode: str, no_calls_ctx: Callable[[bool], tuple[Context, NoCalls]], monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, transport = no_calls_ctx(True)
    asked: list[str] = []

    def require(operation: str) -> None:
        asked.append(operation)
        raise Gate(operation)

    monkeypatch.setattr(ctx, "require", require)
    integration = (_legacy if mode == "legacy" else _enhanced)(ctx)
    for name, args in ARGS.items():
        if not hasattr(integration, name):
            continue
        with pytest.raises(Gate):
            getattr(integration, name)(*args)
        assert asked[-1] in OPERATIONS and asked[-1].startswith(f"{mode}: ")
    assert transport.requests == []


def test_the_matrix_tags_sandbox_only_every_client_call_the_v3_client_marks_so() -> None:
    """The Projects client names the calls that reach the product's internals
    (`SANDBOX_ONLY`); the matrix must never call one of them public."""
    from bridge.clients.projects import SANDBOX_ONLY as CLIENT_SANDBOX_ONLY

    for method in CLIENT_SANDBOX_ONLY:
        assert not capabilities.is_public(f"projects.{method}"), method
