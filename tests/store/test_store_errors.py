"""A store that cannot be used ends in one line naming it (password hidden) and a hint: exit 2
when --db is wrong (URL, scheme, driver, not a database), 1 when the store refuses (read-only,
missing for a command that only reads, server silent or unreachable, login refused, schema
too new). Never `internal error`, never a hang, nothing made or written.

A password with `%` in it works: Alembic is handed the connection, not the URL.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bridge.cli.main import cli
from bridge.errors import NoStore, StoreReadOnly
from bridge.store import Store
from bridge.store.schema import head_revision
from bridge.store.tables import ApiUsage
from tests.conftest import PG_ENV

pytestmark = pytest.mark.store

SCHEMES = ("sqlite", "postgresql+psycopg")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("BRIDGE_HOME", str(folder))
    return folder


def bridge(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _refused(result: Result, code: int) -> str:
    """The one error line; asserts the exit code and that no traceback or internal error shows."""
    assert result.exit_code == code, (result.output, result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- --db names no usable store: exit 2 ---------------------------------------------------------
def test_an_unknown_scheme_says_which_schemes_work(home: Path) -> None:
    result = bridge("--db", "foo://bar", "db", "current")
    line = _refused(result, 2)
    assert line == "error: foo://bar: no database driver for the scheme foo://"
    assert all(scheme in result.stderr for scheme in SCHEMES)
    assert "need their driver installed" in result.stderr
    assert not home.exists()


def test_a_scheme_whose_driver_is_not_installed_names_the_module(home: Path) -> None:
    result = bridge("--db", "mysql://u:s3cret@h/d", "db", "current")
    line = _refused(result, 2)
    assert line == "error: mysql://u:***@h/d: the driver for mysql:// is not installed (no Python module MySQLdb)"
    assert all(scheme in result.stderr for scheme in SCHEMES)
    assert "s3cret" not in result.output
    assert not home.exists()


def test_a_url_that_does_not_parse_is_named_without_its_password(home: Path) -> None:
    result = bridge("--db", "postgresql+psycopg://u:s3cret@h:port/d", "db", "upgrade")
    line = _refused(result, 2)
    assert "postgresql+psycopg://u:***@h:port/d is not a database URL (its port is not a number)" in line
    assert "s3cret" not in result.output


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("shopping list: eggs, milk\n" * 200)
    before = _files(folder)
    for command in (["db", "current"], ["db", "upgrade"], ["--mode", "legacy", "legacy", "status"]):
        line = _refused(bridge("--db", str(folder / "notes.txt"), *command), 2)
        assert line == f"error: {folder / 'notes.txt'} is not an SQLite database"
    assert _files(folder) == before  # not a byte changed, no journal left beside it
    assert not home.exists()


def test_a_folder_is_not_a_store(home: Path, tmp_path: Path) -> None:
    line = _refused(bridge("--db", str(tmp_path), "db", "upgrade"), 2)
    assert line == f"error: {tmp_path} is a folder, not an SQLite database"


def test_a_bad_connect_timeout_setting_is_refused_by_name(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_DB_CONNECT_TIMEOUT", "soon")
    line = _refused(bridge("--db", "postgresql+psycopg://u@127.0.0.1:1/x", "db", "current"), 2)
    assert "BRIDGE_DB_CONNECT_TIMEOUT='soon'" in line


# -- commands that only read never make a store -------------------------------------------------
READERS = [["db", "current"], ["migrate", "status"], ["--mode", "legacy", "legacy", "status"],
           ["enhanced", "status"], ["enhanced", "history"], ["enhanced", "errors"],
           ["--mode", "legacy", "legacy", "report"]]


@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c[-2:]))
def test_a_reader_at_a_missing_path_is_refused_and_makes_nothing(
        home: Path, tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "typo" / "state.db"
    line = _refused(bridge("--db", str(missing), *command), 1)
    assert line == (f"error: no store at {missing} (run a command that writes, e.g. `bpbridge db upgrade`, "
                    "or check --db/--home)")
    assert not missing.parent.exists() and not home.exists()


@pytest.mark.parametrize("command", READERS[:3], ids=lambda c: " ".join(c[-2:]))
def test_a_reader_without_a_store_in_home_makes_no_home(home: Path, command: list[str]) -> None:
    line = _refused(bridge(*command), 1)
    assert f"no store at {home / 'state.db'}" in line
    assert not home.exists()


def test_a_writer_makes_the_store_a_reader_then_reads(home: Path) -> None:
    assert bridge("db", "upgrade").exit_code == 0
    result = bridge("db", "current")
    assert result.exit_code == 0 and f"at {head_revision()}" in result.stdout


def test_the_library_refuses_to_read_a_missing_store(tmp_path: Path) -> None:
    with pytest.raises(NoStore):
        Store.open(f"sqlite:///{tmp_path / 'a' / 'b.db'}", create=False)
    assert not (tmp_path / "a").exists()


# -- read-only stores: refused, nothing written -------------------------------------------------
@pytest.fixture
def made_store(tmp_path: Path) -> Path:
    path = tmp_path / "store" / "state.db"
    Store.open(str(path)).close()
    return path


def _ro(path: Path) -> str:
    """SQLite's read-only open: what a store this user may not write looks like, even to root."""
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def test_a_writer_on_a_read_only_store_is_refused_before_any_work(home: Path, made_store: Path) -> None:
    before = _files(made_store.parent)
    result = bridge("--db", _ro(made_store), "--mode", "legacy", "legacy", "connect",
                    "--email", "dana@northwind.example", "--portal", "64000001", "--key", "5f1c2a9e8b7d4c3a")
    line = _refused(result, 1)
    assert line == f"error: the store at {made_store} is read-only: the URL opens it with mode=ro"
    assert "check the permissions" in result.stderr and "--db" in result.stderr
    assert _files(made_store.parent) == before
    assert not home.exists()  # refused before the sandbox was made


