"""The `bridge` command: a root group with shared options, and one module per command area.

Exit codes: 0 ok, 1 a check failed (or a service/integration refused), 2 usage or input
error. Errors print as one line on stderr (JSON on stdout with --json), no traceback unless
--debug; secrets are scrubbed from whatever is printed.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from bridge.cli.app import PROGRESS_MODES, App
from bridge.cli.interrupts import interrupted
from bridge.cli.present import error_payload, scrub
from bridge.cli.progress import show_waits
from bridge.errors import BridgeError, CheckFailed, redact

#: command area -> ("module:attribute", one-line help); each module owns one click group
#: or command. The help is here so that `bpbridge --help` imports no area.
AREAS = {
    "db": ("bridge.cli.db:db", "The state store's schema version (upgrade, current, check)."),
    "sandbox": ("bridge.cli.sandbox:sandbox", "The embedded service sandbox: load, serve, reset, faults."),
    "fixtures": ("bridge.cli.fixtures:fixtures", "Validate scenario fixtures (F1)."),
    "scenario": ("bridge.cli.scenario:scenario", "Replay a scenario through the legacy or enhanced mode."),
    "legacy": ("bridge.cli.legacy:legacy", "Operate the legacy integration (L1-L10)."),
    "enhanced": ("bridge.cli.enhanced:enhanced", "Operate the enhanced integration (E1-E14)."),
    "migrate": ("bridge.cli.migrate:migrate", "Plan, run, verify and roll back a migration (M1-M6)."),
    "compare": ("bridge.cli.compare:compare", "Run a scenario through both modes and diff what users see (C1-C2)."),
    "fleet": ("bridge.cli.fleet:fleet", "Many organizations at once on a PostgreSQL job queue (issue 18)."),
    "doctor": ("bridge.cli.doctor:doctor", "Check a live profile: reachability, token, organization, portal."),
}


class LazyGroup(click.Group):
    """Imports a command area only when it is used (or listed), so one broken or slow
    area never slows down the others."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(AREAS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, AREAS[name][1]) for name in sorted(AREAS)])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._load(name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        if name not in AREAS:
            return None
        module_name, _, attr = AREAS[name][0].partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None  # area not built yet
            raise
        command: click.Command = getattr(module, attr)
        _add_json_option(command)
        return command

    def invoke(self, ctx: click.Context) -> object:
        return _invoke_with_errors(self, ctx)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        """click's main, except that under --json a usage error is also the JSON error document."""
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(argv, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(argv, prog_name, complete_var, False, **extra)
        except CommandFailed as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            if "--json" in argv and isinstance(exc, click.UsageError):
                click.echo(_usage_error_json(exc))
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", "home", envvar="BRIDGE_HOME", metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the default store, the sandbox and stored secrets "
                   "[env BRIDGE_HOME; default: the per-user data folder, "
                   "~/.local/share/books-projects-bridge on Linux].")
@click.option("--db", envvar="BRIDGE_DB", metavar="URL|PATH",
              help="State store: an SQLAlchemy URL or an SQLite file path "
                   "[env BRIDGE_DB; default HOME/state.db].")
@click.option("--mode", type=click.Choice(["legacy", "enhanced"]), envvar="BRIDGE_MODE",
              help="Which integration generation commands drive [env BRIDGE_MODE; default enhanced].")
@click.option("--target", type=click.Choice(["sandbox", "live"]), envvar="BRIDGE_TARGET",
              default="sandbox", show_default=True,
              help="The embedded service sandbox, or the real services named by a profile.")
