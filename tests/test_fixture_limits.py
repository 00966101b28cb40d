"""F1 (issue 19): the checker refuses what the replay cannot run, each refusal with its JSON
path; one bad file never stops a multi-file check; a replay of data that never went through
the checker ends in a FixtureError naming the fixture and the path, never an internal error.

The limits and where each comes from: the description of fixtures/schema/scenario.schema.json
and bridge/scenarios/limits.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bridge.cli.fixtures import fixtures
from bridge.cli.main import cli
from bridge.errors import FixtureError
from bridge.scenarios.driver import run_scenario
from bridge.scenarios.fixtures import check_files, load_scenario, validate_scenario
from bridge.scenarios.limits import MAX_DEPTH, MAX_FILE_BYTES
from bridge.scenarios.replay import seed_sandbox
from tests.fixture_mutations import replay_in_process

from .test_scenario import FakeIntegration, FakeProjects

REPO = Path(__file__).resolve().parents[1]
AGENCY_FILE = REPO / "fixtures" / "scenarios" / "small-agency.json"
AGENCY: dict[str, Any] = json.loads(AGENCY_FILE.read_text())
HUGE = "99999999999999999999999999.99"
Data = dict[str, Any]


def changed(change: Callable[[Data], object]) -> Data:
    data = copy.deepcopy(AGENCY)
    change(data)
    return data


def write(folder: Path, name: str, data: Data | str) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def refused(path: Path) -> FixtureError:
    with pytest.raises(FixtureError) as info:
        load_scenario(path)
    assert info.value.file == str(path)
    return info.value


# --- the cases ----------------------------------------------------------------------

def test_a_huge_task_rate_is_refused_with_its_path(tmp_path: Path) -> None:
    bad = write(tmp_path, "huge.json", changed(lambda d: d["projects"]["tasks"][3].__setitem__("rate", HUGE)))
    error = refused(bad)
    assert error.json_path == "$.projects.tasks[3].rate"
    assert error.rule == (f'"{HUGE}" is not a decimal amount as a string, such as "120.50": '
                          "0 to 9999999999.99 with at most 2 decimals")
    result = CliRunner().invoke(fixtures, ["check", str(bad)])
    assert result.exit_code == 2
    assert result.stdout.startswith(f"FAIL {bad}: $.projects.tasks[3].rate: ")


def test_scenario_run_of_a_huge_rate_is_a_fixture_error_not_an_internal_error(tmp_path: Path) -> None:
    bad = write(tmp_path, "huge.json", changed(lambda d: d["projects"]["tasks"][0].__setitem__("rate", HUGE)))
    result = CliRunner().invoke(cli, ["--home", str(tmp_path / "home"), "scenario", "run", str(bad),
                                      "--mode", "legacy"])
    assert result.exit_code == 2
    assert f"{bad}: $.projects.tasks[0].rate: " in result.stderr
    assert "internal error" not in result.stderr


def test_a_lone_surrogate_in_a_name_is_refused_with_its_path(tmp_path: Path) -> None:
    text = json.dumps(AGENCY).replace('"Discovery workshop"', '"Discovery \\ud800 workshop"')
    error = refused(write(tmp_path, "surrogate.json", text))
    assert error.json_path == "$.projects.tasks[0].name"
    assert error.rule == ('"Discovery \\ud800 workshop" is not text that UTF-8 can encode '
                          "(a lone surrogate such as \\ud800)")


def test_a_lone_surrogate_in_a_key_is_refused_with_its_path(tmp_path: Path) -> None:
    text = json.dumps(AGENCY).replace('"64000002": "admin"', '"\\udc00": "admin"', 1)
    error = refused(write(tmp_path, "key.json", text))
    assert error.json_path == "$.projects.users[0].roles['\\udc00']"  # printable
    assert error.rule == 'key "\\udc00" is not text that UTF-8 can encode (a lone surrogate such as \\ud800)'


def test_a_surrogate_pair_is_text(tmp_path: Path) -> None:
    text = json.dumps(AGENCY).replace('"Discovery workshop"', '"Discovery \\ud83d\\ude00"')
    assert load_scenario(write(tmp_path, "pair.json", text))["projects"]["tasks"][0]["name"] == "Discovery \U0001f600"


def test_1000_deep_nesting_fails_its_own_file_and_the_next_file_is_still_checked(tmp_path: Path) -> None:
    deep = write(tmp_path, "deep.json", "[" * 1000 + "]" * 1000)
    later = write(tmp_path, "later.json", "[" * 1000 + "]" * 1000)
    result = CliRunner().invoke(fixtures, ["check", str(deep), str(AGENCY_FILE), str(later)])
    assert result.exit_code == 2
    deep_path = "$" + "[0]" * MAX_DEPTH
    assert result.stdout.splitlines() == [
        f"FAIL {deep}: {deep_path}: nests deeper than {MAX_DEPTH} levels (MAX_DEPTH)",
        f"ok {AGENCY_FILE}",
        f"FAIL {later}: {deep_path}: nests deeper than {MAX_DEPTH} levels (MAX_DEPTH)",
    ]


def test_deep_nesting_is_found_before_parsing_and_named_by_keys_and_indexes(tmp_path: Path) -> None:
    nested = "[" * 1000 + "]" * 1000
    text = json.dumps(AGENCY).replace('"owner_ids": ["1200000000001"]', f'"owner_ids": {nested}', 1)
    error = refused(write(tmp_path, "deep.json", text))
    assert error.json_path == "$.projects.tasks[0].owner_ids" + "[0]" * (MAX_DEPTH - 4)


def test_brackets_inside_strings_do_not_count(tmp_path: Path) -> None:
    notes = '[{"x": ' * 50 + "\\\" ]]] \\\\"
    data = changed(lambda d: d["projects"]["timelogs"][0].__setitem__("notes", notes))
    assert load_scenario(write(tmp_path, "brackets.json", data))["projects"]["timelogs"][0]["notes"] == notes


def test_deep_data_handed_over_parsed_is_refused_without_recursing() -> None:
    value: Any = "leaf"
    for _ in range(5000):
        value = [value]
    data = changed(lambda d: d["projects"]["timelogs"][0].__setitem__("notes", value))
    with pytest.raises(FixtureError) as info:
        validate_scenario(data, "deep")
    assert info.value.json_path == "$.projects.timelogs[0].notes" + "[0]" * (MAX_DEPTH - 4)


def test_a_file_over_the_size_limit_is_refused_by_its_size_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    big = tmp_path / "big.json"
    with big.open("w") as fh:
        fh.write('{"name": "big", "pad": "')
        fh.write("x" * MAX_FILE_BYTES)
        fh.write('"}')

    def unread(*args: object, **kwargs: object) -> str:
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_text", unread)
    error = refused(big)
    assert error.json_path == "$"
    assert error.rule == (f"the file is {big.stat().st_size:,} bytes; the limit is "
                          f"{MAX_FILE_BYTES:,} bytes (MAX_FILE_BYTES)")


def test_a_file_at_the_size_limit_is_checked(tmp_path: Path) -> None:
    text = json.dumps(AGENCY)
    at_limit = write(tmp_path, "padded.json", text + " " * (MAX_FILE_BYTES - len(text)))
    assert at_limit.stat().st_size == MAX_FILE_BYTES
    assert load_scenario(at_limit)["name"] == "small-agency"


# --- every limit, with its path ---------------------------------------------------------

def _set(*path: str | int, value: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        for part in path[:-1]:
            data = data[part]  # type: ignore[index]
        data[path[-1]] = value  # type: ignore[index]
    return change


LIMITS: list[tuple[str, Callable[[Data], None], str, str]] = [
    ("negative money", _set("projects", "expenses", 0, "amount", value="-1.00"),
     "$.projects.expenses[0].amount", '"-1.00" is not a decimal amount'),
    ("three decimals", _set("projects", "projects", 1, "rate", value="12.345"),
     "$.projects.projects[1].rate", '"12.345" is not a decimal amount'),
    ("11 digits", _set("operations", 7, "amount", value="10000000000.00"),
     "$.operations[7].amount", '"10000000000.00" is not a decimal amount'),
    ("seeded minutes over two days", _set("projects", "timelogs", 2, "minutes", value=2881),
     "$.projects.timelogs[2].minutes", "2881 is above the maximum, 2880"),
    ("seeded minutes under minus a day", _set("projects", "timelogs", 2, "minutes", value=-1441),
     "$.projects.timelogs[2].minutes", "-1441 is below the minimum, -1440"),
    ("huge minutes", _set("projects", "timelogs", 2, "minutes", value=10**30),
     "$.projects.timelogs[2].minutes", f"{10**30} is above the maximum, 2880"),
    ("log_time over a day", _set("operations", 3, "minutes", value=1441),
     "$.operations[3].minutes", "1441 is above the maximum, 1440"),
    ("log_time negative", _set("operations", 3, "minutes", value=-5),
     "$.operations[3].minutes", "-5 is below the minimum, 0"),
    ("minutes with a fraction", _set("projects", "timelogs", 2, "minutes", value=90.0),
     "$.projects.timelogs[2].minutes", "90.0 is not a whole number"),
    ("date before 1970", _set("projects", "expenses", 1, "date", value="1969-12-31"),
     "$.projects.expenses[1].date", '"1969-12-31" is not an ISO date (yyyy-mm-dd) from 1970-01-01'),
    ("date after 2999", _set("today", value="9999-12-31"),
     "$.today", '"9999-12-31" is not an ISO date (yyyy-mm-dd) from 1970-01-01 to 2999-12-31'),
    ("organization name over 200", _set("books", "organization", "name", value="N" * 201),
     "$.books.organization.name", "must be at most 200 characters"),
    ("email over 320", _set("projects", "users", 2, "email", value="a" * 311 + "@x.example"),
     "$.projects.users[2].email", "must be at most 320 characters"),
]


@pytest.mark.parametrize("change,path,rule", [c[1:] for c in LIMITS], ids=[c[0] for c in LIMITS])
def test_each_limit_is_refused_with_its_path(change: Callable[[Data], None], path: str, rule: str) -> None:
    with pytest.raises(FixtureError) as info:
        validate_scenario(changed(change), "copy.json")
    assert (info.value.json_path, info.value.rule[: len(rule)]) == (path, rule)


AT_THE_LIMITS = [
    _set("projects", "tasks", 0, "rate", value="9999999999.99"),
    _set("projects", "expenses", 0, "amount", value="0"),
    _set("projects", "timelogs", 0, "minutes", value=2880),
    _set("projects", "timelogs", 1, "minutes", value=-1440),
    _set("operations", 3, "minutes", value=1440),
    _set("projects", "expenses", 1, "date", value="1970-01-01"),
    _set("projects", "expenses", 2, "date", value="2999-12-31"),
    _set("books", "organization", "name", value="N" * 200),
]


@pytest.mark.parametrize("change", AT_THE_LIMITS)
def test_values_at_the_limits_pass(change: Callable[[Data], None]) -> None:
    validate_scenario(changed(change), "copy.json")


def test_a_number_too_long_for_python_is_refused_with_where_it_is(tmp_path: Path) -> None:
    text = json.dumps(AGENCY).replace('"minutes": 240', '"minutes": ' + "9" * 5000, 1)
    error = refused(write(tmp_path, "long.json", text))
    assert error.json_path == "$"
    assert error.rule.startswith("a number at line 1, column ") and "too long to read" in error.rule


def test_a_checker_failure_on_one_file_is_that_file_s_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bridge.scenarios.fixtures as module

    real = module.check_references

    def broken_for_one(data: Data, source: str) -> None:
        if source.endswith("odd.json"):
            raise RuntimeError("a bug in the checker")
        real(data, source)

    monkeypatch.setattr(module, "check_references", broken_for_one)
    odd = write(tmp_path, "odd.json", AGENCY)
    report = check_files([odd, AGENCY_FILE])
    assert report == [
        {"file": str(odd), "ok": False, "path": "$",
         "rule": "the checker failed on this file: RuntimeError: a bug in the checker"},
        {"file": str(AGENCY_FILE), "ok": True, "path": None, "rule": None},
    ]


# --- the replay's last resort -------------------------------------------------------------

@pytest.mark.parametrize("mode,index,op", [("legacy", 5, "create_invoice"), ("enhanced", 1, "sync")])
def test_a_replay_of_unchecked_data_names_the_operation_and_the_culprit(
    tmp_path: Path, mode: str, index: int, op: str,
) -> None:
    """Data handed to the replay without the checker: the value it cannot hold ends the
    replay in a FixtureError naming the fixture, the operation that broke, and what the
    checker refuses in the data."""
    data = changed(lambda d: d["projects"]["tasks"][0].__setitem__("rate", HUGE))
    with pytest.raises(FixtureError) as info:
        replay_in_process(tmp_path, data, mode)
    assert (info.value.file, info.value.json_path) == ("small-agency", f"$.operations[{index}]")
    assert info.value.rule.startswith(f"operation {index} ({op}) failed: InvalidOperation: ")
    assert info.value.rule.endswith(f'; the checker refuses the fixture at $.projects.tasks[0].rate: "{HUGE}" '
                                    'is not a decimal amount as a string, such as "120.50": '
                                    "0 to 9999999999.99 with at most 2 decimals")


def test_seeding_unchecked_text_names_the_culprit(tmp_path: Path) -> None:
    from sandbox import Sandbox

    data = changed(lambda d: d["projects"]["tasks"][0].__setitem__("name", "x\ud800"))
    sandbox = Sandbox(tmp_path / "sandbox.db")
    try:
        with pytest.raises(FixtureError) as info:
            seed_sandbox(sandbox, data)
    finally:
        sandbox.close()
    assert (info.value.file, info.value.json_path) == ("small-agency", "$")
    assert info.value.rule.startswith("seeding the sandbox failed: UnicodeEncodeError: ")
    assert "the checker refuses the fixture at $.projects.tasks[0].name: " in info.value.rule
    info.value.message.encode("utf-8")  # printable: the surrogate is escaped


def test_an_op_failing_with_a_foreign_error_names_the_operation() -> None:
    """A valid scenario whose op fails with an error that is not the toolkit's own: the
    FixtureError names the operation's path, and says the checker passed it."""
    integration = FakeIntegration(fail={"sync": [ValueError("a value the toolkit chokes on")]})
    with pytest.raises(FixtureError) as info:
        run_scenario(AGENCY, integration, FakeProjects())
    assert (info.value.file, info.value.json_path) == ("small-agency", "$.operations[1]")
    assert info.value.rule.startswith("operation 1 (sync) failed: ValueError: a value the toolkit "
                                      "chokes on; the fixture passes the checker")
    assert isinstance(info.value.__cause__, ValueError)


def test_a_key_twice_in_one_object_is_refused_at_that_object(tmp_path: Path) -> None:
    text = AGENCY_FILE.read_text()
    # the second portal names its owner twice: a parser would keep the last, silently
    first = text.index('"owner_id"', text.index('"pinecrest-partners"'))
    path = tmp_path / "twice.json"
    path.write_text(text[:first] + '"owner_id": "1200000000001", ' + text[first:])
    with pytest.raises(FixtureError) as caught:
        load_scenario(path)
    assert caught.value.json_path == "$.projects.portals[1]"
    assert "'owner_id' appears more than once" in caught.value.message


def test_a_fleet_manifest_with_a_key_twice_is_refused_before_anything_is_queued(tmp_path: Path) -> None:
    from fleet.manifest import load_manifest

    path = tmp_path / "fleet.json"
    path.write_text('{"organizations": [{"name": "a", "scenario": "small-agency", "action": "plan", '
                    '"action": "sync"}]}')
    with pytest.raises(FixtureError) as caught:
        load_manifest(path)
    assert caught.value.json_path == "$.organizations[0]" and "'action'" in caught.value.message
