"""F1: scenario fixtures validate; a bad one is refused with the JSON path and the rule."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bridge.cli.fixtures import fixtures
from bridge.errors import FixtureError
from bridge.scenarios.fixtures import SCHEMA_PATH, list_scenarios, load_scenario, validate_scenario

REPO = Path(__file__).resolve().parents[1]
SHIPPED = list_scenarios()
Data = dict[str, Any]


@pytest.fixture(scope="module")
def agency() -> Data:
    return load_scenario(REPO / "fixtures" / "scenarios" / "small-agency.json")


def refuse(data: Data) -> FixtureError:
    with pytest.raises(FixtureError) as info:
        validate_scenario(data, "copy.json")
    assert info.value.file == "copy.json"
    return info.value


def corrupt(base: Data, change: Callable[[Data], object]) -> Data:
    data = copy.deepcopy(base)
    change(data)
    return data


# --- the shipped fixtures ---------------------------------------------------------------

def test_f1_at_least_the_six_named_scenarios_ship() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"small-agency", "multi-currency", "draft-without-customer", "double-invoice",
            "general-timesheets", "deleted-project", "broken-data"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_f1_every_shipped_fixture_validates(path: Path) -> None:
    data = load_scenario(path)
    assert data["name"] == path.stem
    current = [u for u in data["books"]["users"] if u.get("is_current_user")]
    assert len(current) == 1 and current[0]["user_role"] == "admin"
    assert data["operations"][0]["op"] == "connect"


def test_list_scenarios_skips_companion_files(tmp_path: Path) -> None:
    for name in ("b.json", "a.json", "a.enhanced.golden.json", "notes.txt"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in list_scenarios(tmp_path)] == ["a.json", "b.json"]


def test_small_agency_has_the_refusal_cases(agency: Data) -> None:
    """L2/E1 material: a portal the connecting user does not own, a user who is not admin."""
    connect = agency["operations"][0]
    users = {u["id"]: u for u in agency["projects"]["users"]}
    me = users[connect["user_id"]]
    assert me["roles"][connect["portal_id"]] == "owner"
    assert any(role != "owner" for role in me["roles"].values())
    assert any(u.get("zsc_key") and set(u["roles"].values()) <= {"employee", "contractor"}
               for u in users.values())
    refused = [op for op in agency["operations"] if op.get("expect_error") == "AlreadyInvoiced"]
    assert refused


def test_broken_data_trips_every_reason_code_of_the_contract() -> None:
    """E12/E13: the schema's reason codes are CONTRACTS.md section 4, and broken-data uses each."""
    contracts = (REPO / "docs" / "CONTRACTS.md").read_text()
    section = contracts.split("## 4.")[1]
    documented = set(re.findall(r"^\| \w+ \| `(\w+)` \|", section, re.MULTILINE))
    schema = json.loads(SCHEMA_PATH.read_text())
    assert set(schema["$defs"]["reason_code"]["enum"]) == documented
    broken = load_scenario(REPO / "fixtures" / "scenarios" / "broken-data.json")
    assert {e["reason_code"] for e in broken["expect"]["errors"]} == documented


# --- schema refusals name the path and the rule -----------------------------------------

