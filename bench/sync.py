"""Enhanced sync at portal scale, as a ratio to this machine's floor measured in the same run.

    python bench/sync.py                # 1,000 projects, 20,000 tasks, 5,000 bugs, 200,000 logs
    python bench/sync.py --scale 0.05   # the same shape, 5% of the size

A first sync and a no-change re-sync run against the embedded sandbox in-process (no
network), with a state store in a temp SQLite file unless --db names one.

CPU time, not wall time. Everything measured here (the sync, the in-process sandbox, the
floor) runs in this one thread, so its CPU time (`time.thread_time`) is what each step
cost; another process on the machine can stretch wall time many times over, not that. Wall
times are printed too.

The job's figure: the client side. The sandbox stands in for the two remote services and
does real work per call (SQLite writes of the record, the call count, the services' own
bookkeeping) that on the real services is theirs. So the in-process transport gets the
sandbox's app wrapped in a timer, and the time inside the app (handling each call and
encoding its JSON answer) is taken out of the sync's. What is left is the toolkit: the
modules' logic, building and sending each request through httpx, the transport's glue,
decoding the answers, fingerprints, the state store. The whole (the sandbox's share
included) is printed beside.

The floor: bare httpx round trips through the same in-process transport class, around an
app with no sandbox logic that answers a fixed JSON body, timed the same way (the app's
time taken out). Bare is what no client can skip: an `httpx.Request` with the three headers
every call carries, to a URL built beforehand, handed to the transport, the answer read and
`json.loads`-ed. Four kinds, each the mean of its samples: a GET answering a small JSON
object; a POST of a time-entry sized JSON body answering one; a GET answering a page of 200
records shaped like the Projects time logs a sync reads most (its extra time over the
small GET, per extra byte, prices each answer byte); and hashing 200 records the size of
a time entry one by one (sorted JSON, SHA-256), per record: the least a sync must do to
tell a record unchanged. The floor of a sync is

    GETs x GET + writes x POST + answer bytes beyond the small answers x per byte
    + records the modules judged (the report's `fetched`) x hash

The byte and hash terms are what a re-sync is made of (300 calls carry 11,000 records at
scale 0.05); for a first sync (one call per record) they are small.

When. The floor the target uses is sampled during the sync itself: every SAMPLE_EVERY-th
call, right after the sandbox answered, one bare operation (the kinds in turn), its time
taken out of the sync's like the sandbox's. Two reasons. The sandbox runs in this
process, so between two calls its work (SQLite, JSON) leaves the CPU caches colder for
the client's next steps than a tight loop does: the same bare round trip costs more
there (both floors are printed), and that is the state the sync's own code runs in. And the samples spread
over the whole sync follow the machine's load as it changes. (The bias the other way: a
sampled call's client steps find httpx's code warm; one call in SAMPLE_EVERY.)
The tight-loop floor the issue describes is measured too, each kind in blocks of calls
in a row, before the first sync, between the syncs and after the re-sync (each sync
against the mean of the two on either side of it); the ratios to it are printed beside,
as is the whole (the sandbox's share included) to it. Measured three times for a few
tenths of a second each, it swings with the load: four identical first syncs at scale
0.03 gave 2.1x to 2.9x to it, and 1.69x to 1.74x to the sampled floor.

Targets: each sync's client side at most 1.5x its sampled floor; no more calls than
records written plus list pages (every write call writes one record: Books has no bulk
endpoint; a list page is a GET of a collection; anything else, a single-record read or a
token mint, is over); zero Books writes on the re-sync; peak RSS < 1 GiB (ru_maxrss: the
whole process, the sandbox included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.http import Request, Response  # after the path insert: run as a script
from sandbox.transport import Handler, SandboxTransport

if TYPE_CHECKING:
    from bridge.domain import SyncReport
    from sandbox import Sandbox

FULL = {"projects": 1000, "tasks": 20000, "bugs": 5000, "timelogs": 200000}
TARGETS = {"ratio": 1.5, "peak_mib": 1024.0}
NAME, USERS, CLIENTS = "bench", 25, 40
WRITES = ("POST", "PUT", "PATCH", "DELETE")
#: one bare round trip sampled after every this many calls of a sync (kinds in turn)
SAMPLE_EVERY = 20
#: CPU seconds of this thread (the sync, the in-process sandbox and the floor all run in it):
#: what other processes on the machine do cannot stretch them, as it stretches wall time
cpu = time.thread_time


def scenario(scale: float) -> dict[str, Any]:
    from bridge.scenarios.synthetic import portal_scenario

    n = {k: max(1, int(v * scale)) for k, v in FULL.items()}
    return portal_scenario(NAME, projects=n["projects"], tasks=n["tasks"], bugs=n["bugs"], logs=n["timelogs"],
                           users=USERS, clients=CLIENTS)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the floor ---------------------------------------------------------------------------------
SMALL = {"code": 0, "message": "success", "record": {"id": "1200000000001", "name": "a record"}}
POSTED = {"project_id": "2100000000001", "task_id": "2100000000101", "user_id": "2100000000201",
          "log_date": "2026-01-05", "log_time": "01:30", "is_billable": True, "notes": "work [plog:3100000000001]"}
#: a page shaped like the Projects time-log pages a sync reads (the records it reads most)
PAGE = {"time_logs": [{"date": "2026-01-05", "total_hours": "300:00", "log_details": [
    {"id": f"{76000000000 + i}",
     "module": {"type": "task", "id": f"{74000000000 + i % 20}", "name": f"Task {i % 20:06d}"},
     "date": "2026-01-05", "owner": {"zpuid": f"{71000000000 + i % 25}", "name": f"Staff {i % 25}"},
     "hours": f"{i % 8:02d}:30", "bill_status": "Billable", "notes": "", "approval_status": "Approved",
     "project": {"id": "73000000001"}, "invoice_id": "", "created_time": "2026-01-05T09:00:00.000Z",
     "modified_time": "2026-01-05T09:00:00.000Z"} for i in range(200)]}],
    "page_info": {"page": 1, "per_page": 200, "has_next_page": False}}
#: what the hash kind hashes: 200 records the size of the payloads a sync fingerprints
HASHED = [{**POSTED, "notes": f"work [plog:{3100000000000 + i}]"} for i in range(200)]
HEADERS = {"Accept": "application/json", "User-Agent": "bench", "Authorization": "Zoho-oauthtoken 1000.floor"}
KINDS = ("get", "post", "page", "hash")


class FloorApp:
    """No sandbox logic: a fixed JSON body per path."""

    def handle(self, request: Request) -> Response:
        return Response(200, PAGE if request.path.endswith("/page") else SMALL)


@dataclass
class Floor:
    """Client-side seconds per bare call of each kind, per answer byte, per record hashed."""

    get: float
    post: float
    byte: float
    hash: float
    small_bytes: int
    samples: int

    def of(self, gets: int, writes: int, answer_bytes: int, records: int) -> float:
        extra = max(0, answer_bytes - (gets + writes) * self.small_bytes)
        return gets * self.get + writes * self.post + extra * self.byte + records * self.hash

    @staticmethod
    def mean(a: Floor, b: Floor) -> Floor:
        return Floor((a.get + b.get) / 2, (a.post + b.post) / 2, (a.byte + b.byte) / 2, (a.hash + b.hash) / 2,
                     a.small_bytes, a.samples + b.samples)

    def describe(self) -> str:
        return (f"GET {self.get * 1e6:4.0f} us, POST {self.post * 1e6:4.0f} us, {self.byte * 1e9:4.1f} ns per answer "
                f"byte beyond {self.small_bytes} B, hash {self.hash * 1e6:4.1f} us per record ({self.samples} samples)")


class Bare:
    """Bare round trips of each kind through the sandbox's transport class around FloorApp."""

    def __init__(self) -> None:
        self.app = TimedApp(FloorApp())
        self.transport = SandboxTransport(self.app)
        self.small_url = httpx.URL("http://floor.bench/books/v3/projects?organization_id=6000000001")
        self.page_url = httpx.URL("http://floor.bench/books/v3/page?organization_id=6000000001&page=1&per_page=200")
        self.samples: dict[str, list[float]] = {k: [] for k in KINDS}
        self.bytes = {"get": 0, "page": 0}
        self._turn = 0

    def _call(self, method: str, url: httpx.URL, body: Any = None) -> Any:
        response = self.transport.handle_request(httpx.Request(method, url, headers=HEADERS, json=body))
        response.read()
        return json.loads(response.content)

    def one(self, kind: str) -> None:
        """One bare operation of `kind`, its client-side time kept as a sample."""
        inside, _, bytes0 = self.app.mark()
        start = cpu()
        if kind == "get":
            self._call("GET", self.small_url)
        elif kind == "post":
            self._call("POST", self.small_url, POSTED)
        elif kind == "page":
            self._call("GET", self.page_url)
        else:
            for record in HASHED:
                hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
        elapsed = cpu() - start
        inside1, _, bytes1 = self.app.mark()
        self.samples[kind].append((elapsed - (inside1 - inside)) / (len(HASHED) if kind == "hash" else 1))
        if kind in self.bytes:
            self.bytes[kind] = bytes1 - bytes0

    def next(self) -> None:
        """One bare operation, the kinds in turn."""
        self.one(KINDS[self._turn % len(KINDS)])
        self._turn += 1

    def floor(self) -> Floor:
        avg = {k: statistics.fmean(v) for k, v in self.samples.items()}
        byte = max(0.0, avg["page"] - avg["get"]) / (self.bytes["page"] - self.bytes["get"])
        return Floor(avg["get"], avg["post"], byte, avg["hash"], self.bytes["get"],
                     sum(len(v) for v in self.samples.values()))


