"""A circuit breaker kept in the service's table, shared by every processor instance.

Why in the table: Lambda instances share no memory, and a dependency that fails fails for all
of them; one item (``pk = CIRCUIT#<name>``, ``sk = CIRCUIT``) is the state they agree on::

    CLOSED --failureThreshold failures within windowSeconds--> OPEN
    OPEN --cooldownSeconds later, one caller wins the probe--> HALF_OPEN
    HALF_OPEN --the probe succeeds--> CLOSED        --the probe fails--> OPEN (a new cool-down)

Failures are counted in a fixed window (``windowStart`` + ``failures``), not reset by successes:
a dependency failing every other call is failing. Every state change is a conditional write on
``version``, so of two instances only one opens the circuit or claims the probe. A probe whose
instance died frees itself after ``probe_lease_seconds``. Reads are strongly consistent: one
read per call when closed, a write only on failures and state changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

CLOSED = "CLOSED"
OPEN = "OPEN"
HALF_OPEN = "HALF_OPEN"
SORT_KEY = "CIRCUIT"


@dataclass(frozen=True)
class Thresholds:
    failure_threshold: int
    window_seconds: int
    cooldown_seconds: int
    probe_lease_seconds: int = 60
    """Longer than one processor invocation (its timeout), so a live probe is never doubled."""


@dataclass(frozen=True)
class Permit:
    """Leave to call the dependency; ``probe``: the one half-open trial call."""

    probe: bool
    version: int


class CircuitBreaker:
    """``allow()`` before the call (None: skip it), then ``succeeded`` or ``failed``."""

    def __init__(
        self,
        table: Any,
        name: str,
        thresholds: Thresholds,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table = table
        self.key = {"pk": f"CIRCUIT#{name}", "sk": SORT_KEY}
        self.thresholds = thresholds
        self.clock = clock

    def state(self) -> dict[str, Any]:
        """The stored state (``circuitState``, ``failures``, ...); CLOSED when never written."""
        item = self.table.get_item(Key=self.key, ConsistentRead=True).get("Item") or {}
        return {"circuitState": CLOSED, "version": 0, "failures": 0} | {
            k: int(v) if k != "circuitState" else v for k, v in item.items() if k not in self.key
        }

    def allow(self) -> Permit | None:
        """A permit to call, or None while the circuit is open (or another instance probes)."""
        state, now = self.state(), self.clock()
        if state["circuitState"] == CLOSED:
            return Permit(probe=False, version=state["version"])
        waiting_until = state.get("openUntil" if state["circuitState"] == OPEN else "probeUntil")
        if now < (waiting_until or 0):
            return None
        lease = now + self.thresholds.probe_lease_seconds
        claimed = self._write(state, {"circuitState": HALF_OPEN, "probeUntil": lease})
        return Permit(probe=True, version=state["version"] + 1) if claimed else None

    def succeeded(self, permit: Permit) -> None:
        """A probe's success closes the circuit; a closed circuit's success changes nothing."""
        if permit.probe:
            self._write({"version": permit.version}, {"circuitState": CLOSED, "failures": 0})

    def failed(self, permit: Permit) -> bool:
        """Count the failure; True when the circuit is open after it."""
        now = self.clock()
        if permit.probe:
            self._write({"version": permit.version}, self._opened(now))
            return True
        for _ in range(3):  # lost races re-read; each round makes progress for someone
            state = self.state()
            if state["circuitState"] != CLOSED:
                return True
            fresh = now - state.get("windowStart", 0) < self.thresholds.window_seconds
            failures = state["failures"] + 1 if fresh else 1
            changes: dict[str, Any] = {"failures": failures}
            if not fresh:
                changes["windowStart"] = now
            if failures >= self.thresholds.failure_threshold:
                changes = self._opened(now)
            if self._write(state, changes):
                return changes["circuitState"] == OPEN if "circuitState" in changes else False
        return self.state()["circuitState"] != CLOSED

    def _opened(self, now: float) -> dict[str, Any]:
        return {
            "circuitState": OPEN,
            "openUntil": now + self.thresholds.cooldown_seconds,
            "failures": 0,
            "windowStart": 0,
        }

    def _write(self, seen: Mapping[str, Any], changes: Mapping[str, Any]) -> bool:
        """Apply ``changes`` if the item is still at ``seen``'s version; False if it moved on."""
        values = {**changes, "version": seen["version"] + 1}
        names = {f"#f{i}": name for i, name in enumerate(values)}
        attribute_values: dict[str, Any] = {
            f":v{i}": _number(value) for i, value in enumerate(values.values())
        }
        attribute_values[":seen"] = seen["version"]
        try:
            self.table.update_item(
                Key=self.key,
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(values))),
                ConditionExpression="attribute_not_exists(version) OR version = :seen",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _number(value: Any) -> Any:
    """Times as whole seconds (DynamoDB takes no floats; the thresholds are whole seconds)."""
    return int(value) if isinstance(value, float) else value