CASES: list[tuple[str, Callable[[Data], object], str, str]] = [
    ("wrong type", lambda d: d["projects"]["tasks"][3].__setitem__("rate", 12),
     "$.projects.tasks[3].rate", "expected string, got an integer (12)"),
    ("bad money", lambda d: d["projects"]["tasks"][3].__setitem__("rate", "ten"),
     "$.projects.tasks[3].rate", ('"ten" is not a decimal amount as a string, such as "120.50": '
                                  "0 to 9999999999.99 with at most 2 decimals")),
    ("missing required field", lambda d: d["projects"]["tasks"][2].pop("name"),
     "$.projects.tasks[2].name", "required field 'name' is missing"),
    ("bad id pattern", lambda d: d["projects"]["projects"][1].__setitem__("id", "PRJ-2"),
     "$.projects.projects[1].id", '"PRJ-2" is not an id (a string of 1 to 19 digits)'),
    ("unknown field", lambda d: d["books"]["organization"].__setitem__("colour", "red"),
     "$.books.organization.colour",
     "unknown field 'colour' (allowed: currency_code, email, name, organization_id, plan)"),
    ("impossible date", lambda d: d["projects"]["timelogs"][0].__setitem__("date", "2025-02-30"),
     "$.projects.timelogs[0].date", '"2025-02-30" is not a valid date'),
    ("bad enum", lambda d: d["projects"]["users"][1]["roles"].__setitem__("64000001", "boss"),
     "$.projects.users[1].roles['64000001']",
     '"boss" is not one of: owner, admin, manager, employee, contractor'),
    ("bad role key", lambda d: d["projects"]["users"][1]["roles"].__setitem__("main", "admin"),
     "$.projects.users[1].roles.main", 'key "main" is not an id (a string of 1 to 19 digits)'),
    ("task and bug", lambda d: d["projects"]["timelogs"][0].__setitem__("bug_id", "1800000000001"),
     "$.projects.timelogs[0]", "must not have all of task_id, bug_id together"),
    ("unknown op", lambda d: d["operations"][2].__setitem__("op", "explode"),
     "$.operations[2].op",
     ("unknown op 'explode'; expected one of: connect, set_preferences, sync, complete_task, "
      "log_time, record_expense, create_invoice, finalize_invoice, delete_project, disable, "
      "reenable")),
    ("op without op", lambda d: d["operations"][1].pop("op"),
     "$.operations[1].op", "required field 'op' is missing"),
    ("op field of its own branch", lambda d: d["operations"][5].__setitem__("side", "both"),
     "$.operations[5].side", '"both" is not one of: books, projects'),
    ("op missing a field", lambda d: d["operations"][2].pop("task_id"),
     "$.operations[2].task_id", "required field 'task_id' is missing"),
    ("no today", lambda d: d.pop("today"), "$.today", "required field 'today' is missing"),
]


@pytest.mark.parametrize("change,path,rule", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_f1_schema_refusal_names_path_and_rule(
    agency: Data, change: Callable[[Data], object], path: str, rule: str
) -> None:
    error = refuse(corrupt(agency, change))
    assert (error.json_path, error.rule) == (path, rule)
    assert str(error) == f"copy.json: {path}: {rule}"


# --- cross-reference refusals -------------------------------------------------------------

def _extra_log(d: Data) -> None:
    d["projects"]["timelogs"].append({**d["projects"]["timelogs"][0], "id": "1900000000002"})


REF_CASES: list[tuple[str, Callable[[Data], object], str, str]] = [
    ("duplicate id", _extra_log, "$.projects.timelogs[10].id",
     "duplicate timelog id '1900000000002' (first at $.projects.timelogs[1].id)"),
    ("dangling task", lambda d: d["projects"]["timelogs"][2].__setitem__("task_id", "999"),
     "$.projects.timelogs[2].task_id", "no task with id '999' in $.projects.tasks"),
    ("dangling portal", lambda d: d["projects"]["projects"][0].__setitem__("portal_id", "7"),
     "$.projects.projects[0].portal_id", "no portal with id '7' in $.projects.portals"),
    ("dangling client", lambda d: d["projects"]["projects"][1]["client_ids"].append("5"),
     "$.projects.projects[1].client_ids[1]", "no client with id '5' in $.projects.clients"),
    ("dangling role portal", lambda d: d["projects"]["users"][2]["roles"].__setitem__("9", "admin"),
     "$.projects.users[2].roles['9']", "no portal with id '9' in $.projects.portals"),
    ("dangling books contact", lambda d: d["projects"]["clients"][0].__setitem__("books_contact_id", "1"),
     "$.projects.clients[0].books_contact_id", "no contact with id '1' in $.books.contacts"),
    ("task of another project", lambda d: d["projects"]["timelogs"][0].__setitem__("task_id", "1700000000005"),
     "$.projects.timelogs[0].task_id",
     "task '1700000000005' belongs to project '1600000000002', not to project '1600000000001'"),
    ("expense client not on project", lambda d: d["projects"]["expenses"][2].__setitem__("client_id", "1500000000001"),
     "$.projects.expenses[2].client_id", "client '1500000000001' is not a client of project '1600000000002'"),
    ("client of another portal", lambda d: d["projects"]["projects"][0]["client_ids"].append("1500000000005"),
     "$.projects.projects[0].client_ids[2]",
     "client '1500000000005' belongs to portal '64000002', not the project's portal '64000001'"),
    ("second owner", lambda d: d["projects"]["users"][2]["roles"].__setitem__("64000001", "owner"),
     "$.projects.users[2].roles['64000001']",
     "portal '64000001' is owned by user '1200000000001'; no other user can be its owner"),
    ("op on unknown project", lambda d: d["operations"][5].__setitem__("project_id", "42"),
     "$.operations[5].project_id", "no project with id '42' in $.projects.projects"),
    ("op customer is a vendor", lambda d: d["operations"][5].__setitem__("customer_id", "2317000000040005"),
     "$.operations[5].customer_id", "contact '2317000000040005' is a vendor, not a customer"),
    ("finalize unknown ref", lambda d: d["operations"].append(
        {"op": "finalize_invoice", "ref": "nope", "customer_id": "2317000000040001"}),
     "$.operations[11].ref", "ref 'nope' names no earlier create_invoice that is expected to succeed"),
    ("connect without a key", lambda d: d["operations"][0].__setitem__("user_id", "1200000000003"),
     "$.operations[0].user_id", "user '1200000000003' has no zsc_key to connect with"),
    ("two current users", lambda d: d["books"]["users"][1].__setitem__("is_current_user", True),
     "$.books.users[1].is_current_user", "only one Books user can be the current user"),
    ("expected error on unknown log", lambda d: d.__setitem__("expect", {"errors": [
        {"module": "timesheets", "record_id": "1", "reason_code": "timesheet_not_billable"}]}),
     "$.expect.errors[0].record_id", "no timelog with id '1' in $.projects.timelogs"),
]


@pytest.mark.parametrize("change,path,rule", [c[1:] for c in REF_CASES], ids=[c[0] for c in REF_CASES])
def test_f1_cross_reference_refusal_names_path_and_rule(
    agency: Data, change: Callable[[Data], object], path: str, rule: str
) -> None:
    error = refuse(corrupt(agency, change))
    assert (error.json_path, error.rule) == (path, rule)


def test_a_log_time_id_can_be_named_by_expected_errors(agency: Data) -> None:
    data = corrupt(agency, lambda d: d.__setitem__("expect", {"errors": [
        {"module": "timesheets", "record_id": "1900000000101", "reason_code": "timesheet_not_billable"}]}))
    assert validate_scenario(data, "copy.json") is data


def test_a_log_time_id_must_not_clash_with_a_seeded_log(agency: Data) -> None:
    error = refuse(corrupt(agency, lambda d: d["operations"][3].__setitem__("id", "1900000000004")))
    assert error.json_path == "$.operations[3].id"
    assert error.rule.startswith("duplicate timelog id '1900000000004'")


# --- files ---------------------------------------------------------------------------------

def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "name": "x",\n  "today": 2026-01-01\n}\n')
    with pytest.raises(FixtureError) as info:
        load_scenario(bad)
    assert info.value.file == str(bad)
    assert info.value.json_path == "$"
    assert info.value.rule.startswith("invalid JSON at line 3, column 16:")


