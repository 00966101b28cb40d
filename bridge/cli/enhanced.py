"""`bridge enhanced ...`: thin commands over enhanced.integration (E1-E14).

Every command takes `--json` (as does the root group); human output goes through rich.
The ZSC key comes from --key, else $BRIDGE_ZSC_KEY, else a hidden prompt: never echoed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import click

from bridge.cli.app import App
from bridge.cli.confirm import confirm, confirm_option
from bridge.cli.interrupts import resumable
from bridge.cli.left_off import left_off_json, show_left_off
from bridge.cli.progress import progress_for
from bridge.domain import MODULE_ORDER, Credentials, Side
from bridge.errors import InputError

F = TypeVar("F", bound=Callable[..., Any])
KEY_ENV = "BRIDGE_ZSC_KEY"


def json_option(f: F) -> F:
    def set_json(ctx: click.Context, _p: click.Parameter, value: bool) -> None:
        if value:
            ctx.find_object(App).json = True  # type: ignore[union-attr]
    return click.option("--json", "as_json", is_flag=True, expose_value=False, callback=set_json,
                        is_eager=True, help="Machine-readable output on stdout.")(f)


def _integration(app: App, progress: bool = False) -> Any:
    from enhanced.integration import EnhancedIntegration

    return EnhancedIntegration(app.context())


def _key(key: str | None) -> str:
    import os

    value = key or os.environ.get(KEY_ENV)
    if not value:
        value = click.prompt("ZSC key", hide_input=True)
    return str(value)


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r])
    Console().print(table)


@click.group()
def enhanced() -> None:
    """The enhanced integration: setup, module sync, status, errors, transactions."""


@enhanced.command()
@click.option("--email", required=True, help="Email of the Projects admin whose ZSC key this is.")
@click.option("--key", help=f"ZSC key (prefer ${KEY_ENV} or the prompt: a flag lands in shell history).")
@click.option("--portal", "portal_id", required=True, help="Projects portal id.")
@json_option
@click.pass_obj
def connect(app: App, email: str, key: str | None, portal_id: str) -> None:
    """Connect (E1-E2): admin on both sides required; shares the organization's name and email."""
    conn = _integration(app).connect(Credentials(email, _key(key)), portal_id)
    data = {"portal_id": conn.portal_id, "organization_id": conn.organization_id, "email": conn.email,
            "state": conn.state, "shared": conn.shared}
    app.emit(data, lambda d: click.echo(
        f"connected to portal {d['portal_id']}; shared with Projects: {d['shared']['name']} <{d['shared']['email']}>"))


@enhanced.command()
@click.option("--modules", help=f"Comma-separated, from: {', '.join(m.value for m in MODULE_ORDER)}.")
@click.option("--general-timesheets/--no-general-timesheets", default=None, help="Fetch general timesheets.")
@click.option("--cutoff", help="Cutoff date YYYY-MM-DD (timesheets before it arrive invoiced); 'none' clears it.")
@json_option
@click.pass_obj
def preferences(app: App, modules: str | None, general_timesheets: bool | None, cutoff: str | None) -> None:
    """Show or change preferences (E3); a change applies at the next sync."""
    integ = _integration(app)
    if modules is None and general_timesheets is None and cutoff is None:
        prefs = integ.preferences()
    else:
        date = None
        if cutoff and cutoff.lower() != "none":
            try:
                date = dt.date.fromisoformat(cutoff)
            except ValueError:
                raise InputError(f"--cutoff: {cutoff!r} is not a date (YYYY-MM-DD)") from None
        prefs = integ.set_preferences(
            modules=[m.strip() for m in modules.split(",") if m.strip()] if modules is not None else None,
            general_timesheets=general_timesheets, cutoff_date=date,
            clear_cutoff=bool(cutoff and cutoff.lower() == "none"),
        )
    app.emit(prefs.to_json(), lambda d: click.echo(
        f"modules: {', '.join(d['modules'])}\ngeneral timesheets: {'on' if d['general_timesheets'] else 'off'}\n"
        f"cutoff: {d['cutoff_date'] or 'none'}"))


