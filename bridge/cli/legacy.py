"""`bridge legacy ...`: the legacy integration (L1-L10) from the command line.

Thin commands: parse, call the integration (built through `bridge.modes`, S2), print.
The ZSC key comes from `--key`, else $BRIDGE_ZSC_KEY, else a hidden prompt; it is never
printed (the root scrubs known secrets from every output as well).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

import click
from rich.console import Console
from rich.table import Table

from bridge.cli.app import App
from bridge.cli.confirm import confirm, confirm_option
from bridge.cli.interrupts import resumable
from bridge.cli.left_off import left_off_json, show_left_off
from bridge.domain import Credentials, Side
from bridge.errors import InputError
from bridge.interface import Integration

F = TypeVar("F", bound=Callable[..., Any])


@runtime_checkable
class Reporting(Protocol):
    def report(self, project_id: str | None = None) -> dict[str, Any]: ...


def _integration(app: App) -> Integration:
    return app.integration("legacy")


def _plain(value: Any) -> Any:
    """Dataclasses to JSON-able dicts (Decimals as strings, via App.emit's default=str)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _console() -> Console:
    return Console(soft_wrap=True)


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    _console().print(table)


def credential_options(f: F) -> F:
    f = click.option("--key", envvar="BRIDGE_ZSC_KEY", prompt="ZSC key", hide_input=True,
                     show_envvar=True, help="The ZSC key (prefer $BRIDGE_ZSC_KEY or the prompt).")(f)
    return click.option("--email", required=True, help="Email of the Projects user the key belongs to.")(f)


@click.group("legacy")
def legacy() -> None:
    """The legacy integration (enabled before 22 Oct 2018): ZSC key, owned portal, invoices
    from both sides, mirrored expenses, reports."""


@legacy.command()
@credential_options
@click.pass_obj
def portals(app: App, email: str, key: str) -> None:
    """List the portals this key's user owns (L2: only those can be connected)."""
    found = _integration(app).portals(Credentials(email, key))
    app.emit(_plain(found), lambda d: _table("Portals you own", ["portal", "name", "role"],
                                             [(p["portal_id"], p["name"], p["role"]) for p in d]))


@legacy.command()
@credential_options
@click.option("--portal", "portal_id", required=True, help="A portal you own.")
@click.pass_obj
def connect(app: App, email: str, key: str, portal_id: str) -> None:
    """Connect the organization to a portal you own (L1, L2); shares its name and email (L10)."""
    app.scrub.append(key)
    conn = _integration(app).connect(Credentials(email, key), portal_id)
    app.emit(_plain(conn), lambda d: click.echo(
        f"connected to portal {d['portal_id']} as {d['email']}; shared with Projects: "
        f"{d['shared'].get('name')} <{d['shared'].get('email')}>"))


@legacy.command()
@click.pass_obj
def status(app: App) -> None:
    """Show the connected portal and when invoices/expenses were last mirrored (L3)."""
    st = _integration(app).status()
    data = {"mode": st.mode, "badge": st.badge, "connection": _plain(st.connection),
            "modules": _plain(list(st.modules))}

    def human(d: dict[str, Any]) -> None:
        c = d["connection"]
        if c is None:
            click.echo("not connected")
            return
        click.echo(f"{d['badge']}: portal {c['portal_id']} ({c['email']}), state {c['state']}")
        _table("Mirroring", ["kind", "state", "last", "fetched", "failed"],
               [(m["module"], m["state"], m["last_synced_at"], m["fetched"], m["failed"])
                for m in d["modules"]])
    app.emit(data, human)


@legacy.command()
@confirm_option
@click.pass_obj
def disconnect(app: App, yes: bool) -> None:
    """Disconnect the portal (recorded data stays; the key is forgotten).

    Asks first; --yes skips the question (required when stdin is not a terminal).
    Example: `bridge --mode legacy legacy disconnect --yes`
    """
    integration = _integration(app)
    conn = integration.status().connection
    if conn is not None:  # else not connected: the integration says so, changing nothing
        confirm(app, yes, f"disconnect the legacy integration from portal {conn.portal_id}",
                [(f"disconnect the legacy integration ({conn.state}) from portal {conn.portal_id}: "
                 "it stops mirroring and invoicing and its ZSC key is forgotten; recorded data stays")])
    integration.disconnect()
    app.emit({"state": "disconnected"}, lambda d: click.echo("disconnected"))


@legacy.group()
def invoice() -> None:
    """Invoices for a project (L4-L6, L8)."""


def _invoice_view(d: dict[str, Any]) -> None:
    total = sum((Decimal(str(line["quantity"])) * Decimal(str(line["rate"])) for line in d["lines"]),
                Decimal(0))
    click.echo(f"invoice {d['invoice_id']} ({d['status']}, from {d['origin']}) for project "
               f"{d['project_id']}, customer {d['customer_id'] or '(none: finalize it)'}")
    _table("Lines", ["description", "quantity", "rate", "task", "expense"],
           [(x["description"], x["quantity"], x["rate"], x["task_id"], x["expense_id"]) for x in d["lines"]])
    click.echo(f"total {total.quantize(Decimal('0.01'))} {d['currency']}")
    show_left_off(d.get("left_off") or ())


@invoice.command("create")
@click.option("--project", "project_id", required=True)
@click.option("--customer", "customer_id", help="Books customer id; omit for a draft (L4).")
@click.option("--side", type=click.Choice([s.value for s in Side]), default=Side.BOOKS.value,
              show_default=True, help="Where the invoice is made.")
@click.pass_obj
def invoice_create(app: App, project_id: str, customer_id: str | None, side: str) -> None:
    """Invoice a project's completed, unbilled work and the customer's expenses."""
    inv = _integration(app).create_invoice(project_id, customer_id, Side(side))
    app.emit({**_plain(inv), "left_off": left_off_json(inv.left_off)}, _invoice_view)


@invoice.command("finalize")
@click.argument("invoice_id")
@click.option("--customer", "customer_id", required=True)
@click.pass_obj
def invoice_finalize(app: App, invoice_id: str, customer_id: str) -> None:
    """Give a draft its customer and put it into Books (L4)."""
    inv = _integration(app).finalize_invoice(invoice_id, customer_id)
    app.emit({**_plain(inv), "left_off": left_off_json(inv.left_off)}, _invoice_view)


@legacy.group()
def expense() -> None:
    """Expenses (L7)."""


def _amount(_: click.Context, __: click.Parameter, value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount such as 120.50") from None


@expense.command("record")
@click.option("--project", "project_id", required=True)
@click.option("--amount", required=True, callback=_amount)
@click.option("--date", "date", type=click.DateTime(["%Y-%m-%d"]), required=True, help="yyyy-mm-dd")
@click.option("--customer", "customer_id")
@click.option("--description", default="")
@click.option("--side", type=click.Choice([s.value for s in Side]), default=Side.PROJECTS.value,
              show_default=True)
@click.pass_obj
def expense_record(app: App, project_id: str, amount: Decimal, date: dt.datetime,
                   customer_id: str | None, description: str, side: str) -> None:
    """Record an expense on one side; it shows on the other."""
    e = _integration(app).record_expense(project_id, amount, date.date(), customer_id,
                                         description, Side(side))
    app.emit(_plain(e), lambda d: click.echo(
        f"expense {d['expense_id']}: {d['amount']['amount']} {d['amount']['currency']} "
        f"on project {d['project_id']} (recorded in {d['side']})"))


_LEGACY_SYNC_SAVED = ("the mirror stopped part way: what it wrote to Books is kept, and the next "
                      "sync reconciles from there")


@legacy.command()
@click.pass_obj
def sync(app: App) -> None:
    """Mirror Projects invoices and expenses into Books; reconcile edits (L6, L7)."""
    # no progress callback in the legacy mirror (its waits still show); a re-run reconciles
    with resumable(app, "legacy sync", saved=lambda: _LEGACY_SYNC_SAVED):
        rep = _integration(app).sync()
    data = {"counts": rep.counts, "errors": list(rep.errors)}

    def human(d: dict[str, Any]) -> None:
        _table("Mirrored", ["kind", "fetched", "created", "updated", "failed"],
               [(k, c.get("fetched", 0), c.get("created", 0), c.get("updated", 0), c.get("failed", 0))
                for k, c in d["counts"].items()])
        for e in d["errors"]:
            click.echo(f"error: {e['module']} {e['record_id']}: {e['reason']} (fix: {e['fix']})", err=True)
    app.emit(data, human)


@legacy.command()
@click.option("--project", "project_id", help="One project (default: all).")
@click.pass_obj
def report(app: App, project_id: str | None) -> None:
    """Invoices and expenses per project, totals per currency, expenses split into billable
    and non-billable (L9)."""
    integration = _integration(app)
    if not isinstance(integration, Reporting):
        raise InputError("this integration has no report")
    data = cast(Reporting, integration).report(project_id)

    def human(d: dict[str, Any]) -> None:
        columns = ["kind", "id", "number", "customer", "status", "origin", "billable", "total"]
        for p in d["projects"]:
            _table(f"Project {p['project_id']}", columns,
                   [("invoice", t["id"], t["number"], t["customer_id"], t["status"], t["origin"], "",
                     f"{t['total']} {t['currency']}") for t in p["invoices"]]
                   + [("expense", t["id"], t["number"], t["customer_id"], t["status"], t["origin"],
                       "yes" if t.get("billable") else "no", f"{t['total']} {t['currency']}")
                      for t in p["expenses"]])
            _totals(p["totals"])
            _split(p.get("expense_split") or {})
        click.echo("all projects:")
        _totals(d["totals"])
        _split(d.get("expense_split") or {})
    app.emit(data, human)


def _totals(totals: dict[str, dict[str, str]]) -> None:
    for bucket, by in totals.items():
        click.echo(f"  {bucket}: " + ", ".join(f"{amount} {cur}" for cur, amount in by.items()))


def _split(split: dict[str, dict[str, str]]) -> None:
    """The expenses' billable and non-billable parts; a part with none shows as 0."""
    for part, label in (("billable", "billable"), ("non_billable", "non-billable")):
        by = split.get(part) or {}
        click.echo(f"  expenses, {label}: "
                   + (", ".join(f"{amount} {cur}" for cur, amount in by.items()) or "0"))


@legacy.command()
@click.option("--project", "project_id", required=True)
@click.pass_obj
def transactions(app: App, project_id: str) -> None:
    """A project's invoices and expenses as both sides see them."""
    txns = _integration(app).transactions(project_id)
    app.emit(_plain(txns), lambda d: _table(
        f"Project {project_id}", ["kind", "id", "number", "customer", "status", "origin", "total"],
        [(t["kind"], t["transaction_id"], t["number"], t["customer_id"], t["status"], t["origin"],
          f"{t['total']['amount']} {t['total']['currency']}") for t in d]))


@legacy.command()
@confirm_option
@click.pass_obj
def disable(app: App, yes: bool) -> None:
    """Stop the integration; everything recorded stays.

    Asks first; --yes skips the question (required when stdin is not a terminal).
    Example: `bridge --mode legacy legacy disable --yes`
    """
    integration = _integration(app)
    conn = integration.status().connection
    if conn is not None:
        confirm(app, yes, f"disable the legacy integration for portal {conn.portal_id}",
                [(f"disable the legacy integration ({conn.state}) for portal {conn.portal_id}: it stops "
                 "mirroring and invoicing until `legacy reenable`; everything recorded stays")])
    integration.disable()
    app.emit({"state": "disabled"}, lambda d: click.echo("disabled"))


@legacy.command()
@click.option("--portal", "portal_id", required=True, help="Must be the portal connected before.")
@click.pass_obj
def reenable(app: App, portal_id: str) -> None:
    """Re-enable, only with the portal connected before."""
    conn = _integration(app).reenable(portal_id)
    app.emit(_plain(conn), lambda d: click.echo(f"re-enabled with portal {d['portal_id']}"))