def test_a_reader_reads_a_read_only_store(home: Path, made_store: Path) -> None:
    result = bridge("--db", _ro(made_store), "db", "current")
    assert result.exit_code == 0, result.output
    assert f"at {head_revision()}" in result.stdout


def test_a_write_that_meets_a_read_only_store_ends_as_a_store_error(made_store: Path) -> None:
    store = Store.open(_ro(made_store), create=False)  # opened to read...
    try:
        with pytest.raises(StoreReadOnly) as info, store.session() as s:  # ...then written to
            s.add(ApiUsage(service="books", account="1", day=dt.date(2026, 1, 5), calls=1))
        assert info.value.message.startswith(f"the store at {made_store} is read-only: ")
    finally:
        store.close()


def test_a_plain_connection_translates_as_a_session_does(made_store: Path) -> None:
    """Core readers (keyset batches, bulk copies, verify, plan) use `Store.connect`: the same
    StoreError as the ORM session, not the driver's exception."""
    store = Store.open(_ro(made_store), create=False)
    try:
        with pytest.raises(StoreReadOnly), store.connect() as c:
            c.execute(ApiUsage.__table__.insert().values(service="books", account="1", day=dt.date(2026, 1, 5),
                                                         calls=1))
    finally:
        store.close()


def test_a_store_whose_file_and_folder_are_read_only_is_refused(home: Path, made_store: Path) -> None:
    made_store.chmod(0o444)
    made_store.parent.chmod(0o555)
    try:
        try:
            (made_store.parent / "probe").touch()
        except PermissionError:
            pass
        else:  # root writes whatever the mode says: the _ro tests above cover this case
            pytest.skip("this user writes read-only files (root): chmod cannot make a store read-only")
        before = _files(made_store.parent)
        result = bridge("--db", str(made_store), "enhanced", "preferences", "--cutoff", "none")
        line = _refused(result, 1)
        assert line.startswith(f"error: the store at {made_store} is read-only")
        assert _files(made_store.parent) == before
    finally:
        made_store.parent.chmod(0o755)
        made_store.chmod(0o644)