@enhanced.command()
@click.option("--plan", is_flag=True, help="Count the upstream records and the Books writes a sync would make, writing nothing.")
@click.option("--books-plan", type=click.Choice(["free", "standard", "professional", "premium"]),
              default="premium", show_default=True, help="With --plan: the Books plan whose limits the call budget assumes.")
@json_option
@click.pass_obj
def sync(app: App, plan: bool, books_plan: str) -> None:
    """Sync the modules in order (E4); a second sync with no change writes nothing (E14)."""
    from enhanced.integration import EnhancedIntegration

    if plan:
        from enhanced.plan import plan_sync

        data = plan_sync(app.context(), plan=books_plan)
        def human(d: dict[str, Any]) -> None:
            _table("sync plan", ["module", "upstream", "new", "mapped"],
                   [[m, *v.values()] for m, v in d["modules"].items()])
            click.echo(f"calls: {d['calls']['summary']}")

        app.emit(data, human)
        return
    ctx = app.context()
    with resumable(app, "enhanced sync", saved=lambda: _sync_saved(app)), progress_for(app) as progress:
        report = EnhancedIntegration(ctx, progress).sync()
    data = {"modules": report.counts, "errors": list(report.errors)}
    app.emit(data, lambda d: _table(
        "sync", ["module", "fetched", "created", "updated", "skipped", "failed"],
        [[m, c["fetched"], c["created"], c["updated"], c["skipped"], c["failed"]] for m, c in d["modules"].items()]))


def _sync_saved(app: App) -> str:
    """What an interrupted sync kept (read after the Ctrl-C)."""
    stopped = [m.module for m in _integration(app).status().modules if m.state == "interrupted"]
    if not stopped:
        return "the sync stopped before its first module; nothing was written"
    return (f"the sync stopped in the {', '.join(stopped)} module: the modules before it are synced, "
            "and what it wrote to Books is kept and mapped (the next sync makes nothing twice)")


@enhanced.command()
@json_option
@click.pass_obj
def status(app: App) -> None:
    """Per-module state (E5): synced, failed, or Sync in Progress (seen from any process)."""
    st = _integration(app).status()
    data = {
        "badge": st.badge,
        "connection": None if st.connection is None else {
            "portal_id": st.connection.portal_id, "state": st.connection.state, "email": st.connection.email},
        "modules": [{"module": m.module, "state": m.state, "last_synced_at": m.last_synced_at,
                     "fetched": m.fetched, "failed": m.failed} for m in st.modules],
    }

    def human(d: dict[str, Any]) -> None:
        click.echo(f"status: {d['badge']}")
        _table("modules", ["module", "state", "last synced", "fetched", "failed"],
               [[m["module"], m["state"], m["last_synced_at"], m["fetched"], m["failed"]] for m in d["modules"]])
    app.emit(data, human)


@enhanced.command()
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Most recent runs shown.")
@json_option
@click.pass_obj
def history(app: App, limit: int) -> None:
    """Sync history (E7): per module run, when and what it fetched, created, updated, failed."""
    rows = _integration(app).history(limit)
    app.emit(rows, lambda d: _table(
        "sync history", ["run", "module", "status", "started", "ended", "fetched", "created", "updated", "skipped", "failed"],
        [[r["run_id"], r["module"], r["status"], r["started_at"], r["ended_at"] or "(interrupted)" if r["status"] != "in_progress" else "",
          r["fetched"], r["created"], r["updated"], r["skipped"], r["failed"]] for r in d]))


@enhanced.command()
@click.option("--details", is_flag=True, help="Every error with its record and fix (else a summary).")
@click.option("--all", "include_resolved", is_flag=True, help="With --details: include resolved errors.")
@json_option
@click.pass_obj
def errors(app: App, details: bool, include_resolved: bool) -> None:
    """Error summary per module and reason, or details (E8)."""
    integ = _integration(app)
    if details:
        rows = integ.error_details(include_resolved)
        app.emit(rows, lambda d: _table(
            "error details", ["module", "record", "name", "reason", "what to do", "resolved"],
            [[r["module"], r["record_id"], r["record_name"], r["reason"], r["fix"], "yes" if r["resolved"] else ""] for r in d]))
    else:
        rows = integ.error_summary()
        app.emit(rows, lambda d: _table("error summary", ["module", "reason", "count", "what to do"],
                                        [[r["module"], r["reason_code"], r["count"], r["fix"]] for r in d]))


