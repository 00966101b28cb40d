"""`bpbridge legacy ...`: the legacy integration (L1-L10) from the command line.

Thin commands: parse, call the integration (built through `bridge.modes`, S2), print.
The ZSC key comes from `--key`, else $BRIDGE_ZSC_KEY, else a hidden prompt; it is never
printed (the root scrubs known secrets from every output as well).
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
from bridge.cli.left_off import show_left_off
from bridge.cli.params import Amount, IsoDate
from bridge.cli.reading import reads_store
from bridge.cli.tables import print_table
from bridge.domain import Credentials, Side
from bridge.errors import InputError
from bridge.interface import HasReports, Integration

F = TypeVar("F", bound=Callable[..., Any])


def _integration(app: App) -> Integration:
    return app.integration("legacy")


def credential_options(f: F) -> F:
    f = click.option("--key", envvar="BRIDGE_ZSC_KEY", prompt="ZSC key", hide_input=True,
                     show_envvar=True, help="The ZSC key (prefer $BRIDGE_ZSC_KEY or the prompt).")(f)
    return click.option("--email", required=True, help="Email of the Projects user the key belongs to.")(f)


@click.group("legacy")
def legacy() -> None:
    """The legacy integration (enabled before 22 Oct 2018): ZSC key, owned portal, invoices
    from both sides, mirrored expenses, reports.

    Example: `bpbridge legacy status`
    """


@legacy.command()
@credential_options
@click.pass_obj
def portals(app: App, email: str, key: str) -> None:
    """List the portals this key's user owns (L2: only those can be connected).

    Example: `BRIDGE_ZSC_KEY=... bpbridge legacy portals --email owner@example.com`
    """
    app.scrub.append(key)
    found = _integration(app).portals(Credentials(email, key))
    app.emit({"portals": found}, lambda d: print_table(
        "Portals you own", ["portal", "name", "role"],
        [(p["portal_id"], p["name"], p["role"]) for p in d["portals"]]))


@legacy.command()
@credential_options
@click.option("--portal", "portal_id", required=True, help="A portal you own.")
@click.pass_obj
def connect(app: App, email: str, key: str, portal_id: str) -> None:
    """Connect the organization to a portal you own (L1, L2); shares its name and email (L10).

    Example: `BRIDGE_ZSC_KEY=... bpbridge legacy connect --email owner@example.com --portal 7000000001`
    """
    app.scrub.append(key)
    conn = _integration(app).connect(Credentials(email, key), portal_id)
    app.emit(present.connection(conn) or {}, lambda d: click.echo(
        f"connected to portal {d['portal_id']} as {d['email']}; shared with Projects: "
        f"{d['shared'].get('name')} <{d['shared'].get('email')}>"))


@legacy.command()
@reads_store
@click.pass_obj
def status(app: App) -> None:
    """Show the connected portal and when invoices/expenses were last mirrored (L3).

    Example: `bpbridge legacy status`
    """
    st = _integration(app).status()
    data = {"mode": st.mode, "badge": st.badge, "connection": present.connection(st.connection),
            "modules": [present.module_status(m) for m in st.modules]}

    def human(d: dict[str, Any]) -> None:
        c = d["connection"]
        if c is None:
            click.echo("not connected")
            return
        click.echo(f"{d['badge']}: portal {c['portal_id']} ({c['email']}), state {c['state']}")
        print_table("Mirroring", ["kind", "state", "last mirrored (UTC)", "fetched", "failed"],
               [(m["module"], m["state"], m["last_synced_at"], m["fetched"], m["failed"])
                for m in d["modules"]])
    app.emit(data, human)


@legacy.command()
@confirm_option
@click.pass_obj
def disconnect(app: App, yes: bool) -> None:
    """Disconnect the portal (recorded data stays; the key is forgotten).

    Asks first; --yes skips the question (required when stdin is not a terminal).

    Example: `bpbridge legacy disconnect --yes`
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
    """Invoices for a project (L4-L6, L8).

    Example: `bpbridge legacy invoice create --project 1600000000001 --customer 460000000012345`
    """