def test_missing_file_is_a_fixture_error(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read the file"):
        load_scenario(tmp_path / "absent.json")


def test_not_an_object_is_refused() -> None:
    error = refuse([])  # type: ignore[arg-type]
    assert (error.json_path, error.rule) == ("$", "expected object, got an array")


# --- CLI -------------------------------------------------------------------------------------

def test_cli_check_all_good_exits_0() -> None:
    result = CliRunner().invoke(fixtures, ["check", *map(str, SHIPPED)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"ok {p}" for p in SHIPPED]


def test_cli_check_defaults_to_the_shipped_scenarios() -> None:
    result = CliRunner().invoke(fixtures, ["check"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == len(SHIPPED)


def test_cli_check_a_bad_file_exits_2(tmp_path: Path, agency: Data) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(corrupt(agency, lambda d: d["projects"]["tasks"][3].pop("name"))))
    good = str(SHIPPED[0])
    result = CliRunner().invoke(fixtures, ["check", good, str(bad)])
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"ok {good}", f"FAIL {bad}: $.projects.tasks[3].name: required field 'name' is missing"]


def test_cli_check_json_parses(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    good = str(SHIPPED[0])
    result = CliRunner().invoke(fixtures, ["check", "--json", good, str(bad)])
    assert result.exit_code == 2
    answer = json.loads(result.stdout)
    report = answer["files"]
    assert answer["ok"] is False
    assert report[0] == {"file": good, "ok": True, "path": None, "rule": None}
    assert report[1]["file"] == str(bad) and report[1]["ok"] is False
    assert report[1]["path"] == "$" and "line 1, column 2" in report[1]["rule"]


def test_cli_check_a_directory_means_its_scenarios() -> None:
    result = CliRunner().invoke(fixtures, ["check", "--json", str(REPO / "fixtures" / "scenarios")])
    assert result.exit_code == 0
    assert [e["file"] for e in json.loads(result.stdout)["files"]] == [str(p) for p in SHIPPED]


def test_cli_help() -> None:
    for args in (["--help"], ["check", "--help"]):
        assert CliRunner().invoke(fixtures, args).exit_code == 0