def tight_floor(rounds: int = 10, block: int = 20) -> Floor:
    """Each kind in blocks of `block` in a row (warm: the harshest floor), the kinds in turn
    `rounds` times so a change of the machine's pace hits them alike."""
    bare = Bare()
    for kind in KINDS:  # warm up
        for _ in range(block):
            bare.one(kind)
    bare.samples = {k: [] for k in KINDS}
    for _ in range(rounds):
        for kind in KINDS:
            for _ in range(block):
                bare.one(kind)
    return bare.floor()


def decoder_saving() -> tuple[float, float]:
    """Seconds per answer byte that json.loads (the floor's decoder) and the clients' decoder
    (msgspec, bridge/clients/_json.py) take on a time-log page, best of five blocks."""
    import timeit

    from bridge.clients._json import decode

    body = json.dumps(PAGE).encode()
    per_byte = [min(timeit.repeat(lambda f=f: f(body), number=50, repeat=5)) / 50 / len(body)  # type: ignore[misc]
                for f in (json.loads, decode)]
    return per_byte[0], per_byte[1]


# -- timing the app behind the transport -------------------------------------------------------
class _Encoded(Response):
    """An answer already encoded (inside the timer): the transport only unpacks it."""

    def __init__(self, status: int, encoded: tuple[str, list[tuple[str, str]], bytes]) -> None:
        super().__init__(status)
        self.encoded = encoded

    def encode(self) -> tuple[str, list[tuple[str, str]], bytes]:
        return self.encoded


