"""Every Books operation the toolkit uses, against the vendor's documents (C-contract):

(a) each request the client sends (both modes replaying shipped scenarios, plus direct calls)
    validates against the operation's parameters and request schema;
(b) each answer of the sandbox has a documented status (201 where the document says 201)
    and validates against that status's response schema; refusals keep the envelope.

Deviations already reported and not ours to fix here are DECLARED below, each matched
narrowly; a declared deviation that no longer occurs fails too, so the list cannot rot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bridge.clients import BooksClient

from . import spec
from .spec import OPERATIONS, Operation, requires_documents
from .traffic import Exchange, Traffic

pytestmark = requires_documents
IDS = [op.id for op in OPERATIONS]


@dataclass(frozen=True)
class Deviation:
    """A known request problem: `op`, the sending mode ("" = any source), a problem regex."""

    op: str
    source: str
    problem: str
    why: str

    def covers(self, op: Operation, exchange: Exchange, problem: str) -> bool:
        return (op.id == self.op and exchange.source.startswith(self.source)
                and re.fullmatch(self.problem, problem) is not None)


# Requests the toolkit sends that break the vendor's request schema on purpose, each with
# why. None today: the last one (expenses without account_id / paid_through_account_id)
# was fixed by the profile's expense accounts.
DEVIATIONS: tuple[Deviation, ...] = ()


def test_every_client_method_is_in_the_operation_table() -> None:
    public = {name for name, value in vars(BooksClient).items()
              if callable(value) and not name.startswith("_")}
    assert public == {op.client for op in OPERATIONS}, (
        "bridge/clients/books.py and tests/contract/spec.py OPERATIONS disagree")


def test_the_toolkit_calls_only_tabled_operations(traffic: Traffic) -> None:
    assert not traffic.unknown, "\n".join(x.label for x in traffic.unknown)


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_request_conforms(op: Operation, traffic: Traffic) -> None:
    assert traffic.of(op), f"nothing sent {op.id}: drive it in traffic.drive_client"
    found = []
    for exchange, problems in traffic.request_problems(op):
        for problem in problems:
            if not any(d.covers(op, exchange, problem) for d in DEVIATIONS):
                found.append(f"{exchange.label}\n    {problem}")
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)


def test_declared_deviations_still_occur(traffic: Traffic) -> None:
    """A declared deviation nobody commits any more must leave the list."""
    seen = set()
    for op in OPERATIONS:
        for exchange, problems in traffic.request_problems(op):
            for problem in problems:
                seen.update(d for d in DEVIATIONS if d.covers(op, exchange, problem))
    assert seen == set(DEVIATIONS), [d.why for d in DEVIATIONS if d not in seen]


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_response_conforms(op: Operation, traffic: Traffic) -> None:
    documented = spec.documented_statuses(op)
    found = []
    for exchange in traffic.of(op):
        status = exchange.response.status_code
        if status >= 400:  # the documents draw no error bodies: the envelope is the contract
            problem = spec.envelope_problem(status, exchange.response.json())
            found += [f"{exchange.label}\n    {problem}"] if problem else []
            continue
        if str(status) not in documented:
            found.append(f"{exchange.label}\n    answered {status}; documented: {documented}")
            continue
        found += [f"{exchange.label}\n    {p}"
                  for p in spec.response_errors(op, exchange.request, exchange.response)]
    assert traffic.of(op), f"no answer to check for {op.id}"
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)


def test_success_statuses_follow_the_documents(traffic: Traffic) -> None:
    """Creates answer what their documents say: 201, except expenses and users (200)."""
    for op in OPERATIONS:
        statuses = {x.response.status_code for x in traffic.of(op) if x.response.status_code < 400}
        assert statuses <= {int(s) for s in spec.documented_statuses(op)}, (op.id, statuses)