@enhanced.command()
@click.option("--email", help="New email of the Projects account.")
@click.option("--key", help=f"New ZSC key (else ${KEY_ENV} or a prompt).")
@json_option
@click.pass_obj
def credentials(app: App, email: str | None, key: str | None) -> None:
    """Update the key and/or email (E6); synced data and mappings stay."""
    conn = _integration(app).update_credentials(email, _key(key))
    app.emit({"portal_id": conn.portal_id, "email": conn.email, "state": conn.state},
             lambda d: click.echo(f"credentials updated for {d['email']} (portal {d['portal_id']})"))


def _side(value: str) -> Side:
    return Side(value)


def _amount_and_date(amount: str, date_: str) -> tuple[Decimal, dt.date]:
    try:
        value, when = Decimal(amount), dt.date.fromisoformat(date_)
    except (InvalidOperation, ValueError):
        raise InputError("--amount must be a number and --date YYYY-MM-DD") from None
    if not value.is_finite():
        raise InputError("--amount must be a number and --date YYYY-MM-DD")
    return value, when


@enhanced.group()
def invoice() -> None:
    """Invoices for synced projects (E9)."""


def billing_options(f: F) -> F:
    """--project, --customer and --side, as invoices and estimates take them."""
    for option in reversed([
        click.option("--project", "project_id", required=True),
        click.option("--customer", "customer_id", help="Books contact id (default: the project's customer)."),
        click.option("--side", type=click.Choice(["books", "projects"]), default="books", show_default=True),
    ]):
        f = option(f)
    return f


@invoice.command("create")
@billing_options
@json_option
@click.pass_obj
def invoice_create(app: App, project_id: str, customer_id: str | None, side: str) -> None:
    """Create an invoice on one side; it shows on the other at once."""
    inv = _integration(app).create_invoice(project_id, customer_id, _side(side))
    data = {"invoice_id": inv.invoice_id, "number": inv.number, "project_id": inv.project_id,
            "customer_id": inv.customer_id, "total": str(inv.total), "status": inv.status, "origin": inv.origin.value,
            "lines": [{"description": ln.description, "quantity": str(ln.quantity), "rate": str(ln.rate),
                       "task_id": ln.task_id, "time_entry_ids": list(ln.time_entry_ids)} for ln in inv.lines],
            "left_off": left_off_json(inv.left_off)}

    def human(d: dict[str, Any]) -> None:
        click.echo(f"invoice {d['invoice_id']} {d['number']}: {d['total']} ({d['status']})")
        show_left_off(d["left_off"])
    app.emit(data, human)


@enhanced.group()
def expense() -> None:
    """Expenses for synced projects (E9)."""


@expense.command("record")
@click.option("--project", "project_id", required=True)
@click.option("--amount", required=True)
@click.option("--date", "date_", required=True, help="YYYY-MM-DD")
@click.option("--customer", "customer_id")
@click.option("--description", default="")
@click.option("--side", type=click.Choice(["books", "projects"]), default="projects", show_default=True)
@json_option
@click.pass_obj
def expense_record(app: App, project_id: str, amount: str, date_: str, customer_id: str | None,
                   description: str, side: str) -> None:
    """Record an expense on one side; it shows on the other at once."""
    value, when = _amount_and_date(amount, date_)
    exp = _integration(app).record_expense(project_id, value, when, customer_id, description, _side(side))
    app.emit({"expense_id": exp.expense_id, "amount": str(exp.amount), "side": exp.side.value},
             lambda d: click.echo(f"expense {d['expense_id']}: {d['amount']}"))