@dataclass
class TimedApp:
    """An app (the sandbox's, or the floor's) with the time spent inside it added up: handling
    each call and encoding its answer, what a remote service does. With a `sampler`, a bare
    round trip follows every SAMPLE_EVERY-th answer; its time is kept apart (`sampling`)."""

    app: Handler
    sampler: Bare | None = None
    seconds: float = 0.0
    sampling: float = 0.0
    calls: int = 0
    answer_bytes: int = 0

    def handle(self, request: Request) -> Response:
        start = cpu()
        try:
            answer = self.app.handle(request)
            encoded = answer.encode()
        finally:
            self.seconds += cpu() - start
            self.calls += 1
        self.answer_bytes += len(encoded[2])
        if self.sampler is not None and self.calls % SAMPLE_EVERY == 0:
            start = cpu()
            self.sampler.next()
            self.sampling += cpu() - start
        return _Encoded(answer.status, encoded)

    def mark(self) -> tuple[float, int, int]:
        return self.seconds, self.calls, self.answer_bytes


# -- calls -------------------------------------------------------------------------------------
CallCounts = dict[tuple[str, str, str], int]


@dataclass
class Calls:
    """The calls the services received, by what they are."""

    writes: int = 0  # write calls: one record written each
    list_pages: int = 0  # GETs of a collection
    other: dict[str, int] = field(default_factory=dict)  # single-record reads, token mints...
    books_writes: int = 0

    @property
    def total(self) -> int:
        return self.writes + self.list_pages + sum(self.other.values())

    @property
    def gets(self) -> int:
        return self.list_pages + sum(n for what, n in self.other.items() if what.startswith("GET "))

    @property
    def ok(self) -> bool:
        return self.total <= self.writes + self.list_pages


