"""Bad input ends in one clear line and exit 2, before anything is opened or written.

Amounts and dates are click types (bridge/cli/params.py) with one wording in legacy and
enhanced; a bad amount and a bad date each say so on their own. The sandbox's fault rate is
a range; `sandbox serve` on a taken port says which and what to do. A service that does not
answer is named, with the setting that changes the wait.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bridge.cli.main import cli
from bridge.clients import RetryPolicy, ServiceHttp
from bridge.clock import FakeClock
from bridge.errors import ConfigError, ServiceTimeout

GOOD_DATE, GOOD_AMOUNT = "2026-01-02", "12.50"
RECORD = {  # the same command in both modes
    "legacy": ["--mode", "legacy", "legacy", "expense", "record", "--project", "1"],
    "enhanced": ["enhanced", "expense", "record", "--project", "1"],
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("BRIDGE_HOME", str(folder))
    return folder


def _refused(result: Result, code: int = 2) -> str:
    """The one error line; asserts the exit code and that no traceback or internal error shows."""
    assert result.exit_code == code, (result.output, result.exception)
    assert "Traceback" not in result.output and "internal error" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.lower().startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def _record(mode: str, amount: str, date: str) -> Result:
    return CliRunner().invoke(cli, [*RECORD[mode], "--amount", amount, "--date", date])


@pytest.mark.parametrize("mode", ["legacy", "enhanced"])
@pytest.mark.parametrize("amount, says", [
    ("-5", "-5 is not an amount: it must be more than 0"),
    ("0", "0 is not an amount: it must be more than 0"),
    ("abc", "'abc' is not a number"),
    ("nan", "'nan' is not a number"),
    ("Infinity", "'Infinity' is not a number"),
    ("12.345", "12.345 has more than 2 decimals"),
    ("1e30", "1e30 is too large"),
])
def test_a_bad_amount_with_a_good_date_names_only_the_amount(home: Path, mode: str, amount: str, says: str) -> None:
    line = _refused(_record(mode, amount, GOOD_DATE))
    assert "'--amount'" in line and says in line
    assert "--date" not in line and "YYYY" not in line
    assert not home.exists()  # refused before the store or the sandbox is made


@pytest.mark.parametrize("mode", ["legacy", "enhanced"])
@pytest.mark.parametrize("date", ["2026-13-01", "2026-02-30", "20260102", "yesterday", "02/01/2026"])
def test_a_bad_date_with_a_good_amount_names_only_the_date(home: Path, mode: str, date: str) -> None:
    line = _refused(_record(mode, GOOD_AMOUNT, date))
    assert f"'--date': {date!r} is not a date written YYYY-MM-DD" in line
    assert "amount" not in line
    assert not home.exists()


@pytest.mark.parametrize("amount, date", [("abc", GOOD_DATE), (GOOD_AMOUNT, "2026-13-01"), ("-5", GOOD_DATE)])
def test_legacy_and_enhanced_word_a_bad_value_the_same(home: Path, amount: str, date: str) -> None:
    assert _refused(_record("legacy", amount, date)) == _refused(_record("enhanced", amount, date))


def test_a_bill_takes_the_same_amount_and_date(home: Path) -> None:
    bill = ["enhanced", "bill", "record", "--project", "1", "--vendor", "2"]
    amount = _refused(CliRunner().invoke(cli, [*bill, "--amount", "-5", "--date", GOOD_DATE]))
    date = _refused(CliRunner().invoke(cli, [*bill, "--amount", GOOD_AMOUNT, "--date", "2026-13-01"]))
    assert amount == _refused(_record("enhanced", "-5", GOOD_DATE))
    assert date == _refused(_record("enhanced", GOOD_AMOUNT, "2026-13-01"))


def test_the_cutoff_is_a_date_or_none_in_the_same_words(home: Path) -> None:
    line = _refused(CliRunner().invoke(cli, ["enhanced", "preferences", "--cutoff", "soon"]))
    assert "'--cutoff': 'soon' is not a date written YYYY-MM-DD (such as 2026-01-31) or none" in line
    assert not home.exists()


def test_a_fault_rate_outside_0_to_1_is_a_usage_error(home: Path) -> None:
    line = _refused(CliRunner().invoke(cli, ["sandbox", "faults", "--rate", "7"]))
    assert "'--rate': 7.0 is not in the range 0<=x<=1" in line
    assert not home.exists()  # the sandbox was not made to be left unchanged


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_serve_on_a_taken_port_says_which_and_how_to_pick_another(home: Path, taken_port: int) -> None:
    line = _refused(CliRunner().invoke(cli, ["sandbox", "serve", "--port", str(taken_port)]))
    assert line == (f"error: port {taken_port} on 127.0.0.1 is in use "
                    "(pick another with --port, or 0 for a free one)")
    assert not home.exists()  # refused before the sandbox's file is made


def test_a_port_out_of_range_is_a_usage_error(home: Path) -> None:
    line = _refused(CliRunner().invoke(cli, ["sandbox", "serve", "--port", "70000"]))
    assert "'--port': 70000 is not in the range 0<=x<=65535" in line


# -- services that do not answer ----------------------------------------------------------------


def test_a_silent_service_times_out_naming_the_host_and_the_setting(
        silent_server: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_HTTP_TIMEOUT", "0.5")
    http = ServiceHttp("Books", f"http://127.0.0.1:{silent_server}/books/v3",
                       clock=FakeClock(dt.datetime(2026, 1, 5, tzinfo=dt.UTC)),
                       retry=RetryPolicy(max_attempts=1))
    with pytest.raises(ServiceTimeout) as info:
        http.request("GET", "/invoices")
    message = info.value.message
    assert "no answer within 0.5 s (ReadTimeout) from 127.0.0.1" in message
    assert "BRIDGE_HTTP_TIMEOUT sets the wait" in message


def test_a_bad_http_timeout_setting_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_HTTP_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="BRIDGE_HTTP_TIMEOUT='soon'"):
        ServiceHttp("Books", "http://127.0.0.1:1/books/v3")
