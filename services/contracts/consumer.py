"""Consuming events: an SQS record to a validated ``Envelope``, or a clear ``MalformedEvent``.

Consumers tolerate unknown fields (producers may add fields without coordinating) but
reject what they cannot act on safely: bad JSON, missing or mistyped fields, unknown types,
unsupported versions. The message names the event and the field so the DLQ entry explains
itself, e.g. ``event 1234 (image.published): data.priceCents must be integer``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from services.contracts.catalogue import EVENT_TYPES
from services.contracts.envelope import ENVELOPE_VERSION, Envelope
from services.contracts.flow_metrics import record_consumed
from services.contracts.schemas import ENVELOPE, SchemaViolation, validate


class MalformedEvent(ValueError):
    """The record is not a valid event; ``event_id`` / ``event_type`` when they were readable."""

    def __init__(
        self, message: str, event_id: str | None = None, event_type: str | None = None
    ) -> None:
        super().__init__(message)
        self.event_id = event_id
        self.event_type = event_type


def envelope_from_record(record: Mapping[str, Any]) -> Envelope:
    """SQS record (raw SNS delivery; a non-raw SNS notification is accepted too) to an envelope."""
    body = record.get("body")
    if not isinstance(body, str):
        raise MalformedEvent("SQS record has no body")
    parsed = _parse_json(body, "SQS message body")
    if isinstance(parsed, dict) and parsed.get("Type") == "Notification" and "Message" in parsed:
        # Non-raw delivery wraps the envelope in an SNS notification document.
        parsed = _parse_json(parsed["Message"], "SNS notification Message")
    envelope = envelope_from_dict(parsed)
    record_consumed(envelope.type)
    return envelope


def envelope_from_dict(body: Any) -> Envelope:
    """Validate a decoded envelope (wire shape) and its ``data`` against the type's schema."""
    if not isinstance(body, Mapping):
        raise MalformedEvent(f"event must be a JSON object, got {type(body).__name__}")
    event_id = body.get("id")
    who = f"event {event_id}" if isinstance(event_id, str) and event_id else "event"
    try:
        validate(ENVELOPE, body, label="envelope")
    except SchemaViolation as error:
        raise MalformedEvent(f"{who}: {error.reason}", _str(event_id)) from None
    event_id = str(event_id)
    event_type, version = body["type"], body["version"]
    if event_type not in EVENT_TYPES:
        known = ", ".join(EVENT_TYPES)
        raise MalformedEvent(f"{who}: unknown event type {event_type!r}; known: {known}", event_id)
    who = f"{who} ({event_type})"
    if version != ENVELOPE_VERSION:
        message = f"{who}: unsupported version {version} (supported: {ENVELOPE_VERSION})"
        raise MalformedEvent(message, event_id, event_type)
    try:
        validate(event_type, body["data"])
    except SchemaViolation as error:
        raise MalformedEvent(f"{who}: {error.reason}", event_id, event_type) from None
    return Envelope.from_dict(body)


def _parse_json(text: Any, what: str) -> Any:
    if not isinstance(text, str):
        raise MalformedEvent(f"{what} must be a JSON string, got {type(text).__name__}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        reason = f"{error.msg} at position {error.pos}"
        raise MalformedEvent(f"{what} is not valid JSON: {reason}") from None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
