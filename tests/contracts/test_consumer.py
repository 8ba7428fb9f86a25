from __future__ import annotations

import json
from typing import Any

import pytest

from services.contracts import schemas
from services.contracts.catalogue import EVENT_TYPES
from services.contracts.consumer import MalformedEvent, envelope_from_dict, envelope_from_record
from services.contracts.envelope import new_envelope
from tests.services.factories import sqs_record


def _wire(event_type: str = "image.published", **changes: Any) -> dict[str, Any]:
    data = schemas.examples(event_type)[0]
    wire = new_envelope(event_type, "upload", data, "corr").to_dict()
    wire["id"] = "1234"
    return {**wire, **changes}


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_consumer_accepts_every_schema_example(event_type: str) -> None:
    # GIVEN each example of each type in a raw-delivery SQS record
    for data in schemas.examples(event_type):
        wire = new_envelope(event_type, "x", data, "c").to_dict()
        # WHEN it is consumed / THEN the envelope carries the data unchanged
        assert envelope_from_record(sqs_record(wire)).data == data


def test_consumer_tolerates_unknown_fields() -> None:
    # GIVEN unknown fields at the envelope and at the data level
    wire = _wire(schemaUrl="https://x")
    wire["data"]["aspectRatio"] = 1.5
    # WHEN / THEN they are accepted and kept in data
    envelope = envelope_from_record(sqs_record(wire))
    assert envelope.data["aspectRatio"] == 1.5


def test_consumer_accepts_non_raw_sns_notification() -> None:
    # GIVEN the envelope wrapped in an SNS notification (raw delivery off)
    wire = _wire()
    notification = {"Type": "Notification", "MessageId": "m", "Message": json.dumps(wire)}
    # WHEN / THEN it unwraps
    assert envelope_from_record(sqs_record(notification)).id == "1234"


def test_consumer_rejects_malformed_json() -> None:
    with pytest.raises(MalformedEvent, match="SQS message body is not valid JSON"):
        envelope_from_record(sqs_record("{not json"))


def test_consumer_rejects_non_object_body() -> None:
    with pytest.raises(MalformedEvent, match="must be a JSON object, got list"):
        envelope_from_record(sqs_record("[1, 2]"))


def test_consumer_rejects_missing_body() -> None:
    with pytest.raises(MalformedEvent, match="no body"):
        envelope_from_record({"messageId": "m"})


def test_consumer_rejects_missing_envelope_field() -> None:
    # GIVEN an envelope without a type
    wire = _wire()
    del wire["type"]
    # WHEN / THEN the message names the event and the field
    with pytest.raises(MalformedEvent) as raised:
        envelope_from_record(sqs_record(wire))
    assert str(raised.value) == "event 1234: envelope.type is required"
    assert raised.value.event_id == "1234"


def test_consumer_rejects_wrong_data_type() -> None:
    # GIVEN a price given as a string
    wire = _wire()
    wire["data"]["priceCents"] = "1500"
    # WHEN / THEN
    with pytest.raises(MalformedEvent) as raised:
        envelope_from_record(sqs_record(wire))
    assert str(raised.value) == "event 1234 (image.published): data.priceCents must be integer"
    assert raised.value.event_type == "image.published"


def test_consumer_rejects_missing_data_field() -> None:
    wire = _wire("image.withdrawn")
    del wire["data"]["revision"]
    with pytest.raises(MalformedEvent, match=r"^event 1234 \(image.withdrawn\): data.revision is"):
        envelope_from_record(sqs_record(wire))


def test_consumer_rejects_unknown_type() -> None:
    with pytest.raises(MalformedEvent, match=r"event 1234: unknown event type .image\.deleted."):
        envelope_from_dict(_wire(type="image.deleted"))


def test_consumer_rejects_unsupported_version() -> None:
    with pytest.raises(MalformedEvent, match=r"unsupported version 2 \(supported: 1\)"):
        envelope_from_dict(_wire(version=2))


def test_consumer_rejects_bad_time() -> None:
    with pytest.raises(MalformedEvent, match=r"envelope\.time must be date-time"):
        envelope_from_dict(_wire(time="yesterday"))
