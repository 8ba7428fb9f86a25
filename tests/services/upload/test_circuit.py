"""The Rekognition circuit breaker: its state machine alone (a clock we move), then in the
processor (Rekognition failing: uploads go to review, never to the DLQ; the circuit opens,
skips calls, probes once after the cool-down and closes)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from services.upload.analysis import ANALYSIS_UNAVAILABLE
from services.upload.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, Thresholds
from tests.services.upload.conftest import RENDITIONS, UploadAws

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

THRESHOLDS = Thresholds(failure_threshold=3, window_seconds=60, cooldown_seconds=300)


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(upload_aws: UploadAws, clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(upload_aws.table, "rekognition", THRESHOLDS, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> list[bool]:
    results = []
    for _ in range(times):
        permit = breaker.allow()
        assert permit is not None
        results.append(breaker.failed(permit))
    return results


def test_circuit_opens_after_threshold_failures_within_the_window(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # GIVEN a closed circuit
    assert breaker.state()["circuitState"] == CLOSED
    # WHEN three calls fail within a minute
    opened = fail(breaker, 3)
    # THEN the third opens it, and calls are refused during the cool-down
    assert opened == [False, False, True]
    assert breaker.state()["circuitState"] == OPEN
    clock.now += 299
    assert breaker.allow() is None


def test_failures_spread_beyond_the_window_do_not_open_it(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # GIVEN two failures, then a quiet window
    fail(breaker, 2)
    clock.now += 61
    # WHEN two more fail (a new window)
    opened = fail(breaker, 2)
    # THEN it stays closed: only failures within one window count
    assert opened == [False, False]
    assert breaker.state()["failures"] == 2


def test_after_the_cool_down_exactly_one_probe_is_let_through(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # GIVEN an open circuit whose cool-down is over
    fail(breaker, 3)
    clock.now += 300
    # WHEN two instances both read the open circuit before either claims the probe
    seen = breaker.state()
    racing = CircuitBreaker(breaker.table, "rekognition", THRESHOLDS, clock=clock)
    racing.state = lambda: seen  # type: ignore[method-assign]
    permits = [breaker.allow(), racing.allow()]
    # THEN exactly one gets the probe (a conditional write on the version); the other is refused
    probes = [p for p in permits if p is not None]
    assert len(probes) == 1 and probes[0].probe
    assert breaker.state()["circuitState"] == HALF_OPEN
    # AND its success closes the circuit
    breaker.succeeded(probes[0])
    assert breaker.state()["circuitState"] == CLOSED
    assert breaker.allow() is not None


def test_a_failed_probe_opens_it_for_another_cool_down(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # GIVEN a probe after the cool-down
    fail(breaker, 3)
    clock.now += 300
    probe = breaker.allow()
    assert probe is not None and probe.probe
    # WHEN it fails
    assert breaker.failed(probe) is True
    # THEN the circuit is open again for a full cool-down
    assert breaker.state()["circuitState"] == OPEN
    clock.now += 299
    assert breaker.allow() is None
    clock.now += 1
    assert breaker.allow() is not None


def test_a_probe_whose_caller_died_is_given_to_another_after_its_lease(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    # GIVEN a probe that never reports back
    fail(breaker, 3)
    clock.now += 300
    assert breaker.allow() is not None
    assert breaker.allow() is None
    # WHEN its lease runs out
    clock.now += THRESHOLDS.probe_lease_seconds
    # THEN another caller may probe
    again = breaker.allow()
    assert again is not None and again.probe


# --- in the processor -------------------------------------------------------------------------


class FailingRekognition:
    """Rekognition failing as a bad day does: throttled, or unreachable."""

    def __init__(self) -> None:
        self.calls = 0
        self.healthy = False

    def detect_labels(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.healthy:
            return {"Labels": [{"Name": "Kayak", "Confidence": 99.0}]}
        if self.calls % 2:
            raise EndpointConnectionError(endpoint_url="https://rekognition.example")
        error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
        raise ClientError(error, "DetectLabels")


@pytest.fixture
def rekognition(
    processor: ModuleType,
    load_processor: Callable[..., ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
) -> FailingRekognition:
    load_processor(REKOGNITION_LABELS="true")  # reloads the same module object
    from services.upload import labels

    fake = FailingRekognition()
    monkeypatch.setattr(labels, "client", lambda: fake)
    monkeypatch.setattr(processor.breaker, "clock", clock)
    return fake


def test_rekognition_failing_sends_uploads_to_review_then_the_circuit_skips_it(
    rekognition: FailingRekognition,
    uploaded: Callable[..., tuple[str, str]],
    run_processor: Callable[..., dict[str, Any]],
    upload_aws: UploadAws,
    photo: bytes,
    clock: Clock,
) -> None:
    # GIVEN Rekognition failing every call (threshold 3 in the test environment)
    uploads = [uploaded(photo) for _ in range(5)]

    # WHEN five uploads are processed
    responses = [run_processor(key) for _, key in uploads]

    # THEN none fails (nothing is retried towards the DLQ): each waits in review, unanalysed
    assert all(r["batchItemFailures"] == [] for r in responses)
    records = [upload_aws.record(upload_id) for upload_id, _ in uploads]
    assert {r["status"] for r in records} == {"IN_REVIEW"}
    assert {r["reviewReason"] for r in records} == {ANALYSIS_UNAVAILABLE}
    assert upload_aws.keys(RENDITIONS) == [] and upload_aws.events() == []
    # AND after three failures the circuit opened: the last two never called Rekognition
    assert rekognition.calls == 3

    # WHEN the cool-down is over and Rekognition is back
    clock.now += 300
    rekognition.healthy = True
    probe_id, probe_key = uploaded(photo)
    run_processor(probe_key)
    # THEN one probe call is made, succeeds, closes the circuit, and the upload is published
    assert rekognition.calls == 4
    assert upload_aws.record(probe_id)["status"] == "PUBLISHED"
    assert upload_aws.record(probe_id)["labels"] == ["kayak"]
    next_id, next_key = uploaded(photo)
    run_processor(next_key)
    assert rekognition.calls == 5
    assert upload_aws.record(next_id)["status"] == "PUBLISHED"


def test_rekognition_switched_off_never_touches_the_circuit(
    processor: ModuleType,
    uploaded: Callable[..., tuple[str, str]],
    run_processor: Callable[..., dict[str, Any]],
    upload_aws: UploadAws,
    photo: bytes,
) -> None:
    # GIVEN both Rekognition switches off (the test environment's default)
    upload_id, key = uploaded(photo)
    # WHEN an upload is processed
    run_processor(key)
    # THEN it is published and no circuit item was written
    assert upload_aws.record(upload_id)["status"] == "PUBLISHED"
    circuit = upload_aws.table.get_item(Key={"pk": "CIRCUIT#rekognition", "sk": "CIRCUIT"})
    assert "Item" not in circuit
