"""C1: the HTML report is well-formed, self-contained, and shows each touched record side
by side with the changed fields marked (parsed with the standard library: no browser here)."""

from __future__ import annotations

import copy
from html.parser import HTMLParser

from bridge.compare import CompareResult, diff_views, load_declared
from bridge.compare.report_html import render_html
from tests.compare.test_compare import inject

VOID = {"meta", "br", "img", "hr", "input", "link", "col", "area", "base", "wbr", "source"}


class Page(HTMLParser):
    """Checks nesting and collects rows: (record, field, class, cells)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.external: list[str] = []
        self.rows: list[dict[str, object]] = []
        self.record = ""
        self.ids: dict[str, str] = {}
        self._text: list[str] | None = None
        self._id: str | None = None
        self._idtext: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "link", "img", "iframe") or any(k in ("src", "href") for k in a):
            self.external.append(tag)
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "table" and a.get("data-record"):
            self.record = str(a["data-record"])
        if tag == "tr" and "data-field" in a:
            self.rows.append({"record": self.record, "field": a["data-field"], "class": a.get("class"), "cells": []})
        if tag == "td":
            self._text = []
        if a.get("id"):
            self._id, self._idtext = a["id"], []

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag == "td" and self._text is not None and self.rows:
            cells = self.rows[-1]["cells"]
            assert isinstance(cells, list)
            cells.append("".join(self._text))
            self._text = None
        if self._id is not None and tag in ("span", "td"):
            self.ids[self._id] = "".join(self._idtext).strip()
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._id is not None:
            self._idtext.append(data)


def parse(html: str) -> Page:
    assert html.lstrip().startswith("<!DOCTYPE html>")
    page = Page()
    page.feed(html)
    page.close()
    assert not page.errors, page.errors
    assert page.stack == [], f"unclosed: {page.stack}"
    return page


def test_clean_report_is_valid_and_self_contained_C1(clean_result: CompareResult) -> None:
    page = parse(render_html(clean_result))
    assert page.external == []
    assert page.ids["verdict"] == "OK" and page.ids["undeclared-count"] == "0"
    assert int(page.ids["declared-count"]) == len(clean_result.comparison.declared)
    declared_rows = [r for r in page.rows if r["class"] == "declared"]
    assert declared_rows and not [r for r in page.rows if r["class"] == "undeclared"]


def test_undeclared_record_is_shown_side_by_side_and_highlighted_C1_C2(clean_result: CompareResult) -> None:
    result = copy.copy(clean_result)
    result.views = inject(clean_result.views, "enhanced")
    result.comparison = diff_views(result.views, load_declared())
    page = parse(render_html(result))
    assert page.ids["verdict"] == "FAILED" and page.ids["undeclared-count"] == "1"
    rows = [r for r in page.rows if r["record"] == 'books.customers["Injected Ltd"]']
    assert {r["field"] for r in rows} == {"contact_type", "currency_code", "email"}
    for row in rows:
        assert row["class"] == "undeclared"
        _field, legacy, enhanced, _rule = row["cells"]
        assert legacy == "—" and enhanced != "—"


def test_changed_field_highlighted_unchanged_fields_not_C1(clean_result: CompareResult) -> None:
    result = copy.copy(clean_result)
    views = copy.deepcopy(clean_result.views)
    name = next(iter(views["enhanced"]["books"]["customers"]))
    views["enhanced"]["books"]["customers"][name]["email"] = "x@example.com"
    result.views, result.comparison = views, diff_views(views, load_declared())
    rows = {r["field"]: r for r in parse(render_html(result)).rows
            if r["record"] == f'books.customers["{name}"]'}
    assert rows["email"]["class"] == "undeclared"
    assert rows["currency_code"]["class"] == "same"
    assert rows["email"]["cells"][2] == "x@example.com"
