"""Publishing events: validate against the contract, wrap in an envelope, send to SNS.

Producers validate before publishing so a bad event fails in the producer's own tests and
logs, never in another team's consumer. The event type is also sent as the SNS message
attribute ``type``: the consumers' subscription filter policies select on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from services.contracts.catalogue import EVENT_TYPES, SERVICES, producer_of
from services.contracts.envelope import Envelope, new_envelope
from services.contracts.flow_metrics import record_published
from services.contracts.schemas import SchemaViolation, validate


class InvalidEvent(ValueError):
    """The event cannot be published: unknown type, wrong producer, or ``data`` off-schema.

    ``field`` is the failing data path (e.g. ``data.priceCents``) when the data is at fault.
    """

    def __init__(self, event_type: str, message: str, field: str | None = None) -> None:
        super().__init__(f"cannot publish {event_type}: {message}")
        self.event_type = event_type
        self.field = field


def message_attributes(event_type: str) -> dict[str, dict[str, str]]:
    """SNS message attributes of an event (what subscription filter policies match)."""
    return {"type": {"DataType": "String", "StringValue": event_type}}


def check_event(source: str, event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Raise ``InvalidEvent`` unless ``source`` publishes ``event_type`` and ``data`` is valid."""
    if event_type not in EVENT_TYPES:
        raise InvalidEvent(event_type, f"unknown event type; known: {', '.join(EVENT_TYPES)}")
    producer = producer_of(event_type)
    if producer != source:
        raise InvalidEvent(event_type, f"published by {producer!r} only, not by {source!r}")
    try:
        return validate(event_type, data)
    except SchemaViolation as error:
        raise InvalidEvent(event_type, error.reason, field=error.field) from None


class EventPublisher:
    """Publishes ``source``'s events to its topic; the SNS client is created on first use."""

    def __init__(self, topic_arn: str, source: str, sns_client: Any = None) -> None:
        if source not in SERVICES:
            raise ValueError(f"unknown source service {source!r}; known: {', '.join(SERVICES)}")
        if not topic_arn:
            raise ValueError("topic_arn is required (the EVENTS_TOPIC_ARN of the service)")
        self.topic_arn = topic_arn
        self.source = source
        self._sns = sns_client

    @property
    def sns(self) -> Any:
        # Lazily: a handler that never publishes on a request does not pay for the client.
        if self._sns is None:
            self._sns = boto3.client("sns")
        return self._sns

    def publish(
        self,
        event_type: str,
        data: Mapping[str, Any],
        correlation_id: str | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        """Validate, publish and return the envelope sent (its ``id`` is the event id).

        Pass ``event_id`` (``envelope.stable_event_id``) when a retry may publish the same
        fact again, so consumers see one event id for it.
        """
        checked = check_event(self.source, event_type, data)
        envelope = new_envelope(event_type, self.source, checked, correlation_id, event_id)
        self.sns.publish(
            TopicArn=self.topic_arn,
            Message=envelope.to_json(),
            MessageAttributes=message_attributes(event_type),
        )
        record_published(self.source, event_type)
        return envelope