def call_counts(sandbox: Sandbox) -> CallCounts:
    return {(str(c["service"]), str(c["method"]), str(c["path"])): int(c["count"]) for c in sandbox.calls()["calls"]}


def classify(before: CallCounts, after: CallCounts) -> Calls:
    out = Calls()
    for key, n in after.items():
        made = n - before.get(key, 0)
        if made <= 0:
            continue
        service, method, path = key
        if service in ("books", "projects") and method in WRITES:
            out.writes += made
            out.books_writes += made if service == "books" else 0
        elif method == "GET" and not path.endswith(("}", "/me")):
            out.list_pages += made
        else:
            out.other[f"{method} {path}"] = out.other.get(f"{method} {path}", 0) + made
    return out


# -- the run -----------------------------------------------------------------------------------
@dataclass
class Job:
    name: str
    wall: float
    cpu: float
    inside: float  # CPU seconds inside the sandbox's app
    sampling: float  # CPU seconds of the floor's samples taken during the job
    calls: Calls
    answer_bytes: int
    report: SyncReport
    floor: Floor  # sampled during the job: the target's
    tight: Floor | None = None  # the mean of the tight-loop floors on either side

    @property
    def client(self) -> float:
        return self.cpu - self.inside - self.sampling

    @property
    def records(self) -> int:
        return sum(c.get("fetched", 0) for c in self.report.counts.values())

    def floor_s(self, floor: Floor | None = None) -> float:
        f = floor or self.floor
        return f.of(self.calls.gets, self.calls.total - self.calls.gets, self.answer_bytes, self.records)

    @property
    def ratio(self) -> float:
        return self.client / self.floor_s()


