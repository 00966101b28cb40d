"""`bridge doctor`: check a live profile, one line per check; exit 0 all good, 1 a check
failed, 2 the profile itself is unusable (missing fields, bad JSON)."""

from __future__ import annotations

import click

from bridge.cli.app import App

MARK = {"ok": "ok  ", "fail": "FAIL", "skipped": "skip"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.pass_context
def doctor(cctx: click.Context, as_json: bool) -> None:
    """Check a live profile: file mode 0600, required fields, the three hosts reachable, a token
    minted, the organization visible in Books, the portal visible in Projects (with
    $BRIDGE_ZSC_KEY and $BRIDGE_EMAIL, as that key's user)."""
    from bridge.doctor import run_doctor
    from bridge.secrets import FileSecrets

    app: App = cctx.obj
    app.json = app.json or as_json
    report = run_doctor(app.profile, box=FileSecrets(app.home / "secrets.json"))

    def human(_: object) -> None:
        click.echo(f"profile {report.profile} ({report.path})")
        for c in report.checks:
            click.echo(f"{MARK[c.status]} {c.name}: {c.detail}" + (f" (fix: {c.fix})" if c.fix and not c.ok else ""))

    app.emit(report.to_json(), human)
    cctx.exit(report.exit_code)
