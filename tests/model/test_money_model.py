"""Issue 13: a model-based test of the money (L5, L8, E9, E13, M1-M6).

A Hypothesis state machine drives random sequences of operations on the embedded sandbox and
a fresh store (SQLite in a temporary folder), through the entry points the CLI uses:
- upstream, as Projects users would (the Projects client and the sandbox's record API): log
  valid and invalid time, complete tasks, record expenses, fix broken logs;
- legacy, through `bridge.modes.open_integration("legacy", ...)`: invoices from Books and from
  Projects, with and without a customer, drafts finalized, expenses, sync;
- migration (`migrate.run.run_migration`, `migrate.rollback.rollback_migration`,
  `migrate.verify.verify_migration`): run, run interrupted partway and resumed, roll back;
- enhanced, after a migration: re-enable (with the legacy portal; another one is refused),
  sync, invoices and expenses from either side.

After every step the invariants of `tests/model/oracle.py` are checked against what the two
services hold (the sandbox's records, not the store): nothing billed twice, totals are the
sum of the lines, only eligible work is invoiced, the two sides agree on what is billed. A
completed migration must verify (report.ok).

Bounded for the suite (derandomized); `BRIDGE_MODEL_EXAMPLES` / `BRIDGE_MODEL_STEPS` make it
longer (`bench/money_model.py` runs it and prints the figures).
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import tempfile
import time
import warnings
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bridge.clock import FakeClock
from bridge.domain import Credentials, Side
from bridge.errors import BridgeError, PortalMismatch
from bridge.modes import open_integration
from bridge.secrets import FileSecrets
from bridge.store import Store
from bridge.targets import scenario_clock
from migrate.kinds import KINDS
from migrate.rollback import rollback_migration
from migrate.run import run_migration
from migrate.verify import verify_migration
from sandbox import Sandbox
from sandbox.wiring import sandbox_context
from tests.model import oracle
from tests.model import world as W

EXAMPLES_ENV, STEPS_ENV = "BRIDGE_MODEL_EXAMPLES", "BRIDGE_MODEL_STEPS"
EXAMPLES = int(os.environ.get(EXAMPLES_ENV) or 30)
STEPS = int(os.environ.get(STEPS_ENV) or 40)
#: report (and shrink) every distinct failure, not only the first: slower, for the long run
ALL_BUGS_ENV = "BRIDGE_MODEL_ALL_BUGS"

LOG_KINDS = ("valid", "valid", "nonbillable", "pending", "rejected", "zero", "negative", "over_day",
             "future", "stranger")
MINUTES = (30, 45, 90, 240, 1440)
AMOUNTS = ("12.50", "80.00", "240.00")
SIDES = ("books", "projects")
CUSTOMERS = ("none", "primary", "second", "other")
KIND_NAMES = frozenset(k.name for k in KINDS)


class Interrupted(Exception):
    """Raised from the migrator's progress callback: the run stops after a committed batch,
    as a killed one would (BRIDGE_FAULT_KILL_AFTER_RECORDS is SIGKILL: not in-process)."""


class ReenabledOtherPortal(oracle.ModelFailure):
    invariant = "reenable_only_legacy_portal"


#: what ran, for the summary line (tests/model/conftest.py) and bench/money_model.py
STATS: dict[str, Any] = {"sequences": 0, "steps": 0, "outcomes": Counter()}


def reset_stats() -> None:
    STATS.update(sequences=0, steps=0, outcomes=Counter())


def summary_line(seconds: float, examples: int = EXAMPLES, steps: int = STEPS) -> str:
    return (f"money model: {STATS['sequences']} sequences, {STATS['steps']} steps in {seconds:.1f}s "
            f"(max_examples={examples}, stateful_step_count={steps}; sequences include Hypothesis' "
            "generation and shrinking runs)")


_TEMPLATES: dict[bool, Path] = {}


def template(approval: bool) -> Path:
    """The starting world, built once per process and copied for each sequence: the sandbox
    seeded with `tests/model/world.py`, and a fresh store (at head) with the legacy integration
    connected to the portal as its owner (L1, L2). Creating a store's schema costs more than
    a whole sequence; copying the files costs nothing."""
    if approval not in _TEMPLATES:
        home = Path(tempfile.mkdtemp(prefix="money-model-template-"))
        atexit.register(shutil.rmtree, home, True)
        scenario = W.scenario(approval=approval)
        clock = FakeClock(scenario_clock(scenario))
        sandbox = Sandbox(home / "sandbox.db", clock=clock)
        sandbox.seed(scenario)
        store = Store.open(f"sqlite:///{home / 'state.db'}")
        ctx = sandbox_context(sandbox, store, clock=clock, secrets=FileSecrets(home / "secrets.json"))
        open_integration("legacy", ctx).connect(Credentials(W.DANA_EMAIL, W.DANA_KEY), W.PORTAL)
        store.close()
        sandbox.close()
        _TEMPLATES[approval] = home
    return _TEMPLATES[approval]


class MoneyModel(RuleBasedStateMachine):
    logs = Bundle("logs")

    def __init__(self) -> None:
        super().__init__()
        STATS["sequences"] += 1
        self.tmp: str | None = None
        self.phase = "none"

    # -- the world -------------------------------------------------------------------------------
    @initialize(approval=st.booleans())
    def world(self, approval: bool) -> None:
        self.tmp = tempfile.mkdtemp(prefix="money-model-")
        home = Path(self.tmp)
        shutil.copytree(template(approval), home, dirs_exist_ok=True)
        clock = FakeClock(scenario_clock(W.scenario(approval=approval)))
        self.sandbox = Sandbox(home / "sandbox.db", clock=clock)
        self.ctx = sandbox_context(self.sandbox, Store.open(f"sqlite:///{home / 'state.db'}"), clock=clock,
                                   secrets=FileSecrets(home / "secrets.json"))
        self.upstream = self.ctx.projects_for(Credentials(W.DANA_EMAIL, W.DANA_KEY), W.PORTAL)
        self.phase = "legacy"  # legacy | interrupted | migrated | enhanced
        self.drafts: list[tuple[str, str]] = []  # (legacy invoice id, project) without customer
        self.expected: dict[str, int] = {}  # task -> its eligible minutes when first invoiced
        self.dirty = False  # services changed since the migration finished (verify compares them)
        self.serial = 0
        self.touched_while_interrupted = False  # Finance views changed during an interruption

    def teardown(self) -> None:
        if self.tmp is None:
            return
        try:
            self.ctx.store.close()
            self.sandbox.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------------------
    def _attempt(self, name: str, call: Any) -> Any:
        """Run one operation; a refusal (a BridgeError) is an outcome, anything else a failure."""
        STATS["steps"] += 1
        try:
            result = call()
        except BridgeError as exc:
            STATS["outcomes"][f"{name}: {type(exc).__name__}"] += 1
            return None
        STATS["outcomes"][f"{name}: ok"] += 1
        return result

    def _upstream(self, name: str) -> None:
        STATS["steps"] += 1
        STATS["outcomes"][f"{name}: ok"] += 1

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _world(self) -> oracle.World:
        return oracle.World(self.sandbox.state(), W.PORTAL, W.TODAY)

    def _verify(self) -> None:
        """M3/M5: a completed migration verifies; run once it finishes (and by `verify`)."""
        report = verify_migration(self.ctx)
        if report.ok or "verify" in oracle.skipped():
            return
        broken = {k: v for k, v in report.invariants.items() if not v["ok"]}
        detail = (f"{report.difference_count} difference(s) {[d.to_json() for d in report.differences[:10]]}; "
                  f"broken invariants {broken}; services {report.services}")
        if self.touched_while_interrupted and report.difference_count == 0 and not broken:
            # only the services' snapshot differs: verify reports what Projects' users changed
            # since the migration started (docs/MIGRATION.md), here while it stood interrupted;
            # the migrator writes no service, so that is their doing, not a migration fault
            return
        raise oracle.VerifyFailed("[verify] migration does not verify: " + detail)

    # -- upstream (Projects users, and broken data straight into Projects) -------------------------
    @rule(target=logs, task=st.sampled_from(W.TASK_IDS), kind=st.sampled_from(LOG_KINDS),
          minutes=st.sampled_from(MINUTES), owner=st.sampled_from(W.MEMBERS))
    def log_time(self, task: str, kind: str, minutes: int, owner: str) -> str:
        self._upstream(f"log_time {kind}")
        n = self._next()
        project = W.TASKS[task]["project_id"]
        date = W.TODAY - dt.timedelta(days=1 + n % 20)
        if kind == "zero":
            minutes = 0
        elif kind == "over_day":
            minutes = oracle.DAY_MINUTES + 30
        elif kind == "future":
            date = W.TODAY + dt.timedelta(days=3)
        notes = f"model log {n} ({kind})"
        if kind in ("negative", "stranger"):
            # the API refuses these: they reach Projects as broken data (an import, a user
            # who left the portal), straight into its records
            log_id = f"199{n:010d}"  # beside the seeded 19000000000xx
            self.sandbox.add_record("projects", "timelogs", {
                "id": log_id, "project_id": project, "task_id": task,
                "user_id": W.STRANGER if kind == "stranger" else owner, "date": date.isoformat(),
                "minutes": -minutes if kind == "negative" else minutes, "billable": True,
                "approval_status": "Approved", "notes": notes, "invoice_id": ""})
            return log_id
        log = self.upstream.add_timelog(project, task_id=task, date=date, minutes=minutes,
                                        billable=kind != "nonbillable", user_id=owner, notes=notes)
        log_id = str(log["id"])
        if kind in ("pending", "rejected"):
            self.sandbox.patch_record("projects", "timelogs", log_id, {"approval_status": kind.capitalize()})
        return log_id

    @rule(task=st.sampled_from(W.TASK_IDS))
    def complete_task(self, task: str) -> None:
        self._upstream("complete_task")
        self.upstream.complete_task(W.TASKS[task]["project_id"], task)

    @rule(project=st.sampled_from(W.PROJECTS), client=st.sampled_from((W.ACME, W.GLOBEX, W.UMBRELLA)),
          billable=st.booleans(), amount=st.sampled_from(AMOUNTS))
    def upstream_expense(self, project: str, client: str, billable: bool, amount: str) -> None:
        self._upstream("upstream_expense")
        n = self._next()
        self.upstream.create_expense(project, {
            "client_id": client, "amount": amount, "currency_code": "USD",
            "date": W.TODAY - dt.timedelta(days=2), "description": f"model expense {n}", "billable": billable})
        self.dirty = True
        self.touched_while_interrupted |= self.phase == "interrupted"

    @rule(log=logs, fix=st.sampled_from(("approve", "duration", "date")), minutes=st.sampled_from(MINUTES))
    def fix_log(self, log: str, fix: str, minutes: int) -> None:
        """Fix upstream data: approve a pending (or rejected) log, correct a broken duration
        (0, negative, over a day) or a future date. Only broken values change, so a log once
        eligible stays eligible (what the invariants rely on)."""
        self._upstream(f"fix_log {fix}")
        body = self.sandbox.record("projects", "timelogs", log) or {}
        change: dict[str, Any] = {}
        if fix == "approve":
            change["approval_status"] = "Approved"
        elif fix == "duration" and not 0 < int(body.get("minutes", 0)) <= oracle.DAY_MINUTES:
            change["minutes"] = minutes
        elif fix == "date" and dt.date.fromisoformat(str(body.get("date"))[:10]) > W.TODAY:
            change["date"] = (W.TODAY - dt.timedelta(days=1)).isoformat()
        if change:
            self.sandbox.patch_record("projects", "timelogs", log, change)

    # -- legacy ----------------------------------------------------------------------------------
    @precondition(lambda self: self.phase == "legacy")
    @rule(project=st.sampled_from(W.PROJECTS), side=st.sampled_from(SIDES), customer=st.sampled_from(CUSTOMERS))
    def legacy_invoice(self, project: str, side: str, customer: str) -> None:
        contact = W.contact_choice(project, customer)
        before = self._world()
        inv = self._attempt("legacy_invoice", lambda: open_integration("legacy", self.ctx).create_invoice(
            project, contact, Side(side)))
        self.dirty = True
        if inv is None:
            return
        for line in inv.lines:
            if line.task_id:
                self.expected.setdefault(line.task_id, before.eligible_minutes(line.task_id))
        if inv.customer_id is None:
            self.drafts.append((inv.invoice_id, project))

    @precondition(lambda self: self.phase == "legacy" and self.drafts)
    @rule(pick=st.integers(0, 7), customer=st.sampled_from(CUSTOMERS[1:]))
    def legacy_finalize(self, pick: int, customer: str) -> None:
        invoice_id, project = self.drafts[pick % len(self.drafts)]
        done = self._attempt("legacy_finalize", lambda: open_integration("legacy", self.ctx).finalize_invoice(
            invoice_id, W.contact_choice(project, customer) or ""))
        self.dirty = True
        if done is not None:
            self.drafts.remove((invoice_id, project))

    @precondition(lambda self: self.phase == "legacy")
    @rule(project=st.sampled_from(W.PROJECTS), side=st.sampled_from(SIDES),
          customer=st.sampled_from(CUSTOMERS[1:]), amount=st.sampled_from(AMOUNTS))
    def legacy_expense(self, project: str, side: str, customer: str, amount: str) -> None:
        n = self._next()
        self._attempt("legacy_expense", lambda: open_integration("legacy", self.ctx).record_expense(
            project, Decimal(amount), W.TODAY - dt.timedelta(days=1), W.contact_choice(project, customer),
            f"model expense {n}", Side(side)))
        self.dirty = True

    @precondition(lambda self: self.phase == "legacy")
    @rule()
    def legacy_sync(self) -> None:
        self._attempt("legacy_sync", lambda: open_integration("legacy", self.ctx).sync())
        self.dirty = True

    # -- migration -------------------------------------------------------------------------------
    @precondition(lambda self: self.phase in ("legacy", "interrupted"))
    @rule(batch=st.sampled_from((2000, 1, 3)), stop_after=st.sampled_from((None, 1, 2, 4, 7, 12)))
    def migrate(self, batch: int, stop_after: int | None) -> None:
        """Run (or resume) the migration; with `stop_after`, it is interrupted once that many
        records are carried (at a batch's end, as a kill between batches would leave it)."""
        done: dict[str, int] = {}

        def progress(task: str, n: int, total: int | None) -> None:
            if task not in KIND_NAMES:
                return  # the services' snapshot, before the run starts
            done[task] = n  # records of that kind done so far
            if stop_after is not None and sum(done.values()) >= stop_after:
                raise Interrupted(f"stopped after {sum(done.values())} records, in {task}")

        def run() -> str:
            try:
                run_migration(self.ctx, batch=batch, progress=progress)
            except Interrupted:
                return "interrupted"
            return "migrated"

        outcome = self._attempt("migrate", run)
        if outcome == "interrupted":
            STATS["outcomes"]["migrate: interrupted"] += 1
            self.phase = "interrupted"
        elif outcome == "migrated":
            self.phase, self.dirty = "migrated", False
            self._verify()

    @precondition(lambda self: self.phase in ("interrupted", "migrated", "enhanced"))
    @rule()
    def rollback(self) -> None:
        if self._attempt("rollback", lambda: rollback_migration(self.ctx)) is not None:
            self.phase, self.touched_while_interrupted = "legacy", False

    @precondition(lambda self: self.phase == "migrated" and not self.dirty)
    @rule()
    def verify(self) -> None:
        self._attempt("verify", self._verify)

    # -- enhanced, after a migration -------------------------------------------------------------
    @precondition(lambda self: self.phase in ("migrated", "enhanced"))
    @rule(portal=st.sampled_from((W.PORTAL, W.OTHER_PORTAL)), then_sync=st.booleans())
    def reenable(self, portal: str, then_sync: bool) -> None:
        """M6/E11: the migrated integration is re-enabled with the legacy portal, never another
        (`then_sync`: and synced at once, the CLI's next step)."""
        if portal == W.PORTAL:
            if self._attempt("reenable", lambda: open_integration("enhanced", self.ctx).reenable(portal)):
                self.phase = "enhanced"
                if then_sync:
                    self._attempt("enhanced_sync", lambda: open_integration("enhanced", self.ctx).sync())
            return
        STATS["steps"] += 1
        try:
            open_integration("enhanced", self.ctx).reenable(portal)
        except PortalMismatch:
            STATS["outcomes"]["reenable other portal: PortalMismatch"] += 1
            return
        raise ReenabledOtherPortal(f"the migrated integration was re-enabled with portal {portal}")

    @precondition(lambda self: self.phase == "enhanced")
    @rule()
    def enhanced_sync(self) -> None:
        self._attempt("enhanced_sync", lambda: open_integration("enhanced", self.ctx).sync())

    @precondition(lambda self: self.phase == "enhanced")
    @rule(project=st.sampled_from(W.PROJECTS), side=st.sampled_from(SIDES),
          customer=st.sampled_from(CUSTOMERS[:3]))
    def enhanced_invoice(self, project: str, side: str, customer: str) -> None:
        self._attempt("enhanced_invoice", lambda: open_integration("enhanced", self.ctx).create_invoice(
            project, W.contact_choice(project, customer), Side(side)))

    @precondition(lambda self: self.phase == "enhanced")
    @rule(project=st.sampled_from(W.PROJECTS), side=st.sampled_from(SIDES),
          customer=st.sampled_from(CUSTOMERS[:3]), amount=st.sampled_from(AMOUNTS))
    def enhanced_expense(self, project: str, side: str, customer: str, amount: str) -> None:
        n = self._next()
        self._attempt("enhanced_expense", lambda: open_integration("enhanced", self.ctx).record_expense(
            project, Decimal(amount), W.TODAY - dt.timedelta(days=1), W.contact_choice(project, customer),
            f"model expense {n}", Side(side)))

    # -- after every step ------------------------------------------------------------------------
    @invariant()
    def money(self) -> None:
        if self.phase == "none":
            return
        w = self._world()
        for doc in w.documents:
            for task in doc.tasks:
                self.expected.setdefault(task, w.eligible_minutes(task))
        oracle.check_all(w, self.expected)


def model_settings(examples: int = EXAMPLES, steps: int = STEPS, all_bugs: bool | None = None) -> settings:
    if all_bugs is None:
        all_bugs = os.environ.get(ALL_BUGS_ENV, "") not in ("", "0")
    return settings(derandomize=True, database=None, max_examples=examples, stateful_step_count=steps,
                    deadline=None, suppress_health_check=list(HealthCheck), print_blob=False,
                    report_multiple_bugs=all_bugs)


def test_money_model(request: pytest.FixtureRequest) -> None:
    reset_stats()
    started = time.monotonic()
    try:
        run_state_machine_as_test(MoneyModel, settings=model_settings())  # type: ignore[no-untyped-call]
    finally:
        seconds = time.monotonic() - started
        request.node.user_properties.append(("money_model", summary_line(seconds)))
        if os.environ.get("PYTEST_XDIST_WORKER"):
            # the controller of an xdist run does not load tests/model/conftest.py: the line
            # reaches its warnings summary instead (filtered to a plain, non-failing warning)
            warnings.warn(ModelSummary(summary_line(seconds)), stacklevel=1)


class ModelSummary(UserWarning):
    """Carries the summary line to an xdist controller's warnings summary."""


test_money_model = pytest.mark.filterwarnings(
    f"always::{__name__}.ModelSummary")(test_money_model)