def timed_sync(name: str, sync: Callable[[], SyncReport], sandbox: Sandbox, timed: TimedApp) -> Job:
    timed.sampler = Bare()
    before = call_counts(sandbox)
    inside0, _, bytes0 = timed.mark()
    sampling0 = timed.sampling
    wall0, cpu0 = time.perf_counter(), cpu()
    report = sync()
    wall, spent = time.perf_counter() - wall0, cpu() - cpu0
    inside1, _, bytes1 = timed.mark()
    after = call_counts(sandbox)
    sampled = timed.sampler.floor()
    timed.sampler = None
    return Job(name, wall, spent, inside1 - inside0, timed.sampling - sampling0, classify(before, after),
               bytes1 - bytes0, report, sampled)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the full portal size (default 1.0)")
    ap.add_argument("--db", help="state store URL or SQLite path (default: a temp file)")
    args = ap.parse_args(argv)
    load = os.getloadavg()
    started = dt.datetime.now(dt.UTC)

    from bridge.clock import FakeClock
    from bridge.domain import Credentials
    from bridge.scenarios.synthetic import PORTAL, TODAY, owner_email, owner_key
    from bridge.store import Store
    from enhanced.integration import EnhancedIntegration
    from sandbox import Sandbox
    from sandbox.wiring import sandbox_context

    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    data = scenario(args.scale)
    t = time.perf_counter()
    clock = FakeClock(dt.datetime.combine(TODAY, dt.time(9), dt.UTC))
    sandbox = Sandbox(tmp / "sandbox.db", clock=clock)
    sandbox.seed(data)
    seeded = time.perf_counter() - t
    timed = TimedApp(sandbox.app)
    ctx = sandbox_context(sandbox, Store.open(args.db or f"sqlite:///{tmp / 'state.db'}"), clock=clock,
                          transport=SandboxTransport(timed))
    integ = EnhancedIntegration(ctx)
    integ.connect(Credentials(owner_email(NAME), owner_key(NAME)), PORTAL)

    tight = [tight_floor()]
    first = timed_sync("first sync", integ.sync, sandbox, timed)
    tight.append(tight_floor())
    resync = timed_sync("re-sync", integ.sync, sandbox, timed)
    tight.append(tight_floor())
    peak = peak_mib()
    first.tight, resync.tight = Floor.mean(tight[0], tight[1]), Floor.mean(tight[1], tight[2])
    jobs = (first, resync)
    target = TARGETS["ratio"]

    print(f"load at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min, {os.cpu_count()} cores), "
          f"{started:%Y-%m-%d %H:%M} UTC, scale {args.scale}")
    print(f"RATIOS  the sync's client side / its floor sampled during it, CPU time (target <= {target}x)")
    for job in jobs:
        assert job.tight is not None
        tight_s = job.floor_s(job.tight)
        print(f"  {job.name:10} {job.ratio:5.2f}x  client {job.client:7.2f} s / floor {job.floor_s():6.2f} s"
              f"  | to the tight-loop floor ({tight_s:.2f} s) {job.client / tight_s:5.2f}x"
              f" | the whole, sandbox included, to it {(job.cpu - job.sampling) / tight_s:5.2f}x")
    print("ABSOLUTE")
    for job in jobs:
        c = job.calls
        per = f"{c.total / c.writes:.3f} calls per record written" if c.writes else "no record written"
        other = ", ".join(f"{what} {n}" for what, n in sorted(c.other.items())) or "none"
        print(f"  {job.name:10} CPU {job.cpu:7.2f} s = client {job.client:7.2f} s + inside the sandbox "
              f"{job.inside:7.2f} s + floor samples {job.sampling:5.2f} s; wall {job.wall:7.2f} s")
        print(f"  {'':10} calls {c.total:,} = records written {c.writes:,} + list pages {c.list_pages:,} "
              f"+ other {sum(c.other.values())} ({other}): {per}; calls <= written + pages: "
              f"{'yes' if c.ok else 'NO'}")
        print(f"  {'':10} answers {job.answer_bytes / 2**20:.1f} MiB, records judged {job.records:,}, "
              f"Books writes {c.books_writes:,}")
        print(f"  {'':10} floor sampled during it: {job.floor.describe()}")
    stdlib, ours = decoder_saving()
    print(f"  decoding: the floor prices answer bytes at json.loads ({stdlib * 1e9:.1f} ns a byte on a time-log page); "
          f"the clients decode with msgspec ({ours * 1e9:.1f} ns). Were the floor to decode with it too:")
    for job in jobs:
        fairer = job.floor_s() - job.answer_bytes * max(0.0, stdlib - ours)
        print(f"  {'':10} {job.name}: floor {fairer:.2f} s, ratio {job.client / fairer:.2f}x")
    for label, f in zip(("before first sync", "between syncs", "after re-sync"), tight, strict=True):
        print(f"  tight-loop floor {label + ':':18} {f.describe()}")
    print(f"  peak memory {peak:.0f} MiB (target < {TARGETS['peak_mib']:.0f} MiB, ru_maxrss)")
    p = data["projects"]
    print(f"  portal: {len(p['projects'])} projects, {len(p['tasks'])} tasks, {len(p['bugs'])} bugs, "
          f"{len(p['timelogs'])} timesheets; seeded in {seeded:.1f} s; created per module "
          f"{ {m: c['created'] for m, c in first.report.counts.items()} }; re-sync updated "
          f"{sum(c['updated'] for c in resync.report.counts.values())}, errors "
          f"{len(first.report.errors) + len(resync.report.errors)}")
    ok = (all(j.ratio <= target and j.calls.ok for j in jobs) and resync.calls.books_writes == 0
          and peak < TARGETS["peak_mib"])
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