@click.option("--profile", envvar="BRIDGE_PROFILE", help="Live profile name (see `bpbridge doctor`).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="Only results and errors: no progress, no waits.")
@click.option("-v", "--verbose", count=True, help="Say more: which store and target are used; -vv adds each retry.")
@click.option("--progress", "progress", type=click.Choice(PROGRESS_MODES), envvar="BRIDGE_PROGRESS",
              default="auto", show_default=True,
              help="Progress of long work on stderr: a bar on a terminal (auto), periodic lines "
                   "for CI logs (plain), or none (off) [env BRIDGE_PROGRESS].")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs (secrets still scrubbed).")
@click.version_option(package_name="books-projects-bridge")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, db: str | None, mode: str | None, target: str,
        profile: str | None, as_json: bool, quiet: bool, verbose: int, progress: str, debug: bool) -> None:
    """Run, compare and migrate the Books-Projects integrations (legacy and enhanced).

    Start with `bpbridge migrate demo small-agency`: it migrates a shipped scenario on the
    embedded sandbox, in its own folder.

    Example: `bpbridge migrate demo small-agency`
    """
    app = App(db=db, mode=mode, target=target, json=as_json, debug=debug, profile=profile, home_dir=home,
              verbosity=-1 if quiet else verbose, progress="off" if quiet else progress)
    ctx.obj = app
    ctx.call_on_close(app.close)
    ctx.call_on_close(show_waits(app))
    if debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    app = ctx.find_object(App)
    if value and app is not None:
        app.json = True


def _add_json_option(command: click.Command) -> None:
    """Every command takes `--json` where a user types it (`bpbridge migrate status --json`
    as well as `bpbridge --json migrate status`), with one meaning: the answer, or the error,
    as one JSON object on stdout."""
    if not any("--json" in getattr(p, "opts", ()) for p in command.params):
        command.params.append(click.Option(
            ["--json"], is_flag=True, expose_value=False, is_eager=True, callback=_set_json,
            help="Machine-readable output: one JSON object on stdout (as the root --json)."))
    for sub in getattr(command, "commands", {}).values():
        _add_json_option(sub)


class CommandFailed(Exception):
    """A BridgeError (or an unexpected one) as the CLI shows it: one line on stderr, exit code
    from the error class, `{"error": {...}}` on stdout with --json, secrets removed."""

    def __init__(self, exc: BaseException, app: App | None) -> None:
        self.original = exc
        self.app = app
        self.secrets = app.secret_values() if app else ()
        if isinstance(exc, BridgeError):
            self.exit_code = exc.exit_code
            message, body, self.hint = exc.message, exc.to_json(), exc.hint
        else:
            self.exit_code = 1
            message = f"internal error: {type(exc).__name__}: {exc}"
            self.hint = "rerun with --debug for a traceback"
            body = {"type": "InternalError", "message": message, "exit_code": 1, "hint": self.hint}
        self.payload = scrub({"error": body}, self.secrets)
        self.message = redact(message, self.secrets)
        super().__init__(self.message)

    def show(self) -> None:
        if self.app is not None and self.app.debug:
            trace = "".join(traceback.format_exception(self.original))
            click.echo(redact(trace, self.secrets), err=True)
        # A failed check has already printed its result (with "ok": false) as the one JSON
        # document on stdout; anything else that fails prints its error as that document.
        if self.app is not None and self.app.json and not isinstance(self.original, CheckFailed):
            click.echo(json.dumps(self.payload, indent=2, sort_keys=True))
        click.echo(f"error: {self.message}", err=True)
        if self.hint:
            click.echo(redact(f"hint: {self.hint}", self.secrets), err=True)


def _usage_error_json(exc: click.ClickException) -> str:
    """A click usage error (unknown option, bad value) as the --json error document."""
    hint = None
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        hint = f"see `{exc.ctx.command_path} --help`"
    return json.dumps(error_payload("UsageError", exc.format_message(), exc.exit_code, hint),
                      indent=2, sort_keys=True)


def _invoke_with_errors(group: click.Group, ctx: click.Context) -> object:
    try:
        return click.Group.invoke(group, ctx)
    except click.Abort as exc:  # a Ctrl-C at a prompt comes as click's Abort
        if isinstance(exc.__context__, KeyboardInterrupt):
            raise interrupted(ctx) from exc
        raise
    except KeyboardInterrupt as exc:
        raise interrupted(ctx) from exc
    except (click.ClickException, click.exceptions.Exit):
        raise
    except BridgeError as exc:
        raise CommandFailed(exc, ctx.obj if isinstance(ctx.obj, App) else None) from exc
    except Exception as exc:
        app = ctx.obj if isinstance(ctx.obj, App) else None
        raise CommandFailed(exc, app) from exc


def main(argv: list[str] | None = None, prog_name: str = "bpbridge") -> None:
    cli.main(args=argv, prog_name=prog_name)


if __name__ == "__main__":
    main()
