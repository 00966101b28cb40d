"""`bpbridge doctor`: check a live profile, one line per check; exit 0 all good, 1 a check
failed, 2 the profile itself is unusable (missing fields, bad JSON)."""

from __future__ import annotations

from typing import Any

import click

from bridge.cli.app import App

MARK = {"ok": "ok  ", "fail": "FAIL", "skipped": "skip"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.pass_context
def doctor(cctx: click.Context, as_json: bool) -> None:
    """Check a live profile: file mode 0600, required fields, the three hosts reachable, a token
    minted, the organization visible in Books, the portal visible in Projects (with
    $BRIDGE_ZSC_KEY and $BRIDGE_EMAIL, as that key's user).

    Example: `bpbridge --profile acme doctor`
    """
    from bridge.doctor import run_doctor
    from bridge.secrets import FileSecrets

    app: App = cctx.obj
    app.json = app.json or as_json
    report = run_doctor(app.profile, box=FileSecrets(app.home / "secrets.json"))

    def human(_: object) -> None:
        click.echo(f"profile {report.profile} ({report.path})")
        for c in report.checks:
            click.echo(f"{MARK[c.status]} {c.name}: {c.detail}" + (f" (fix: {c.fix})" if c.fix and not c.ok else ""))
        _print_capabilities(report.capabilities)

    app.emit(report.to_json(), human)
    cctx.exit(report.exit_code)


def _print_capabilities(rows: list[dict[str, Any]]) -> None:
    """The capability matrix, one line per operation, with what to do where live cannot."""
    click.echo("\nwhat live mode can and cannot do (bridge.capabilities):")
    width = max((len(r["operation"]) for r in rows), default=0)
    for r in rows:
        line = f"{'live' if r['live'] == 'yes' else 'NO  '} {r['operation']:<{width}}"
        if r["lacks"]:
            line += f"  lacks {', '.join(r['lacks'])}; instead: {r['instead']}"
        elif r["live_without"]:
            line += f"  live without {'; '.join(r['live_without'])}"
        click.echo(line.rstrip())
