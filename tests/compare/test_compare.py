"""C1, C2: the diff, the declared differences and what makes a comparison fail."""

from __future__ import annotations

import copy
import json

import pytest

from bridge.compare import CompareResult, diff_views, load_declared
from bridge.compare.declared import path_matches
from bridge.compare.diff import Difference
from bridge.errors import FixtureError

INJECTED = ("books", "customers", "Injected Ltd")


def inject(views: dict[str, dict], mode: str) -> dict[str, dict]:
    out = copy.deepcopy(views)
    out[mode]["books"]["customers"]["Injected Ltd"] = {"contact_type": "customer", "currency_code": "USD",
                                                      "email": None}
    return out


def test_clean_scenario_has_only_declared_differences_C2(clean_result: CompareResult) -> None:
    assert clean_result.ok
    assert clean_result.comparison.declared, "the modes differ, as declared"
    assert all(d.declared for d in clean_result.comparison.differences)


@pytest.mark.parametrize("mode", ["legacy", "enhanced"])
def test_an_injected_undeclared_difference_fails_and_is_named_C2(clean_result: CompareResult, mode: str) -> None:
    comparison = diff_views(inject(clean_result.views, mode), load_declared())
    assert not comparison.ok
    [d] = comparison.undeclared
    assert d.path == INJECTED and d.only_in == mode
    assert d.where == 'books.customers["Injected Ltd"]'
    assert any("Injected Ltd" in line for line in comparison.summary()["undeclared"])


def test_a_changed_field_is_one_difference_with_both_values_C1(clean_result: CompareResult) -> None:
    views = copy.deepcopy(clean_result.views)
    customer = next(iter(views["enhanced"]["books"]["customers"]))
    views["enhanced"]["books"]["customers"][customer]["currency_code"] = "XXX"
    [d] = diff_views(views, load_declared()).undeclared
    assert d.change == "changed" and d.values["enhanced"] == "XXX" and d.path[-1] == "currency_code"


def test_views_are_keyed_by_names_not_sandbox_ids_C1(clean_result: CompareResult) -> None:
    text = json.dumps(clean_result.views)
    assert "<unresolved>" not in text
    invoices = clean_result.views["legacy"]["books"]["invoices"]
    assert invoices and all(" / invoice " in key for key in invoices)


def test_declared_rules_name_their_reason_and_spec_C2() -> None:
    declared = load_declared()
    assert declared.version == 1 and declared.rules
    assert all(r.reason and r.spec for r in declared.rules)


@pytest.mark.parametrize(("pattern", "path", "hit"), [
    ("books.projects.*", ("books", "projects", "Acme"), True),
    ("books.projects.*", ("books", "projects", "Acme", "rate"), False),
    ("books.reports.*.expenses.**", ("books", "reports", "Acme", "expenses", "USD", "total"), True),
    ("books.reports.*.expenses.**", ("books", "reports", "Acme", "expenses"), True),
    ("books.invoices.*.lines.*.task", ("books", "invoices", "A / invoice 1", "lines", 0, "task"), True),
    ("run.steps.* set_preferences", ("run", "steps", "01 set_preferences"), True),
    ("run.steps.* set_preferences", ("run", "steps", "01 sync"), False),
])
def test_path_patterns_C2(pattern: str, path: tuple, hit: bool) -> None:
    assert path_matches(pattern.split("."), path) is hit


def test_value_conditions_narrow_a_rule_C2() -> None:
    rule = next(r for r in load_declared().rules if r.id == "enhanced-only-preferences")
    path = ("run", "steps", "01 set_preferences")
    assert rule.matches(Difference(path, "changed", {"legacy": "not_applicable", "enhanced": "ok"}))
    assert not rule.matches(Difference(path, "changed", {"legacy": "error: AttributeError", "enhanced": "ok"}))


def test_a_bad_declared_file_is_refused_with_its_path_C2(tmp_path) -> None:
    bad = tmp_path / "declared.json"
    bad.write_text(json.dumps({"version": 1, "differences": [{"id": "x", "match": {}, "reason": "r",
                                                                "spec": ["E4"]}]}))
    with pytest.raises(FixtureError) as err:
        load_declared(bad)
    assert "differences[0].match" in err.value.json_path.replace("$.", "")
