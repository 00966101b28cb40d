"""Injected faults: which service calls fail, and how, decided by a seeded draw per call.

The n-th eligible call since the faults were set draws from `random.Random(f"{seed}:{n}")`,
with n kept in the database: the same seed and the same sequence of calls give the same
faults, in one process or several. Kinds:

- "429": refused as rate limited (nothing written);
- "500": an internal error; with `after_write` the request is carried out and committed
  first, then answered 500, which is what idempotency guards must survive;
- "timeout": the caller sees a timeout (see `SimulatedTimeout`: the in-process transport
  raises `httpx.ReadTimeout`; a served sandbox holds the connection for `delay_ms`, or 30 s,
  then gives up); with `after_write`, after the commit, like "500";
- "delay": the call waits `delay_ms` of real time, then proceeds normally.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.db import Tx

KINDS = ("429", "500", "timeout", "delay")
SERVICES = ("books", "projects")
SETTINGS_KEY = "faults"
COUNTER_KEY = "faults_drawn"


@dataclass(frozen=True)
class FaultSettings:
    rate: float = 0.0
    kinds: tuple[str, ...] = ("500",)
    seed: int = 0
    delay_ms: int = 0
    after_write: bool = False
    services: tuple[str, ...] = SERVICES
    methods: tuple[str, ...] = ()  # empty: every method

    @staticmethod
    def parse(data: dict[str, Any]) -> FaultSettings:
        """Validate a control body; ValueError names the bad field."""
        try:
            rate = float(data.get("rate", 0.0))
            kinds = tuple(str(k) for k in data.get("kinds", ["500"]))
            seed = int(data.get("seed", 0))
            delay_ms = int(data.get("delay_ms", 0))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"faults: bad value ({exc})") from exc
        services = tuple(str(s) for s in data.get("services", SERVICES))
        methods = tuple(str(m).upper() for m in data.get("methods", ()))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("faults: rate must be between 0 and 1")
        if not kinds or any(k not in KINDS for k in kinds):
            raise ValueError(f"faults: kinds must be some of {', '.join(KINDS)}")
        if any(s not in SERVICES for s in services):
            raise ValueError(f"faults: services must be some of {', '.join(SERVICES)}")
        if delay_ms < 0:
            raise ValueError("faults: delay_ms must not be negative")
        return FaultSettings(rate, kinds, seed, delay_ms, bool(data.get("after_write", False)),
                             services, methods)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


@dataclass(frozen=True)
class Fault:
    kind: str
    delay_ms: int = 0
    after_write: bool = False
    n: int = field(default=0, compare=False)


def configure(tx: Tx, settings: FaultSettings) -> None:
    tx.set_meta(SETTINGS_KEY, settings.to_json())
    tx.set_meta(COUNTER_KEY, 0)


def clear(tx: Tx) -> None:
    tx.del_meta(SETTINGS_KEY)
    tx.del_meta(COUNTER_KEY)


def current(tx: Tx) -> FaultSettings | None:
    data = tx.meta(SETTINGS_KEY)
    return FaultSettings.parse(data) if data else None


def draw(tx: Tx, service: str, method: str) -> Fault | None:
    """The fault for this call, if any (every eligible call advances the draw counter)."""
    settings = current(tx)
    if settings is None or settings.rate <= 0 or service not in settings.services:
        return None
    if settings.methods and method not in settings.methods:
        return None
    n = int(tx.meta(COUNTER_KEY, 0)) + 1
    tx.set_meta(COUNTER_KEY, n)
    rng = random.Random(f"{settings.seed}:{n}")
    if rng.random() >= settings.rate:
        return None
    kind = settings.kinds[rng.randrange(len(settings.kinds))]
    return Fault(kind, settings.delay_ms,
                 settings.after_write and kind in ("500", "timeout"), n)