# -- a newer schema -----------------------------------------------------------------------------
def test_a_store_from_a_newer_toolkit_is_refused_naming_it(home: Path, made_store: Path) -> None:
    engine = create_engine(f"sqlite:///{made_store}")
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    result = bridge("--db", str(made_store), "db", "upgrade")
    line = _refused(result, 1)
    assert f"the store at {made_store} is at schema revision 9999_future" in line
    assert head_revision() in line and "upgrade the toolkit" in result.stderr


# -- servers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["env", "url"])
def test_a_silent_server_ends_in_a_timeout_naming_it_and_the_setting(
        home: Path, silent_server: int, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    url = f"postgresql+psycopg://u@127.0.0.1:{silent_server}/x"
    if how == "env":
        monkeypatch.setenv("BRIDGE_DB_CONNECT_TIMEOUT", "2")
    else:
        url += "?connect_timeout=2"
    started = time.monotonic()
    result = bridge("--db", url, "db", "current")
    assert time.monotonic() - started < 10
    line = _refused(result, 1)
    assert f"the database server at 127.0.0.1:{silent_server} did not answer within 2 s" in line
    assert ("BRIDGE_DB_CONNECT_TIMEOUT" if how == "env" else "connect_timeout in the URL") in result.stderr
    assert not home.exists()


def test_a_closed_port_is_unreachable(home: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed: nothing listens there
    line = _refused(bridge("--db", f"postgresql+psycopg://u:s3cret@127.0.0.1:{port}/x", "legacy", "status"), 1)
    assert f"cannot reach the database server at 127.0.0.1:{port}" in line
    assert "u:***@" in line and "s3cret" not in line


@pytest.fixture
def pg_admin() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"set {PG_ENV} to run the PostgreSQL cases")
    return url


def test_a_login_the_server_refuses_is_named(home: Path, pg_admin: str) -> None:
    url = make_url(pg_admin).set(username=f"nobody_{uuid.uuid4().hex[:8]}", password="s3cret")
    result = bridge("--db", url.render_as_string(hide_password=False), "db", "current")
    line = _refused(result, 1)
    assert "refused the login to the store" in line and "does not exist" in line
    assert "s3cret" not in result.output and "check the user and password" in result.stderr


def test_a_missing_database_on_the_server_is_no_store(home: Path, pg_admin: str) -> None:
    url = make_url(pg_admin).set(database=f"nosuch_{uuid.uuid4().hex[:8]}")
    line = _refused(bridge("--db", url.render_as_string(hide_password=False), "db", "current"), 1)
    assert f"no database {url.database!r} on the server" in line


@pytest.fixture
def percent_role(pg_admin: str) -> Iterator[tuple[str, str]]:
    """A role whose password has `%` in it, owning a database of its own."""
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    name = f"bridge_pct_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as c:
        c.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD 'p%40ss%'"))
        c.execute(text(f'CREATE DATABASE "{name}" OWNER {name}'))
    try:
        yield name, make_url(pg_admin).set(username=name, password="p%40ss%", database=name).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f"DROP ROLE IF EXISTS {name}"))
        admin.dispose()


def test_a_password_with_percent_signs_works_end_to_end(home: Path, percent_role: tuple[str, str]) -> None:
    name, url = percent_role
    assert ":p%2540ss%25@" in url  # as the user writes it: each % encoded as %25
    upgraded = bridge("--db", url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    current = bridge("--db", url, "db", "current")
    assert current.exit_code == 0 and f"at {head_revision()}" in current.stdout
    assert "p%40ss%" not in upgraded.output + current.output
    store = Store.open(url)
    try:
        with store.engine.connect() as c:
            assert c.execute(text("SELECT current_user")).scalar() == name
    finally:
        store.close()