def show_invoice(d: dict[str, Any]) -> None:
    """An invoice as both modes print it: its header, its lines, its total, what it left off."""
    click.echo(f"invoice {d['invoice_id']} {d['number'] or ''} ({d['status']}, from {d['origin']}) for project "
               f"{d['project_id']}, customer {d['customer_id'] or '(none: finalize it)'}")
    print_table("Lines", ["description", "quantity", "rate", "amount", "task", "expense"],
                [(x["description"], x["quantity"], present.money_text(x["rate"]), present.money_text(x["amount"]),
                  x["task_id"], x["expense_id"]) for x in d["lines"]])
    click.echo(f"total {present.money_text(d['total'])}")
    show_left_off(d["left_off"])


@invoice.command("create")
@click.option("--project", "project_id", required=True, help="Projects id of the project to invoice.")
@click.option("--customer", "customer_id", help="Books customer id; omit for a draft (L4).")
@click.option("--side", type=click.Choice([s.value for s in Side]), default=Side.BOOKS.value,
              show_default=True, help="Where the invoice is made.")
@click.pass_obj
def invoice_create(app: App, project_id: str, customer_id: str | None, side: str) -> None:
    """Invoice a project's completed, unbilled work and the customer's expenses.

    Example: `bpbridge legacy invoice create --project 1600000000001 --side projects`
    """
    app.emit(present.invoice(_integration(app).create_invoice(project_id, customer_id, Side(side))),
             show_invoice)


@invoice.command("finalize")
@click.argument("invoice_id")
@click.option("--customer", "customer_id", required=True, help="Books customer id the draft is for.")
@click.pass_obj
def invoice_finalize(app: App, invoice_id: str, customer_id: str) -> None:
    """Give a draft its customer and put it into Books (L4).

    Example: `bpbridge legacy invoice finalize local-1 --customer 460000000012345`
    """
    app.emit(present.invoice(_integration(app).finalize_invoice(invoice_id, customer_id)), show_invoice)


@legacy.group()
def expense() -> None:
    """Expenses (L7).

    Example: `bpbridge legacy expense record --project 1600000000001 --amount 120.50 --date 2026-11-30`
    """


@expense.command("record")
@click.option("--project", "project_id", required=True, help="Projects id of the project.")
@click.option("--amount", required=True, type=Amount(), help="Amount in the customer's currency, e.g. 120.50.")
@click.option("--date", "date", type=IsoDate(), required=True, help="YYYY-MM-DD")
@click.option("--customer", "customer_id", help="Books customer id (a billable expense needs one).")
@click.option("--description", default="", help="What the expense was for.")
@click.option("--side", type=click.Choice([s.value for s in Side]), default=Side.PROJECTS.value,
              show_default=True, help="Where the expense is recorded.")
@click.pass_obj
def expense_record(app: App, project_id: str, amount: Decimal, date: dt.date,
                   customer_id: str | None, description: str, side: str) -> None:
    """Record an expense on one side; it shows on the other.

    Example: `bpbridge legacy expense record --project 1600000000001 --amount 120.50 --date 2026-11-30`
    """
    e = _integration(app).record_expense(project_id, amount, date, customer_id,
                                         description, Side(side))
    app.emit(present.expense(e), lambda d: click.echo(
        f"expense {d['expense_id']}: {present.money_text(d['amount'])} "
        f"on project {d['project_id']} (recorded in {d['side']})"))


_LEGACY_SYNC_SAVED = ("the mirror stopped part way: what it wrote to Books is kept, and the next "
                      "sync reconciles from there")


@legacy.command()
@click.pass_obj
def sync(app: App) -> None:
    """Mirror Projects invoices and expenses into Books; reconcile edits (L6, L7).

    Example: `bpbridge legacy sync`
    """
    # no progress callback in the legacy mirror (its waits still show); a re-run reconciles
    with resumable(app, "legacy sync", saved=lambda: _LEGACY_SYNC_SAVED):
        rep = _integration(app).sync()
    data = {"counts": rep.counts, "errors": list(rep.errors)}

    def human(d: dict[str, Any]) -> None:
        print_table("Mirrored", ["kind", "fetched", "created", "updated", "failed"],
               [(k, c.get("fetched", 0), c.get("created", 0), c.get("updated", 0), c.get("failed", 0))
                for k, c in d["counts"].items()])
        for e in d["errors"]:
            click.echo(f"error: {e['module']} {e['record_id']}: {e['reason']} (fix: {e['fix']})", err=True)
    app.emit(data, human)


