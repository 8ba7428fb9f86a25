"""Fault injection for the local runtime: what a bad day in AWS does to event delivery.

LOCAL ONLY. Nothing here is in a Lambda bundle or in ``services/``: the faults are made by
the local runtime's pollers around the unchanged handlers, so deployed code has no switch
to leave on. Off unless asked for: ``MARKETPLACE_FAULTS`` (read when the ``Runtime``
starts, e.g. ``MARKETPLACE_FAULTS="raise=0.2,duplicate=0.2,reorder=1,seed=7" ./dev up``),
the ``faults=`` argument of ``Runtime`` / ``LocalEnvironment``, or at run time
``runtime.faults.set("...")`` and ``runtime.faults.reset()`` (what the tests do on the
shared session environment).

The faults, per record of an event source mapping (SQS message or stream record):

- ``raise=P``: the handler "raises" on a fraction P of records: the record never reaches the
  handler and is reported failed, exactly as a partial batch failure for it (SQS: not
  deleted, received again; stream: the batch is retried from it).
- ``crash=P``: the function crashes *after* handling a fraction P of records: their side
  effects happened but the success is lost, so they are delivered again (a timeout after the
  work; tests the handlers' idempotency).
- ``duplicate=P``: a fraction P of records is delivered twice. SQS: a copy of the message
  (same body and attributes, a new message id, as SNS's at-least-once delivery makes) is
  sent to the queue; stream: the record is delivered again in the next batch.
- ``delay=P`` (SQS): a fraction P of records is held back and delivered later, after
  records that came behind it. ``reorder=1`` (SQS): every batch is shuffled. Streams keep
  their shard order, as Lambda guarantees.
- ``poison=TEXT|TEXT``: a record whose body (stream: new image) contains one of the texts
  fails every time: SQS parks it in the DLQ after ``maxReceiveCount``, the stream mapping
  sends it to its on-failure queue after its retries. The only permanent fault.
- ``scope=NAME|NAME``: the faults apply only to mappings whose name contains one of these
  (default: every mapping). ``seed=N`` makes the choices repeatable: each is a hash of the
  seed, the record's identity and how many faults it already had, not of thread timing.
- ``max_transient=N`` (default 1): random faults (raise, crash, delay) per record at most,
  so random faults alone never exhaust a redrive policy; only poison does.
- ``retry_after=S`` (default 1): while faults are on, a failed SQS record is visible again
  after S seconds instead of the queue's visibility timeout (6 x the function timeout, up
  to minutes), so a test does not wait minutes. Lambda itself does not do this.
- ``pause=NAME:SECONDS``: the consumers whose mapping name contains NAME stop for SECONDS
  (their function's workers are killed too) and then restart cold. At run time:
  ``faults.pause("catalog-purchase-events", 3)``.

``faults.counts`` says how many faults of each kind were injected.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

ENV_VAR = "MARKETPLACE_FAULTS"
PAUSE_CHECK_SECONDS = 0.1
RATES = {"raise": "raise_rate", "crash": "crash_rate", "duplicate": "duplicate_rate",
         "delay": "delay_rate"}  # fmt: skip
"""Text keys of the rates -> ``FaultPlan`` fields."""
Record = dict[str, Any]


class FaultSpecError(ValueError):
    """A ``MARKETPLACE_FAULTS`` text that cannot be read; the message names the key."""


@dataclass(frozen=True)
class FaultPlan:
    """Which faults to inject (see the module docstring for each)."""

    raise_rate: float = 0.0
    crash_rate: float = 0.0
    duplicate_rate: float = 0.0
    delay_rate: float = 0.0
    reorder: bool = False
    poison: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    seed: int = 0
    max_transient: int = 1
    retry_after: float = 1.0
    pauses: tuple[tuple[str, float], ...] = ()

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """``"raise=0.2,duplicate=0.2,reorder=1,seed=7"`` -> a plan; ``FaultSpecError`` if bad."""
        plan = cls()
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            key, sep, value = item.partition("=")
            key, value = key.strip(), value.strip()
            if not sep:
                raise FaultSpecError(f"{ENV_VAR}: {item!r} is not key=value")
            plan = _with(plan, key, value)
        return plan

    @property
    def active(self) -> bool:
        rates = self.raise_rate or self.crash_rate or self.duplicate_rate or self.delay_rate
        return bool(rates or self.reorder or self.poison or self.pauses)

    def applies_to(self, mapping: str) -> bool:
        return not self.scope or any(part in mapping for part in self.scope)

    def describe(self) -> str:
        parts = [
            f"{key}={getattr(self, name)}" for key, name in RATES.items() if getattr(self, name)
        ]
        if self.reorder:
            parts.append("reorder=1")
        if self.poison:
            parts.append("poison=" + "|".join(self.poison))
        if self.scope:
            parts.append("scope=" + "|".join(self.scope))
        parts += [f"pause={name}:{seconds:g}" for name, seconds in self.pauses]
        return ",".join([*parts, f"seed={self.seed}"]) if parts else "off"


def _with(plan: FaultPlan, key: str, value: str) -> FaultPlan:
    try:
        if key in RATES:
            rate = float(value)
            if not 0.0 <= rate <= 1.0:
                raise ValueError("a rate is between 0 and 1")
            changes: dict[str, Any] = {RATES[key]: rate}
            return replace(plan, **changes)
        if key == "reorder":
            return replace(plan, reorder=value.lower() in ("1", "true", "yes", "on"))
        if key in ("poison", "scope"):
            values: dict[str, Any] = {key: tuple(v for v in value.split("|") if v)}
            return replace(plan, **values)
        if key in ("seed", "max_transient"):
            numbers: dict[str, Any] = {key: int(value)}
            return replace(plan, **numbers)
        if key == "retry_after":
            return replace(plan, retry_after=float(value))
        if key == "pause":
            name, _, seconds = value.rpartition(":")
            return replace(plan, pauses=(*plan.pauses, (name, float(seconds))))
    except ValueError as error:
        raise FaultSpecError(f"{ENV_VAR}: {key}={value!r}: {error}") from None
    known = sorted([*RATES, "reorder", "poison", "scope", "seed", "max_transient",
                    "retry_after", "pause"])  # fmt: skip
    raise FaultSpecError(f"{ENV_VAR}: unknown key {key!r} (known: {', '.join(known)})")


@dataclass
class SqsDecision:
    """What to do with one received SQS batch."""

    invoke: list[Record]
    """Records handed to the function, in this order."""
    fail: list[Record] = field(default_factory=list)
    """Records failed without reaching the handler (raise, poison)."""
    delay: list[Record] = field(default_factory=list)
    """Records held back for later."""
    duplicate: list[Record] = field(default_factory=list)
    """Records to send to the queue once more."""
    crash: set[str] = field(default_factory=set)
    """Message ids whose successful handling is to be reported failed."""

    @property
    def held(self) -> list[Record]:
        return [*self.fail, *self.delay]


@dataclass
class StreamDecision:
    """What to do with one stream batch: fail at a record, lose successes, repeat records."""

    fail_at: int | None = None
    """Index of a record the handler never sees and that fails (raise, poison)."""
    reason: str = ""
    crash: set[str] = field(default_factory=set)
    """Sequence numbers whose successful handling is to be reported failed."""
    duplicate: list[Record] = field(default_factory=list)
    """Records to deliver once more in the next batch."""


def _sequence(record: Record, index: int) -> str:
    return str((record.get("dynamodb") or {}).get("SequenceNumber", index))


def _chance(seed: int, kind: str, key: str, nth: int) -> float:
    """A repeatable number in [0, 1) for this record, fault kind and attempt."""
    digest = hashlib.sha256(f"{seed}:{kind}:{key}:{nth}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class Faults:
    """The runtime's fault switch: the current plan, the decisions, and what was injected."""

    def __init__(
        self, plan: FaultPlan | str | None = None, log: Callable[[str], None] | None = None
    ):
        self._lock = threading.Lock()
        self._log = log or (lambda line: None)
        self._plan = FaultPlan()
        self._transient: Counter[str] = Counter()
        self._duplicated: set[str] = set()
        self._paused_until: dict[str, float] = {}
        self._pollers: list[Any] = []
        self._functions: dict[str, Any] = {}
        self.counts: Counter[str] = Counter()
        """Faults injected, by kind (raise, crash, duplicate, delay, reorder, poison, pause)."""
        self.records = 0
        """Records that went through the fault layer while a plan was active."""
        if plan is not None:
            self.set(plan)

    # -- switching -------------------------------------------------------------------------

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    @property
    def active(self) -> bool:
        return self._plan.active

    def set(self, plan: FaultPlan | str | None = None, **fields: Any) -> FaultPlan:
        """Switch to ``plan`` (a ``FaultPlan``, its text, or its fields); starts its pauses."""
        if isinstance(plan, str):
            plan = FaultPlan.parse(plan)
        plan = replace(plan or FaultPlan(), **fields)
        with self._lock:
            self._plan = plan
            self._transient.clear()
            self._duplicated.clear()
        self._log(f"faults: {plan.describe()}")
        for name, seconds in plan.pauses:
            self.pause(name, seconds)
        return plan

    def reset(self) -> None:
        """Faults off and every paused consumer resumed; counts are kept."""
        with self._lock:
            self._plan = FaultPlan()
            self._paused_until.clear()
        self._log("faults: off")

    def attach(self, pollers: Iterable[Any], functions: Mapping[str, Any]) -> None:
        """The runtime's pollers and functions, so ``pause`` can find and restart them."""
        self._pollers = list(pollers)
        self._functions = dict(functions)

    # -- pausing consumers -------------------------------------------------------------------

    def pause(self, name: str, seconds: float) -> list[str]:
        """Stop the consumers whose mapping name contains ``name`` for ``seconds``; restart cold.

        Their function's warm workers are stopped (after any invocation in flight), so the
        first batch after the pause starts new processes, as a Lambda scaled to zero would.
        Returns the paused mapping names.
        """
        names = sorted({p.name for p in self._pollers if name in p.name})
        until = time.monotonic() + seconds
        with self._lock:
            for mapping in names:
                self._paused_until[mapping] = until
            self.counts["pause"] += len(names)
        self._log(f"faults: pausing {', '.join(names) or 'nothing'} for {seconds:g}s")
        for function in {p.spec.function_name for p in self._pollers if p.name in names}:
            stop = getattr(self._functions.get(function), "stop", None)
            if callable(stop):
                stop()
        return names

    def paused(self, mapping: str) -> bool:
        with self._lock:
            until = self._paused_until.get(mapping)
            if until is None:
                return False
            if time.monotonic() < until:
                return True
            del self._paused_until[mapping]
        self._log(f"faults: {mapping} resumed")
        return False

    # -- decisions -----------------------------------------------------------------------

    def retry_after(self, mapping: str) -> float | None:
        """Seconds after which a failed SQS record is due again; None: the queue's own timeout."""
        plan = self._plan
        return plan.retry_after if plan.active and plan.applies_to(mapping) else None

    def decide_sqs(self, mapping: str, records: Sequence[Record]) -> SqsDecision:
        plan = self._plan
        if not plan.active or not plan.applies_to(mapping):
            return SqsDecision(invoke=list(records))
        decision = SqsDecision(invoke=[])
        with self._lock:
            self.records += len(records)
            for record in records:
                key, body = record["messageId"], str(record.get("body", ""))
                if self._poisoned(plan, body) or self._transient_fault(plan, "raise", key):
                    decision.fail.append(record)
                elif self._transient_fault(plan, "delay", key):
                    decision.delay.append(record)
                else:
                    decision.invoke.append(record)
                    if self._transient_fault(plan, "crash", key):
                        decision.crash.add(key)
                if self._duplicate(plan, hashlib.sha256(body.encode()).hexdigest()):
                    decision.duplicate.append(record)
            if plan.reorder and len(decision.invoke) > 1:
                random.Random(_chance(plan.seed, "reorder", mapping, self.records)).shuffle(
                    decision.invoke
                )
                self.counts["reorder"] += 1
        return decision

    def decide_stream(self, mapping: str, batch: Sequence[Record]) -> StreamDecision:
        plan = self._plan
        decision = StreamDecision()
        if not plan.active or not plan.applies_to(mapping):
            return decision
        with self._lock:
            self.records += len(batch)
            keys = [_sequence(record, index) for index, record in enumerate(batch)]
            for index, record in enumerate(batch):
                image = json.dumps((record.get("dynamodb") or {}).get("NewImage") or {})
                if self._poisoned(plan, image):
                    decision.fail_at, decision.reason = index, "poison"
                    return decision
                if self._transient_fault(plan, "raise", keys[index]):
                    decision.fail_at, decision.reason = index, "raise"
                    return decision
            for key, record in zip(keys, batch, strict=True):
                if self._transient_fault(plan, "crash", key):
                    decision.crash.add(key)
                if self._duplicate(plan, key):
                    decision.duplicate.append(record)
        return decision

    def _poisoned(self, plan: FaultPlan, text: str) -> bool:
        if any(marker in text for marker in plan.poison):
            self.counts["poison"] += 1
            return True
        return False

    def _transient_fault(self, plan: FaultPlan, kind: str, key: str) -> bool:
        rate = getattr(plan, RATES[kind])
        nth = self._transient[key]
        if not rate or nth >= plan.max_transient:
            return False
        if _chance(plan.seed, kind, key, nth) >= rate:
            return False
        self._transient[key] += 1
        self.counts[kind] += 1
        return True

    def _duplicate(self, plan: FaultPlan, key: str) -> bool:
        if not plan.duplicate_rate or key in self._duplicated:
            return False
        self._duplicated.add(key)  # decided once per record: a copy is never copied again
        if _chance(plan.seed, "duplicate", key, 0) >= plan.duplicate_rate:
            return False
        self.counts["duplicate"] += 1
        return True
