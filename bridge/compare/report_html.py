"""The comparison as one self-contained HTML page: inline CSS, no scripts, nothing fetched."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from bridge.compare.diff import change_text
from bridge.compare.records import touched_records
from bridge.compare.result import CompareResult

_ENV = Environment(loader=PackageLoader("bridge", "templates"), autoescape=select_autoescape(["html", "j2"]),
                   keep_trailing_newline=True)


def render_html(result: CompareResult) -> str:
    comparison = result.comparison
    counts = Counter(str(d.declared) for d in comparison.declared)
    rules = [{**result.declared.rule(rule_id).to_json(), "count": n} for rule_id, n in sorted(counts.items())]
    return _ENV.get_template("compare.html.j2").render(
        scenario=result.scenario, modes=list(comparison.modes), ok=result.ok, version=result.declared.version,
        failures=result.failures, declared_count=len(comparison.declared), rules=rules,
        undeclared=[{"where": d.where, "text": change_text(d)} for d in comparison.undeclared],
        records=touched_records(comparison, result.views),
    )


def write_html(result: CompareResult, path: Path) -> None:
    path.write_text(render_html(result), encoding="utf-8")