def _transaction(t: Any) -> dict[str, Any]:
    return {"kind": t.kind.value, "id": t.transaction_id, "number": t.number, "project_id": t.project_id,
            "customer_id": t.customer_id, "total": str(t.total.amount), "currency": t.total.currency,
            "status": t.status, "origin": t.origin.value}


def _say(d: dict[str, Any]) -> None:
    click.echo(f"{d['kind']} {d['id']} {d['number']}: {d['total']} {d['currency']} ({d['status']}), "
               f"in project {d['project_id']}'s Finance tab")


@enhanced.group()
def estimate() -> None:
    """Estimates for synced projects (E9)."""


@estimate.command("create")
@billing_options
@json_option
@click.pass_obj
def estimate_create(app: App, project_id: str, customer_id: str | None, side: str) -> None:
    """Quote what an invoice would bill now, on one side; it shows on the other at once.
    An estimate bills nothing: the quoted tasks and time stay invoiceable."""
    app.emit(_transaction(_integration(app).create_estimate(project_id, customer_id, _side(side))), _say)


@enhanced.group()
def bill() -> None:
    """Vendor bills for synced projects (E9)."""


@bill.command("record")
@click.option("--project", "project_id", required=True)
@click.option("--vendor", "vendor_id", required=True, help="Books id of a vendor contact.")
@click.option("--amount", required=True, help="In the vendor's currency.")
@click.option("--date", "date_", required=True, help="YYYY-MM-DD")
@click.option("--description", default="")
@click.option("--bill-number", help="The vendor's bill number (default: a generated reference).")
@click.option("--billable/--not-billable", default=True, show_default=True,
              help="Whether the cost can be billed on to the project's customer.")
@click.option("--side", type=click.Choice(["books", "projects"]), default="books", show_default=True)
@json_option
@click.pass_obj
def bill_record(app: App, project_id: str, vendor_id: str, amount: str, date_: str, description: str,
                bill_number: str | None, billable: bool, side: str) -> None:
    """Record a vendor's bill for a project's cost on one side; it shows on the other at once."""
    value, when = _amount_and_date(amount, date_)
    txn = _integration(app).record_bill(project_id, vendor_id, value, when, description, _side(side),
                                        bill_number=bill_number, billable=billable)
    app.emit(_transaction(txn), _say)


@enhanced.command()
@click.option("--project", "project_id", required=True)
@json_option
@click.pass_obj
def transactions(app: App, project_id: str) -> None:
    """A project's transactions as both sides see them (E9)."""
    rows = [{"kind": t.kind.value, "id": t.transaction_id, "number": t.number, "customer_id": t.customer_id,
             "total": str(t.total), "status": t.status, "origin": t.origin.value}
            for t in _integration(app).transactions(project_id)]
    app.emit(rows, lambda d: _table(f"project {project_id}", ["kind", "id", "number", "customer", "total", "status", "origin"],
                                    [list(r.values()) for r in d]))


@enhanced.command()
@json_option
@confirm_option
@click.pass_obj
def disable(app: App, yes: bool) -> None:
    """Stop syncing (E10); synced data stays in Books.

    Asks first; --yes skips the question (required when stdin is not a terminal).
    Example: `bridge enhanced disable --yes`
    """
    integration = _integration(app)
    conn = integration.status().connection
    if conn is not None:  # else not connected: the integration says so, changing nothing
        confirm(app, yes, f"disable the enhanced integration for portal {conn.portal_id}",
                [(f"disable the enhanced integration ({conn.state}) for portal {conn.portal_id}: syncing "
                 "and invoicing stop until `enhanced reenable`; synced data stays in Books")])
    integration.disable()
    app.emit({"state": "disabled"}, lambda d: click.echo("enhanced integration disabled; synced data stays"))


@enhanced.command()
@click.option("--portal", "portal_id", required=True)
@json_option
@click.pass_obj
def reenable(app: App, portal_id: str) -> None:
    """Re-enable (E11): only with the portal connected before."""
    conn = _integration(app).reenable(portal_id)
    app.emit({"portal_id": conn.portal_id, "state": conn.state},
             lambda d: click.echo(f"re-enabled with portal {d['portal_id']}"))
