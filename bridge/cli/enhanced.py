"""`bpbridge enhanced ...`: thin commands over enhanced.integration (E1-E14).

Every command takes `--json` (added to each by the root group); tables go through
bridge.cli.tables.
The ZSC key comes from --key, else $BRIDGE_ZSC_KEY, else a hidden prompt: never echoed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import click

from bridge.cli import present
from bridge.cli.app import App
from bridge.cli.confirm import confirm, confirm_option
from bridge.cli.interrupts import resumable
from bridge.cli.legacy import show_invoice, show_transactions
from bridge.cli.params import Amount, IsoDate
from bridge.cli.progress import progress_for
from bridge.cli.reading import reads_store
from bridge.cli.tables import print_table
from bridge.domain import MODULE_ORDER, Credentials, Side
from bridge.errors import InputError
from bridge.interface import HasEstimatesAndBills, HasPreferences, HasSyncRecords, Integration

F = TypeVar("F", bound=Callable[..., Any])
KEY_ENV = "BRIDGE_ZSC_KEY"


def _integration(app: App) -> Integration:
    return app.integration("enhanced")  # through bridge.modes (S2), as every integration


def _with_preferences(app: App) -> HasPreferences:
    integration = _integration(app)
    if not isinstance(integration, HasPreferences):
        raise InputError(f"the {integration.mode} integration has no sync preferences")
    return integration


def _with_sync_records(app: App) -> HasSyncRecords:
    integration = _integration(app)
    if not isinstance(integration, HasSyncRecords):
        raise InputError(f"the {integration.mode} integration keeps no sync history or error records")
    return integration


def _with_estimates_and_bills(app: App) -> HasEstimatesAndBills:
    integration = _integration(app)
    if not isinstance(integration, HasEstimatesAndBills):
        raise InputError(f"the {integration.mode} integration makes no estimates or bills")
    return integration


def _key(key: str | None) -> str:
    import os

    value = key or os.environ.get(KEY_ENV)
    if not value:
        value = click.prompt("ZSC key", hide_input=True)
    return str(value)


@click.group()
def enhanced() -> None:
    """The enhanced integration: setup, module sync, status, errors, transactions.

    Example: `bpbridge enhanced status`
    """


@enhanced.command()
@click.option("--email", required=True, help="Email of the Projects admin whose ZSC key this is.")
@click.option("--key", help=f"ZSC key (prefer ${KEY_ENV} or the prompt: a flag lands in shell history).")
@click.option("--portal", "portal_id", required=True, help="Projects portal id.")
@click.pass_obj
def connect(app: App, email: str, key: str | None, portal_id: str) -> None:
    """Connect (E1-E2): admin on both sides required; shares the organization's name and email.

    Example: `BRIDGE_ZSC_KEY=... bpbridge enhanced connect --email admin@example.com --portal 7000000001`
    """
    conn = _integration(app).connect(Credentials(email, _key(key)), portal_id)
    app.emit(present.connection(conn) or {}, lambda d: click.echo(
        f"connected to portal {d['portal_id']}; shared with Projects: {d['shared']['name']} <{d['shared']['email']}>"))


@enhanced.command()
@click.option("--modules", help=f"Comma-separated, from: {', '.join(m.value for m in MODULE_ORDER)}.")
@click.option("--general-timesheets/--no-general-timesheets", default=None, help="Fetch general timesheets.")
@click.option("--cutoff", type=IsoDate(clear_word="none"),
              help="Cutoff date YYYY-MM-DD (timesheets before it arrive invoiced); 'none' clears it.")
@click.pass_obj
def preferences(app: App, modules: str | None, general_timesheets: bool | None,
                cutoff: dt.date | str | None) -> None:
    """Show or change preferences (E3); a change applies at the next sync.

    Example: `bpbridge enhanced preferences --modules projects,users,tasks,timesheets --cutoff 2026-01-01`
    """
    integ = _with_preferences(app)
    if modules is None and general_timesheets is None and cutoff is None:
        prefs = integ.preferences()
    else:
        prefs = integ.set_preferences(
            modules=[m.strip() for m in modules.split(",") if m.strip()] if modules is not None else None,
            general_timesheets=general_timesheets,
            cutoff_date=cutoff if isinstance(cutoff, dt.date) else None, clear_cutoff=cutoff == "none",
        )
    app.emit(prefs.to_json(), lambda d: click.echo(
        f"modules: {', '.join(d['modules'])}\ngeneral timesheets: {'on' if d['general_timesheets'] else 'off'}\n"
        f"cutoff: {d['cutoff_date'] or 'none'}"))


@enhanced.command()
@click.option("--plan", is_flag=True,
              help="Count the upstream records and the Books writes a sync would make, writing nothing.")
@click.option("--books-plan", type=click.Choice(["free", "standard", "professional", "premium"]),
              default="premium", show_default=True,
              help="With --plan: the Books plan whose limits the call budget assumes.")
@click.pass_obj
def sync(app: App, plan: bool, books_plan: str) -> None:
    """Sync the modules in order (E4); a second sync with no change writes nothing (E14).

    Example: `bpbridge enhanced sync --plan` (count first), then `bpbridge enhanced sync`
    """
    if plan:
        from enhanced.plan import plan_sync

        data = plan_sync(app.context(), plan=books_plan)
        def human(d: dict[str, Any]) -> None:
            print_table("sync plan", ["module", "upstream", "new", "mapped"],
                   [[m, *v.values()] for m, v in d["modules"].items()])
            click.echo(f"calls: {d['calls']['summary']}")

        app.emit(data, human)
        return
    with resumable(app, "enhanced sync", saved=lambda: _sync_saved(app)), progress_for(app) as progress:
        report = _integration(app).sync(progress)
    data = {"modules": report.counts, "errors": list(report.errors)}
    app.emit(data, lambda d: print_table(
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
@reads_store
@click.pass_obj
def status(app: App) -> None:
    """Per-module state (E5): synced, failed, or Sync in Progress (seen from any process).

    Example: `bpbridge enhanced status`
    """
    st = _integration(app).status()
    data = {"mode": st.mode, "badge": st.badge, "connection": present.connection(st.connection),
            "modules": [present.module_status(m) for m in st.modules]}

    def human(d: dict[str, Any]) -> None:
        click.echo(f"status: {d['badge']}")
        print_table("modules", ["module", "state", "last synced (UTC)", "fetched", "failed"],
               [[m["module"], m["state"], m["last_synced_at"], m["fetched"], m["failed"]] for m in d["modules"]])
    app.emit(data, human)


@enhanced.command()
@reads_store
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Most recent runs shown.")
@click.pass_obj
def history(app: App, limit: int) -> None:
    """Sync history (E7): per module run, when and what it fetched, created, updated, failed.

    Example: `bpbridge enhanced history --limit 20`
    """
    rows = [{**r, "started_at": present.timestamp(r["started_at"]), "ended_at": present.timestamp(r["ended_at"])}
            for r in _with_sync_records(app).history(limit)]
    app.emit({"runs": rows}, lambda d: print_table(
        "sync history (UTC)", ["run", "module", "status", "started", "ended", "fetched", "created", "updated",
                               "skipped", "failed"],
        [[r["run_id"], r["module"], r["status"], r["started_at"],
          r["ended_at"] or ("(interrupted)" if r["status"] != "in_progress" else "(running)"),
          r["fetched"], r["created"], r["updated"], r["skipped"], r["failed"]] for r in d["runs"]]))


@enhanced.command()
@reads_store
@click.option("--details", is_flag=True, help="Every error with its record and fix (else a summary).")
@click.option("--all", "include_resolved", is_flag=True, help="With --details: include resolved errors.")
@click.pass_obj
def errors(app: App, details: bool, include_resolved: bool) -> None:
    """Error summary per module and reason, or details (E8).

    Example: `bpbridge enhanced errors --details`
    """
    integ = _with_sync_records(app)
    if details:
        app.emit({"errors": integ.error_details(include_resolved)}, lambda d: print_table(
            "error details", ["module", "record", "name", "reason", "what to do", "resolved"],
            [[r["module"], r["record_id"], r["record_name"], r["reason"], r["fix"], r["resolved"]]
             for r in d["errors"]]))
    else:
        app.emit({"summary": integ.error_summary()}, lambda d: print_table(
            "error summary", ["module", "reason", "count", "what to do"],
            [[r["module"], r["reason_code"], r["count"], r["fix"]] for r in d["summary"]]))


@enhanced.command()
@click.option("--email", help="New email of the Projects account.")
@click.option("--key", help=f"New ZSC key (else ${KEY_ENV} or a prompt).")
@click.pass_obj
def credentials(app: App, email: str | None, key: str | None) -> None:
    """Update the key and/or email (E6); synced data and mappings stay.

    Example: `BRIDGE_ZSC_KEY=... bpbridge enhanced credentials --email new-admin@example.com`
    """
    conn = _with_sync_records(app).update_credentials(email, _key(key))
    app.emit(present.connection(conn) or {},
             lambda d: click.echo(f"credentials updated for {d['email']} (portal {d['portal_id']})"))


def _side(value: str) -> Side:
    return Side(value)


@enhanced.group()
def invoice() -> None:
    """Invoices for synced projects (E9).

    Example: `bpbridge enhanced invoice create --project 1600000000001`
    """


def billing_options(f: F) -> F:
    """--project, --customer and --side, as invoices and estimates take them."""
    for option in reversed([
        click.option("--project", "project_id", required=True, help="Projects id of a synced project."),
        click.option("--customer", "customer_id", help="Books contact id (default: the project's customer)."),
        click.option("--side", type=click.Choice(["books", "projects"]), default="books", show_default=True,
                     help="Where it is made; it shows on the other side at once."),
    ]):
        f = option(f)
    return f


@invoice.command("create")
@billing_options
@click.pass_obj
def invoice_create(app: App, project_id: str, customer_id: str | None, side: str) -> None:
    """Create an invoice on one side; it shows on the other at once.

    Example: `bpbridge enhanced invoice create --project 1600000000001 --side projects`
    """
    app.emit(present.invoice(_integration(app).create_invoice(project_id, customer_id, _side(side))),
             show_invoice)


@enhanced.group()
def expense() -> None:
    """Expenses for synced projects (E9).

    Example: `bpbridge enhanced expense record --project 1600000000001 --amount 120.50 --date 2026-11-30`
    """


@expense.command("record")
@click.option("--project", "project_id", required=True, help="Projects id of a synced project.")
@click.option("--amount", "value", required=True, type=Amount(), help="Amount in the customer's currency, e.g. 120.50.")
@click.option("--date", "when", required=True, type=IsoDate(), help="YYYY-MM-DD")
@click.option("--customer", "customer_id", help="Books contact id (a billable expense needs one).")
@click.option("--description", default="", help="What the expense was for.")
@click.option("--side", type=click.Choice(["books", "projects"]), default="projects", show_default=True,
              help="Where the expense is recorded.")
@click.pass_obj
def expense_record(app: App, project_id: str, value: Decimal, when: dt.date, customer_id: str | None,
                   description: str, side: str) -> None:
    """Record an expense on one side; it shows on the other at once.

    Example: `bpbridge enhanced expense record --project 1600000000001 --amount 120.50 --date 2026-11-30`
    """
    exp = _integration(app).record_expense(project_id, value, when, customer_id, description, _side(side))
    app.emit(present.expense(exp), lambda d: click.echo(
        f"expense {d['expense_id']}: {present.money_text(d['amount'])} on project {d['project_id']} "
        f"(recorded in {d['side']})"))


def _say(d: dict[str, Any]) -> None:
    click.echo(f"{d['kind']} {d['transaction_id']} {d['number']}: {present.money_text(d['total'])} "
               f"({d['status']}), in project {d['project_id']}'s Finance tab")


@enhanced.group()
def estimate() -> None:
    """Estimates for synced projects (E9).

    Example: `bpbridge enhanced estimate create --project 1600000000001`
    """


@estimate.command("create")
@billing_options
@click.pass_obj
def estimate_create(app: App, project_id: str, customer_id: str | None, side: str) -> None:
    """Quote what an invoice would bill now, on one side; it shows on the other at once.
    An estimate bills nothing: the quoted tasks and time stay invoiceable.

    Example: `bpbridge enhanced estimate create --project 1600000000001`
    """
    txn = _with_estimates_and_bills(app).create_estimate(project_id, customer_id, _side(side))
    app.emit(present.transaction(txn), _say)


@enhanced.group()
def bill() -> None:
    """Vendor bills for synced projects (E9).

    Example: `bpbridge enhanced bill record --project 1600000000001 --vendor 460000000099 --amount 80 --date 2026-11-30`
    """


@bill.command("record")
@click.option("--project", "project_id", required=True, help="Projects id of a synced project.")
@click.option("--vendor", "vendor_id", required=True, help="Books id of a vendor contact.")
@click.option("--amount", "value", required=True, type=Amount(), help="In the vendor's currency.")
@click.option("--date", "when", required=True, type=IsoDate(), help="YYYY-MM-DD")
@click.option("--description", default="", help="What the bill is for.")
@click.option("--bill-number", help="The vendor's bill number (default: a generated reference).")
@click.option("--billable/--not-billable", default=True, show_default=True,
              help="Whether the cost can be billed on to the project's customer.")
@click.option("--side", type=click.Choice(["books", "projects"]), default="books", show_default=True,
              help="Where the bill is recorded.")
@click.pass_obj
def bill_record(app: App, project_id: str, vendor_id: str, value: Decimal, when: dt.date, description: str,
                bill_number: str | None, billable: bool, side: str) -> None:
    """Record a vendor's bill for a project's cost on one side; it shows on the other at once.

    Example: `bpbridge enhanced bill record --project 1600000000001 --vendor 460000000099 --amount 80 --date 2026-11-30`
    """
    txn = _with_estimates_and_bills(app).record_bill(project_id, vendor_id, value, when, description, _side(side),
                                        bill_number=bill_number, billable=billable)
    app.emit(present.transaction(txn), _say)


@enhanced.command()
@click.option("--project", "project_id", required=True, help="Projects id of a synced project.")
@click.pass_obj
def transactions(app: App, project_id: str) -> None:
    """A project's transactions as both sides see them (E9).

    Example: `bpbridge enhanced transactions --project 1600000000001`
    """
    app.emit({"project_id": project_id,
              "transactions": [present.transaction(t) for t in _integration(app).transactions(project_id)]},
             show_transactions)


@enhanced.command()
@confirm_option
@click.pass_obj
def disable(app: App, yes: bool) -> None:
    """Stop syncing (E10); synced data stays in Books.

    Asks first; --yes skips the question (required when stdin is not a terminal).

    Example: `bpbridge enhanced disable --yes`
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
@click.option("--portal", "portal_id", required=True, help="Must be the portal connected before.")
@click.pass_obj
def reenable(app: App, portal_id: str) -> None:
    """Re-enable (E11): only with the portal connected before.

    Example: `bpbridge enhanced reenable --portal 7000000001`
    """
    conn = _integration(app).reenable(portal_id)
    app.emit(present.connection(conn) or {},
             lambda d: click.echo(f"re-enabled with portal {d['portal_id']}"))
