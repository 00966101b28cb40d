"""`bpbridge sandbox`: the embedded imitation of both services ($BRIDGE_HOME/sandbox.db)."""

from __future__ import annotations

import errno
import socket
import time
from typing import Any

import click

from bridge.cli.app import App
from bridge.cli.fixture_arg import fixture_argument, resolve_fixture
from bridge.errors import InputError
from bridge.scenarios.replay import seed_sandbox


@click.group()
@click.pass_obj
def sandbox(app: App) -> None:
    """The embedded sandbox of Books and Projects: its state lives in $BRIDGE_HOME/sandbox.db,
    so a sequence of commands sees one consistent world.

    Example: `bpbridge sandbox load small-agency`, then `bpbridge sandbox serve --port 0`
    """
    app.refuse_live("sandbox")


@sandbox.command("load")
@fixture_argument
@click.option("--keep", is_flag=True, help="Add to the current state instead of resetting it first.")
@click.pass_obj
def load(app: App, fixture: str, keep: bool) -> None:
    """Seed the sandbox with FIXTURE's data (both services), after a reset unless --keep.

    Example: `bpbridge sandbox load small-agency`
    """
    data = resolve_fixture(fixture)
    box = app.sandbox()
    if not keep:
        box.reset()
    seed_sandbox(box, data)
    counts = {service: {kind: len(items) for kind, items in sorted(data[service].items())
                        if isinstance(items, list)} for service in ("books", "projects")}
    app.emit({"scenario": data["name"], "seeded": counts},
             lambda d: click.echo(f"sandbox seeded with {d['scenario']} ({app.home / 'sandbox.db'})"))


# `seed` is the same command under the word the sandbox's own API uses
sandbox.add_command(load, "seed")


@sandbox.command()
@click.pass_obj
def reset(app: App) -> None:
    """Empty the sandbox (both services).

    Example: `bpbridge sandbox reset`
    """
    app.sandbox().reset()
    app.emit({"reset": True}, lambda _: click.echo("sandbox reset"))


@sandbox.command()
@click.pass_obj
def state(app: App) -> None:
    """Print the sandbox's whole state as JSON (deterministic order).

    Example: `bpbridge sandbox state > state.json`
    """
    app.emit(app.sandbox().state())


@sandbox.command()
@click.option("--rate", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Share of calls that fail, from 0 (none) to 1 (all).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["429", "500", "timeout", "delay"]),
              default=("429", "500"), show_default=True, help="What a faulty call answers (repeat for several).")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same faults.")
@click.option("--off", is_flag=True, help="Stop injecting faults.")
@click.pass_obj
def faults(app: App, rate: float, kinds: tuple[str, ...], seed: int, off: bool) -> None:
    """Make the sandbox answer some calls with 429, 500 or delays (deterministic by seed).

    Example: `bpbridge sandbox faults --rate 0.2 --kind 429 --kind timeout`
    """
    box = app.sandbox()
    settings: dict[str, Any] = {}
    if off:
        box.clear_faults()
    else:
        settings = {"rate": rate, "kinds": list(kinds), "seed": seed}
        box.set_faults(**settings)
    app.emit({"faults": settings or None}, lambda d: click.echo(
        "faults: off" if not d["faults"] else
        f"faults: {d['faults']['rate']:.0%} of calls answer {' or '.join(d['faults']['kinds'])} "
        f"(seed {d['faults']['seed']})"))


@sandbox.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback only: nothing else listens.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="0 picks a free port.")
@click.pass_obj
def serve(app: App, host: str, port: int) -> None:
    """Serve the sandbox over real HTTP: Books under /books/v3, Projects under /api/v3,
    tokens at /oauth/v2/token, control under /_sandbox. Ctrl-C stops it.

    Example: `bpbridge sandbox serve --port 8765`
    """
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise click.BadParameter("the sandbox serves on loopback only", param_hint="--host")
    _refuse_busy_port(host, port)  # before the sandbox's file is made
    try:
        handle = app.sandbox().serve(host, port)
    except OSError as exc:  # e.g. taken between the check and the bind
        raise _cannot_listen(host, port, exc) from None
    try:  # from the moment it is served, Ctrl-C is the normal way to stop it: exit 0
        app.emit({"url": handle.url}, lambda d: click.echo(f"sandbox serving on {d['url']} (Ctrl-C to stop)"))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()


def _cannot_listen(host: str, port: int, exc: OSError) -> InputError:
    if exc.errno == errno.EADDRINUSE:
        return InputError(f"port {port} on {host} is in use (pick another with --port, or 0 for a free one)")
    return InputError(f"cannot listen on port {port} of {host}: {exc.strerror or exc}",
                      hint="pick another --port (0 for a free one), or --host 127.0.0.1")


def _refuse_busy_port(host: str, port: int) -> None:
    """Bind the port as the server will (SO_REUSEADDR: a port left in TIME_WAIT is free)."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise _cannot_listen(host, port, exc) from None
