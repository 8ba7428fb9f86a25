"""Invocations through a function's alias, resolved the way Lambda resolves them.

Every caller the program wires (API integrations, event source mappings) names the ``live``
alias. Lambda reads the alias at each invocation: the version it points at, and, during a
CodeDeploy shift, a second version with a weight (``RoutingConfig``). So does this: the alias
lives in the emulator (moto keeps aliases and versions), each invocation asks it, picks a
version by weight, and runs that version's own workers, started from the configuration the
emulator keeps for it (handler, environment, role) the first time it is picked. What each
invocation did is kept (``Outcome``), which is what the local CloudWatch stand-in counts
(traffic_shift.py).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local.runtime.workers import FunctionRuntime, Invocation, Worker

OUTCOMES_KEPT = 10_000
"""Recent outcomes kept per function (the alarm stand-in looks minutes back at most)."""


@dataclass(frozen=True)
class FunctionArn:
    """``arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]``."""

    name: str
    qualifier: str | None = None

    @classmethod
    def of(cls, name_or_arn: str) -> FunctionArn:
        """A function ARN (qualified or not) or a bare function name, as Lambda accepts both."""
        return cls.parse(name_or_arn) if name_or_arn.startswith("arn:") else cls(name_or_arn)

    @classmethod
    def parse(cls, arn: str) -> FunctionArn:
        parts = arn.split(":")
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise ValueError(f"not a Lambda function ARN: {arn!r}")
        return cls(parts[6], parts[7] if len(parts) == 8 else None)


@dataclass(frozen=True)
class Outcome:
    """One invocation through the alias: when, which version ran, and whether it failed."""

    at: float
    version: str
    ok: bool
    error_type: str = ""


def pick_version(
    alias: Mapping[str, Any], draw: Callable[[], float] = random.random
) -> tuple[str, str]:
    """(version, why) for one invocation of ``alias`` (a GetAlias answer), as Lambda weighs it.

    ``AdditionalVersionWeights`` sends each listed version its share (0.1 = 10 %); the rest
    goes to ``FunctionVersion``.
    """
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    roll = draw()
    for version, weight in sorted(weights.items()):
        if roll < float(weight):
            return str(version), f"weight {weight}"
        roll -= float(weight)
    return str(alias["FunctionVersion"]), "alias version"


class AliasedFunction:
    """A function invoked through one alias; each version runs in its own workers."""

    def __init__(
        self,
        name: str,
        alias: str,
        lambda_client: Any,
        versions: Mapping[str, FunctionRuntime],
        start_version: Callable[[str], FunctionRuntime],
        draw: Callable[[], float] = random.random,
    ):
        self.name = name
        self.alias = alias
        self._lambda = lambda_client
        self.versions: dict[str, FunctionRuntime] = dict(versions)
        """Published version -> its running workers (the deployed one from the start)."""
        self._start_version = start_version
        self._draw = draw
        self._lock = threading.Lock()
        self.outcomes: deque[Outcome] = deque(maxlen=OUTCOMES_KEPT)

    @property
    def workers(self) -> list[Worker]:
        """The deployed version's workers (what a mapping's concurrency is sized from)."""
        return next(iter(self.versions.values())).workers

    def resolve(self) -> str:
        """The version this invocation runs: the alias as the emulator holds it now."""
        alias = self._lambda.get_alias(FunctionName=self.name, Name=self.alias)
        return pick_version(alias, self._draw)[0]

    def invoke(self, event: Any, request_id: str | None = None) -> Invocation:
        version = self.resolve()
        invocation = self.runtime(version).invoke(event, request_id)
        self.outcomes.append(Outcome(time.time(), version, invocation.ok, invocation.error_type))
        return invocation

    def runtime(self, version: str) -> FunctionRuntime:
        """The workers of ``version``, started the first time it takes an invocation."""
        with self._lock:
            if version not in self.versions:
                self.versions[version] = self._start_version(version)
            return self.versions[version]

    def errors_since(self, since: float, version: str | None = None) -> int:
        """Failed invocations since ``since`` (what Lambda's ``Errors`` metric counts)."""
        return sum(
            1
            for o in list(self.outcomes)
            if o.at >= since and not o.ok and (version is None or o.version == version)
        )

    def stop_versions(self, keep: str) -> None:
        """Stop the workers of every version but ``keep`` (the runtime stops that one)."""
        with self._lock:
            for version, runtime in list(self.versions.items()):
                if version != keep:
                    runtime.stop()
                    del self.versions[version]
