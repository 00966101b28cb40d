"""Fuzz the Books operations the toolkit uses against the sandbox app, in-process.

Bodies, query parameters and path ids are drawn from the vendor's request schemas (valid,
broken once, or not JSON objects at all). For every request:

- no 5xx (faults are off, so any 5xx is a sandbox bug);
- every 4xx keeps the vendor envelope (`code` a non-zero int, `message` a string);
- a refused request (4xx) changes nothing (`Sandbox.state()` before == after);
- an accepted one answers a documented status with a body matching its schema.

Bounded and deterministic: `derandomize=True`, no example database, a fixed number of
examples per operation (BRIDGE_FUZZ_EXAMPLES overrides it for a longer local run); each
operation starts from the same copied world, so the order tests run in does not matter.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.clock import FakeClock
from bridge.scenarios.fixtures import load_scenario
from bridge.store import Store
from bridge.targets import scenario_clock
from sandbox import Sandbox
from sandbox.wiring import sandbox_context

from ..sandbox.conftest import mint_token
from . import fuzzing, spec
from .spec import MISSING, OPERATIONS, PREFIX, Operation, requires_documents
from .traffic import REPLAYED, SCENARIOS, drive_client

pytestmark = requires_documents
#: examples per operation: writes get more (they have bodies to break)
WRITES, READS = (int(os.environ.get("BRIDGE_FUZZ_EXAMPLES", "0")) or n for n in (24, 8))


class World:
    """A seeded world after one pass of every client call: what each fuzz run starts from."""

    def __init__(self, folder: Path) -> None:
        self.scenario = load_scenario(SCENARIOS / f"{REPLAYED[0]}.json")
        self.clock_at = scenario_clock(self.scenario)
        self.path = folder / "template.db"
        sandbox = Sandbox(self.path, clock=FakeClock(self.clock_at))
        sandbox.seed(self.scenario)
        store = Store.open(f"sqlite:///{folder / 'state.db'}")
        try:
            ctx = sandbox_context(sandbox, store, clock=FakeClock(self.clock_at))
            drive_client(ctx.books, self.scenario)
            self.organization_id = ctx.books.organization_id
            self.ids = _ids(sandbox.state()["books"])
        finally:
            store.close()
            sandbox.close()

    def copy(self, folder: Path) -> Sandbox:
        target = folder / "sandbox.db"
        shutil.copyfile(self.path, target)
        return Sandbox(target, clock=FakeClock(self.clock_at))


def _ids(books: dict[str, Any]) -> dict[str, list[str]]:
    """Every id the Books half holds, by field name ("*": all of them)."""
    found: dict[str, set[str]] = defaultdict(set)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("_id") and isinstance(value, str) and value.isdigit():
                    found[key].add(value)
                    found["*"].add(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(books)
    return {k: sorted(v) for k, v in found.items()}


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    if MISSING:
        pytest.skip(MISSING)
    return World(tmp_path_factory.mktemp("contract-fuzz"))


@pytest.fixture
def box(world: World, tmp_path: Path) -> Iterator[Sandbox]:
    sandbox = world.copy(tmp_path)
    yield sandbox
    sandbox.close()


def requests(op: Operation, world: World) -> st.SearchStrategy[dict[str, Any]]:
    """One request for `op`: path values, query parameters and a body."""
    path_names = [p["name"] for p in spec.parameters(op) if p.get("in") == "path"]
    query = {p["name"]: p for p in spec.parameters(op)
             if p.get("in") == "query" and p["name"] != "organization_id"}
    schema = spec.request_schema(op)
    valid = fuzzing.of(schema, world.ids) if schema else st.just({})
    plain = fuzzing.of(schema, world.ids, plain=True) if schema else st.just({})
    body: st.SearchStrategy[Any] = st.one_of(
        plain.map(fuzzing.encode),
        plain.map(fuzzing.encode),  # twice: plain bodies are the ones often accepted
        valid.map(fuzzing.encode),
        fuzzing.mutated(valid, schema or {}).map(fuzzing.encode),
        st.sampled_from(fuzzing.RAW_BODIES),
    ) if op.method in ("POST", "PUT") else st.just(b"")
    params = st.fixed_dictionaries({}, optional={
        name: fuzzing.string(name, p.get("schema", {}), world.ids)
        | st.integers(-2, 500).map(str) for name, p in query.items()})
    return st.fixed_dictionaries({
        "path": st.fixed_dictionaries({n: fuzzing.path_value(n, world.ids) for n in path_names}),
        "params": params,
        "body": body,
        "organization": st.sampled_from([world.organization_id] * 9 + [None, "1"]),
    })


def send(http: httpx.Client, token: str, op: Operation, drawn: dict[str, Any]) -> httpx.Response:
    params = dict(drawn["params"])
    if drawn["organization"] is not None:
        params["organization_id"] = drawn["organization"]
    return http.request(op.method, PREFIX + fuzzing.fill(op.path, drawn["path"]), params=params,
                        content=drawn["body"] or None,
                        headers={"Authorization": f"Zoho-oauthtoken {token}",
                                 "Content-Type": "application/json"})


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
def test_fuzz(op: Operation, world: World, box: Sandbox) -> None:
    http = box.client()
    token = mint_token(http)
    examples = WRITES if op.method != "GET" else READS

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(drawn=requests(op, world))
    def one(drawn: dict[str, Any]) -> None:
        before = box.state()
        answer = send(http, token, op, drawn)
        status = answer.status_code
        label = f"{op.method} {answer.request.url} body={drawn['body'][:300]!r} -> {status}"
        assert status < 500, f"{label}: {answer.text[:500]}"
        if status >= 400:
            problem = spec.envelope_problem(status, _json(answer))
            assert problem is None, f"{label}: {problem}"
            assert box.state() == before, f"{label}: a refused request changed the state"
        else:
            errors = spec.response_errors(op, answer.request, answer)
            assert not errors, f"{label}:\n" + "\n".join(errors)

    try:
        one()
    finally:
        http.close()


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return answer.text
