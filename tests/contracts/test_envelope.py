from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest

from services.contracts import schemas
from services.contracts.envelope import Envelope, new_envelope


def test_new_envelope_fills_id_time_version() -> None:
    # WHEN an envelope is created
    envelope = new_envelope("image.rejected", "upload", {"a": 1}, "corr-1")
    # THEN it has a uuid4 id, an aware UTC time, version 1 and the given correlation id
    assert uuid.UUID(envelope.id).version == 4
    assert datetime.fromisoformat(envelope.time).utcoffset().total_seconds() == 0
    assert envelope.time.endswith("Z")
    assert (envelope.version, envelope.source, envelope.correlation_id) == (1, "upload", "corr-1")


def test_new_envelope_without_correlation_correlates_to_itself() -> None:
    # WHEN no correlation id is given / THEN the event starts its own chain
    envelope = new_envelope("image.rejected", "upload", {})
    assert envelope.correlation_id == envelope.id


def test_envelope_round_trip_json() -> None:
    # GIVEN an envelope
    data = schemas.examples("purchase.failed")[0]
    envelope = new_envelope("purchase.failed", "purchase", data, "c")
    # WHEN it goes over the wire and back
    wire = json.loads(envelope.to_json())
    # THEN the wire is camelCase, matches the envelope schema and decodes to an equal envelope
    assert "correlationId" in wire and "correlation_id" not in wire
    schemas.validate("envelope", wire, label="envelope")
    assert Envelope.from_dict(wire) == envelope


def test_envelope_from_dict_ignores_unknown_fields() -> None:
    # GIVEN a wire envelope with a field this code does not know
    wire = {**new_envelope("image.rejected", "upload", {}, "c").to_dict(), "traceparent": "00-x"}
    # WHEN / THEN it decodes
    assert Envelope.from_dict(wire).correlation_id == "c"


def test_envelope_from_dict_names_missing_fields() -> None:
    # GIVEN a wire envelope without id and data
    wire = new_envelope("image.rejected", "upload", {}, "c").to_dict()
    del wire["id"], wire["data"]
    # WHEN / THEN the error names both
    with pytest.raises(ValueError, match="missing field\\(s\\): id, data"):
        Envelope.from_dict(wire)


def test_envelope_is_frozen() -> None:
    envelope = new_envelope("image.rejected", "upload", {}, "c")
    with pytest.raises(AttributeError):
        envelope.type = "image.published"  # type: ignore[misc]


def test_stable_event_id_is_the_same_for_the_same_fact() -> None:
    from services.contracts.envelope import stable_event_id

    # GIVEN the same fact published twice (a retry after a crash) and a different fact
    first = stable_event_id("upload-1", 2, "image.withdrawn")
    again = stable_event_id("upload-1", 2, "image.withdrawn")
    other = stable_event_id("upload-1", 3, "image.withdrawn")
    # THEN both copies share one id, so consumers' idempotency drops the copy
    assert first == again != other
    assert new_envelope("image.withdrawn", "upload", {}, event_id=first).id == first
