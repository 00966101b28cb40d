"""The run's rules in SQL (migrate.convert.SqlRules) judge every row as the plan's Python
converter does, reason text included, on rows the shipped scenarios do not have (a draft
whose customer is an empty string, a draft with a customer, a project gone upstream); and
the flat-row comparison verify uses (bridge.verify.row_diff) names what differs whatever
the batch sizes of the two sides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import case, literal, select

from bridge.store import Store
from bridge.store.repo import new_connection
from bridge.store.tables import TransactionRow
from bridge.verify import DiffStats, row_diff
from migrate.convert import Converter, LeftOut, SqlRules
from migrate.expected import without_keys
from migrate.kinds import BY_NAME

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
UPSTREAM = ["P1", "P2"]


def _txn(conn: int, books_id: str, *, status: str, customer: str | None, project: str) -> TransactionRow:
    return TransactionRow(connection_id=conn, kind="invoice", books_id=books_id, projects_id=None, project_id=project,
                          customer_id=customer, currency="USD", total=Decimal("1.00"), status=status,
                          origin="books", number=books_id, created_at=NOW)


@pytest.mark.store
def test_the_sql_rules_leave_out_exactly_what_the_converter_leaves_out_with_its_reason(store: Store) -> None:
    with store.session() as s:
        conn = new_connection(s, mode="legacy", organization_id="1", portal_id="2", email="a@b.example", key="k",
                              shared_name="", shared_email="", now=NOW).id
        s.add_all([
            _txn(conn, "1", status="draft", customer=None, project="P1"),
            _txn(conn, "2", status="draft", customer="", project="P1"),
            _txn(conn, "3", status="draft", customer="C1", project="P1"),
            _txn(conn, "4", status="sent", customer=None, project="P2"),
            _txn(conn, "5", status="sent", customer="C1", project="GONE"),
            _txn(conn, "6", status="draft", customer=None, project="GONE"),
        ])
    kind = BY_NAME["transactions"]
    rules = SqlRules("m1", UPSTREAM).rules(kind)
    t = kind.table
    code = case(*((cond, literal(rule.code)) for cond, rule in rules), else_=literal(""))
    reason = case(*((cond, rule.reason_sql(t)) for cond, rule in rules), else_=literal(""))
    with store.engine.connect() as c:
        got = c.execute(select(t.c.books_id, code.label("code"), reason.label("reason"),
                               SqlRules.key_text(kind).label("key")).where(t.c.connection_id == conn)).all()
        rows = c.execute(select(t).where(t.c.connection_id == conn)).all()
    assert [r.key for r in got] == [f"invoice/{r.books_id}" for r in got]  # Kind.key_text: kind/books_id
    in_sql = {r.books_id: (r.code, r.reason) for r in got}
    converter = Converter(0, "m1", frozenset(UPSTREAM), set())
    in_python: dict[str, tuple[str, str]] = {}
    for row in rows:
        verdict = converter.convert(kind, row)
        in_python[row.books_id] = (verdict.reason_code, verdict.reason) if isinstance(verdict, LeftOut) else ("", "")
    assert in_sql == in_python
    assert {k for k, (c, _) in in_sql.items() if c} == {"1", "2", "5", "6"}


FIELDS = ("a", "b")


def _rows(*keys: int, changed: dict[int, str] | None = None) -> list[tuple[Any, ...]]:
    return [(f"k{n:03d}", n % 3, (changed or {}).get(n, f"a{n}"), "b") for n in keys]


def _batches(rows: list[tuple[Any, ...]], size: int) -> list[list[tuple[Any, ...]]]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


@pytest.mark.parametrize(("exp_size", "act_size"), [(4, 4), (3, 7), (10, 1), (1, 10)])
def test_row_diff_names_each_difference_whatever_the_batch_sizes(exp_size: int, act_size: int) -> None:
    expected = _rows(*range(20))
    actual = _rows(*(n for n in range(23) if n != 5), changed={11: "wrong"})  # 5 missing, 11 changed, 20-22 extra
    stats = DiffStats()
    found = [str(d) for d in row_diff("t", _batches(expected, exp_size), _batches(actual, act_size), key_len=2,
                                      fields=FIELDS, stats=stats)]
    assert found == ["t[k005/2]: missing", "t[k011/2].a: expected 'a11', found 'wrong'",
                     "t[k020/2]: extra", "t[k021/0]: extra", "t[k022/1]: extra"]
    assert stats.records == 20
    equal = DiffStats()
    assert list(row_diff("t", _batches(expected, exp_size), _batches(expected, act_size), key_len=2, fields=FIELDS,
                         stats=equal)) == []
    assert equal.skipped_equal == equal.batches


def test_without_keys_drops_exactly_the_keys_listed() -> None:
    rows = _rows(*range(10))
    left = sorted([("k003", 0), ("k007", 1), ("k004", 99), ("zzz", 0)])  # two there, two not
    assert [r[0] for r in without_keys(rows, 2, left)] == [f"k{n:03d}" for n in range(10) if n not in (3, 7)]
    assert without_keys(rows, 2, []) is rows