@legacy.command()
@reads_store
@click.option("--project", "project_id", help="One project (default: all).")
@click.pass_obj
def report(app: App, project_id: str | None) -> None:
    """Invoices and expenses per project, totals per currency, expenses split into billable
    and non-billable (L9).

    Example: `bpbridge legacy report --project 1600000000001`
    """
    integration = _integration(app)
    if not isinstance(integration, HasReports):
        raise InputError(f"the {integration.mode} integration has no report")
    raw = integration.report(project_id)
    data = {"portal_id": raw["portal_id"], "projects": [_report_project(p) for p in raw["projects"]],
            "totals": _amounts(raw["totals"]), "expense_split": _amounts(raw["expense_split"])}

    def human(d: dict[str, Any]) -> None:
        columns = ["kind", "id", "number", "customer", "status", "origin", "billable", "total"]
        for p in d["projects"]:
            print_table(f"Project {p['project_name'] or '(name unknown)'} ({p['project_id']})", columns,
                        [("invoice", t["invoice_id"], t["number"], t["customer_id"], t["status"], t["origin"],
                          None, present.money_text(t["total"])) for t in p["invoices"]]
                        + [("expense", t["expense_id"], t["number"], t["customer_id"], t["status"], t["origin"],
                            t["billable"], present.money_text(t["total"])) for t in p["expenses"]])
            _totals(p["totals"], p["expense_split"])
        click.echo("all projects:")
        _totals(d["totals"], d["expense_split"])
    app.emit(data, human)


def _report_project(p: dict[str, Any]) -> dict[str, Any]:
    def row(t: dict[str, Any], id_name: str) -> dict[str, Any]:
        shaped = {k: v for k, v in t.items() if k not in ("id", "total", "currency")}
        return {id_name: t["id"], **shaped, "total": present.money(t["total"], t["currency"])}

    return {"project_id": p["project_id"], "project_name": p["project_name"],
            "invoices": [row(t, "invoice_id") for t in p["invoices"]],
            "expenses": [row(t, "expense_id") for t in p["expenses"]],
            "totals": _amounts(p["totals"]), "expense_split": _amounts(p["expense_split"])}


def _amounts(buckets: dict[str, dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """{bucket: {currency: amount}} as {bucket: [money, ...]}: money has one shape."""
    return {bucket: [present.money(amount, cur) for cur, amount in sorted(by.items())]
            for bucket, by in buckets.items()}


def _totals(totals: dict[str, list[dict[str, str]]], split: dict[str, list[dict[str, str]]]) -> None:
    """Totals per bucket, then the expenses' billable and non-billable parts (0 when none)."""
    for bucket, amounts in totals.items():
        click.echo(f"  {bucket}: " + ", ".join(present.money_text(m) for m in amounts))
    for part, label in (("billable", "billable"), ("non_billable", "non-billable")):
        click.echo(f"  expenses, {label}: "
                   + (", ".join(present.money_text(m) for m in split.get(part) or []) or "0"))


@legacy.command()
@click.option("--project", "project_id", required=True, help="Projects id of the project.")
@click.pass_obj
def transactions(app: App, project_id: str) -> None:
    """A project's invoices and expenses as both sides see them.

    Example: `bpbridge legacy transactions --project 1600000000001`
    """
    txns = _integration(app).transactions(project_id)
    app.emit({"project_id": project_id, "transactions": [present.transaction(t) for t in txns]},
             show_transactions)


def show_transactions(d: dict[str, Any]) -> None:
    """A project's transactions as both modes print them."""
    print_table(f"Project {d['project_id']}", ["kind", "id", "number", "customer", "status", "origin", "total"],
                [(t["kind"], t["transaction_id"], t["number"], t["customer_id"], t["status"], t["origin"],
                  present.money_text(t["total"])) for t in d["transactions"]])


@legacy.command()
@confirm_option
@click.pass_obj
def disable(app: App, yes: bool) -> None:
    """Stop the integration; everything recorded stays.

    Asks first; --yes skips the question (required when stdin is not a terminal).

    Example: `bpbridge legacy disable --yes`
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
    """Re-enable, only with the portal connected before.

    Example: `bpbridge legacy reenable --portal 7000000001`
    """
    conn = _integration(app).reenable(portal_id)
    app.emit(present.connection(conn) or {}, lambda d: click.echo(f"re-enabled with portal {d['portal_id']}"))
