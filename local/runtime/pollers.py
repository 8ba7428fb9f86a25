"""Event source mappings driven the way Lambda drives them, one thread per mapping worker.

What both pollers share: the mapping's settings (``MappingSpec``), which records of a batch
failed (``failed_item_ids``), and the worker thread (``PollerThread``). The pollers are
``sqs_poller.SqsPoller`` and ``stream_poller.StreamPoller``; records are filtered as Lambda
filters them (event_filter.py).

Every wait is bounded (a second or less) so ``stop()`` returns promptly.

Fault injection (local only, off by default): with a ``Faults`` switch (faults.py) the
pollers fail, delay, duplicate, reorder or hold back records around the unchanged handler,
and pause a consumer; without one, or with its plan off, they behave exactly as described.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from local.runtime.aliases import FunctionArn
from local.runtime.event_filter import parse_filters
from local.runtime.faults import PAUSE_CHECK_SECONDS, Faults
from local.runtime.workers import Invocation

POLL_WAIT_SECONDS = 1
"""Long-poll wait of one receive: bounds how long ``stop()`` takes."""
ERROR_BACKOFF_SECONDS = 0.5


# -- shared ------------------------------------------------------------------------------


@dataclass
class MappingSpec:
    """A recorded ``aws:lambda/eventSourceMapping:EventSourceMapping`` (what the pollers use)."""

    name: str
    source_arn: str
    function_name: str
    batch_size: int = 10
    batching_window_seconds: float = 0.0
    report_item_failures: bool = False
    filters: list[dict[str, Any]] = field(default_factory=list)
    concurrency: int = 1
    starting_position: str = "TRIM_HORIZON"
    maximum_retry_attempts: int = -1
    on_failure_arn: str | None = None

    @classmethod
    def from_inputs(cls, name: str, inputs: Mapping[str, Any]) -> MappingSpec:
        failure = ((inputs.get("destinationConfig") or {}).get("onFailure") or {}).get(
            "destinationArn"
        )
        retries = inputs.get("maximumRetryAttempts")
        return cls(
            name=name,
            source_arn=inputs["eventSourceArn"],
            function_name=FunctionArn.of(str(inputs["functionName"])).name,
            batch_size=int(inputs.get("batchSize") or 10),
            batching_window_seconds=float(inputs.get("maximumBatchingWindowInSeconds") or 0),
            report_item_failures="ReportBatchItemFailures"
            in (inputs.get("functionResponseTypes") or []),
            filters=parse_filters(inputs.get("filterCriteria")),
            concurrency=int((inputs.get("scalingConfig") or {}).get("maximumConcurrency") or 1),
            starting_position=str(inputs.get("startingPosition") or "TRIM_HORIZON"),
            maximum_retry_attempts=-1 if retries is None else int(retries),
            on_failure_arn=failure,
        )


def failed_item_ids(invocation: Invocation, all_ids: Sequence[str], partial: bool) -> set[str]:
    """Which records failed: all on an error; the reported ones with ReportBatchItemFailures.

    As in Lambda, a malformed partial response (not a dict, an unknown or empty identifier)
    fails the whole batch.
    """
    if not invocation.ok:
        return set(all_ids)
    if not partial:
        return set()
    result = invocation.result
    if result is None:
        return set()
    if not isinstance(result, Mapping):
        return set(all_ids)
    failures = result.get("batchItemFailures") or []
    ids = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in all_ids:
            return set(all_ids)
        ids.add(identifier)
    return ids


class PollerThread:
    def __init__(self, name: str, log: Callable[[str], None] | None, faults: Faults | None):
        self.name = name
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._log = log or (lambda line: None)
        self._faults = faults
        self.invocations = 0
        self.errors = 0

    def start(self, count: int = 1) -> None:
        for index in range(max(1, count)):
            thread = threading.Thread(target=self._run, name=f"{self.name}-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._faults is not None and self._faults.paused(self.name):
                self._stop.wait(PAUSE_CHECK_SECONDS)  # a stopped consumer: nothing is received
                continue
            try:
                self.poll_once()
            except Exception as error:  # a poller must survive emulator hiccups
                self.errors += 1
                if not self._stop.is_set():
                    self._log(f"{self.name}: poll error {type(error).__name__}: {error}")
                self._stop.wait(ERROR_BACKOFF_SECONDS)

    def poll_once(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError
